/**
 * Locates the project's fixtures/ folder from this module, whether it runs from source
 * (reference-node/) or compiled (dist/reference-node/).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function findFixturesDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth += 1) {
    const candidate = join(dir, 'fixtures');
    if (existsSync(join(candidate, 'keys.json'))) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

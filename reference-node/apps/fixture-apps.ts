/**
 * App registrations known at boot: every `*.json` in the apps folder is one signed registration
 * message (`{type, version, appSpecifications, hash, timestamp, signature}`), treated as already
 * registered on chain. A bad file stops the boot with an error naming the file and field.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkAppMessage } from '../../protocol/gossip/app-message.js';
import { appMessageSchema } from '../../protocol/gossip/messages.js';
import { formatZodError } from '../../protocol/validation.js';
import type { StoredSpec } from './message-store.js';

export class AppFixtureError extends Error {
  readonly file: string;
  constructor({ file, detail }: { file: string; detail: string }) {
    super(`app fixture ${file}: ${detail}`);
    this.name = 'AppFixtureError';
    this.file = file;
  }
}

export async function loadFixtureApps(dir: string | undefined): Promise<StoredSpec[]> {
  if (dir === undefined) return [];
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AppFixtureError({ file: dir, detail: (error as Error).message });
  }
  const specs: StoredSpec[] = [];
  for (const name of names) specs.push(await loadOne(join(dir, name)));
  return specs;
}

async function loadOne(file: string): Promise<StoredSpec> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new AppFixtureError({ file, detail: `not JSON (${(error as Error).message})` });
  }
  const parsed = appMessageSchema.safeParse(json);
  if (!parsed.success) throw new AppFixtureError({ file, detail: formatZodError(parsed.error) });
  const check = checkAppMessage(parsed.data);
  if (!check.ok) throw new AppFixtureError({ file, detail: check.reason });
  return { name: check.spec.name, hash: parsed.data.hash, spec: check.spec, height: 0 };
}

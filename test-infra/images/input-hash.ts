import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Length of the hash prefix used in image tags: short enough to read, long enough not to collide. */
export const tagHashLength = 12;

/** Hashes named parts; names and lengths are included so that parts cannot run into each other. */
export function hashParts(parts: Readonly<Record<string, string | Buffer>>): string {
  const hash = createHash('sha256');
  for (const [name, value] of Object.entries(parts).sort(([a], [b]) => a.localeCompare(b))) {
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    hash.update(`${name}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

export interface HashTreeOptions {
  root: string;
  /** Paths relative to root (files or folders); missing ones count as empty. */
  entries: readonly string[];
  /** Relative file paths to leave out. */
  exclude?: (relativePath: string) => boolean;
}

async function listFiles(root: string, relative: string): Promise<string[]> {
  const absolute = path.join(root, relative);
  const entries = await readdir(absolute, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOTDIR') return null;
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (entries === null) return [relative];
  const nested = await Promise.all(
    entries
      .filter((entry) => entry.name !== 'node_modules')
      .map((entry) => listFiles(root, path.join(relative, entry.name))),
  );
  return nested.flat();
}

/** Content hash of a set of files and folders: every file's relative path and bytes. */
export async function hashTree({ root, entries, exclude = () => false }: HashTreeOptions): Promise<string> {
  const files = (await Promise.all(entries.map((entry) => listFiles(root, entry))))
    .flat()
    .filter((file) => !exclude(file))
    .sort();
  const contents = await Promise.all(files.map((file) => readFile(path.join(root, file))));
  return hashParts(Object.fromEntries(files.map((file, index) => [file, contents[index] ?? Buffer.alloc(0)])));
}

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface AptSourceFile {
  path: string;
  text: string;
}

interface AptEntry {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
}

export class AptMirrorNotFoundError extends Error {
  constructor(
    readonly suite: string,
    readonly checkedFiles: readonly string[],
  ) {
    super(
      `no apt mirror serving "deb ... ${suite} main" found in ${checkedFiles.join(', ') || '(no apt source files)'}; ` +
        `add one, e.g. "deb http://mirror.example/debian ${suite} main" to /etc/apt/sources.list`,
    );
    this.name = 'AptMirrorNotFoundError';
  }
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return (hash === -1 ? line : line.slice(0, hash)).trim();
}

/** One-line style: `deb [options] uri suite component...`. */
function parseOneLineEntries(text: string): AptEntry[] {
  return text
    .split('\n')
    .map(stripComment)
    .filter((line) => line.length > 0)
    .map((line) => line.replace(/\[[^\]]*\]/, ' ').split(/\s+/))
    .flatMap(([type, uri, suite, ...components]) =>
      type && uri && suite ? [{ types: [type], uris: [uri], suites: [suite], components }] : [],
    );
}

/** deb822 style: blank-line separated stanzas of `Field: value` lines. */
function parseDeb822Entries(text: string): AptEntry[] {
  const stanzas = text.split(/\n\s*\n/);
  return stanzas.flatMap((stanza) => {
    const fields = new Map<string, string[]>();
    for (const line of stanza.split('\n').map(stripComment)) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match?.[1] !== undefined && match[2] !== undefined) {
        fields.set(match[1].toLowerCase(), match[2].split(/\s+/).filter(Boolean));
      }
    }
    if (fields.get('enabled')?.[0]?.toLowerCase() === 'no') return [];
    return [
      {
        types: fields.get('types') ?? [],
        uris: fields.get('uris') ?? [],
        suites: fields.get('suites') ?? [],
        components: fields.get('components') ?? [],
      },
    ];
  });
}

/** The first http(s) mirror that serves binary packages of `suite` with the `main` component. */
export function findAptMirror({ files, suite }: { files: readonly AptSourceFile[]; suite: string }): string {
  for (const file of files) {
    const entries = file.path.endsWith('.sources') ? parseDeb822Entries(file.text) : parseOneLineEntries(file.text);
    for (const entry of entries) {
      const uri = entry.uris.find((candidate) => /^https?:\/\//.test(candidate));
      if (uri && entry.types.includes('deb') && entry.suites.includes(suite) && entry.components.includes('main')) {
        return uri.replace(/\/+$/, '');
      }
    }
  }
  throw new AptMirrorNotFoundError(
    suite,
    files.map((file) => file.path),
  );
}

/** Reads the host's apt sources (only the file names apt itself reads: *.list and *.sources). */
export async function readHostAptSources(root = '/etc/apt'): Promise<AptSourceFile[]> {
  const mainList = path.join(root, 'sources.list');
  const partsDir = path.join(root, 'sources.list.d');
  const partNames = await readdir(partsDir).catch(() => [] as string[]);
  const paths = [
    mainList,
    ...partNames
      .filter((name) => name.endsWith('.list') || name.endsWith('.sources'))
      .sort()
      .map((name) => path.join(partsDir, name)),
  ];
  const files = await Promise.all(
    paths.map(async (filePath) => ({ path: filePath, text: await readFile(filePath, 'utf8').catch(() => null) })),
  );
  return files.flatMap((file) => (file.text === null ? [] : [{ path: file.path, text: file.text }]));
}

import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { UsageError } from './usage-error.js';

/**
 * `fluxnet node --config FILE`: one reference node in the foreground. The file (YAML or JSON) maps
 * the node's environment variables (docs/node-contract.md) to values; the process environment fills
 * in what the file leaves out. The node validates the result and names any bad variable.
 */
export async function loadNodeConfigFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--config ${path}: ${(error as Error).message}`);
  }
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    const [first] = document.errors;
    throw new UsageError(`--config ${path}: line ${first?.linePos?.[0].line ?? 0}: ${first?.message}`);
  }
  const value: unknown = document.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`--config ${path}: expected a mapping of FLUXNET_* variables to values`);
  }
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!/^FLUXNET_[A-Z0-9_]+$/.test(key)) {
      throw new UsageError(
        `--config ${path}: ${key}: not a node variable (expected FLUXNET_*, see docs/node-contract.md)`,
      );
    }
    if (typeof raw === 'object' && raw !== null) {
      env[key] = JSON.stringify(raw);
    } else if (raw === null || raw === undefined) {
      throw new UsageError(`--config ${path}: ${key}: has no value`);
    } else {
      env[key] = String(raw);
    }
  }
  return env;
}

export async function runNode(argv: string[]): Promise<number> {
  const index = argv.indexOf('--config');
  const path = index >= 0 ? argv[index + 1] : undefined;
  if (!path || argv.length !== 2) throw new UsageError('usage: fluxnet node --config FILE');
  Object.assign(process.env, await loadNodeConfigFile(path));
  // main.ts runs the node on import and owns the process from here (signals, exit codes).
  await import('../../reference-node/main.js');
  return await new Promise<number>(() => undefined);
}

import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startDaemonStub } from './daemon-stub.js';
import { type DaemonStubOptions, formatIssues, manifestNodeSchema, StubOptionsError } from './stub-options.js';

/**
 * `fluxnet daemon-stub`: runs the fluxd daemon stub until SIGINT/SIGTERM. View i serves RPC on
 * rpc-port + i − 1 and ZMQ on tcp://bind:(zmq-port + i − 1); port 0 picks free ports, printed at
 * start. Bad flags print the reason and exit 2.
 */

export const USAGE = `Usage: fluxnet daemon-stub [options]

Runs a fake fluxd network: one daemon view per node, JSON-RPC + ZMQ per view, a control API.

Options:
  --views N               daemon views (nodes)                          default 16
  --rpc-port P            view i answers JSON-RPC on P+i-1 (0 = free)   default 0
  --zmq-port Z            view i publishes on tcp://HOST:(Z+i-1)        default 0
  --control-port C        control API port (0 = free)                   default 0
  --rpc-user USER         RPC user                                      default fluxrpc
  --rpc-password PASS     RPC password                                  default fluxrpc
  --fluxnodes K           confirmed nodes at genesis                    default 16
  --manifest FILE         JSON array of {ip, pubkey, collateralPubkey?, tier, txid?, n?}
                          for the genesis nodes (replaces --fluxnodes)
  --block-interval-ms T   mine one block per group every T ms (0 = off) default 0
  --churn R               random lifecycle events per block             default 0
  --reorg-every B         with the ticker, reorg after every B-th block default 0
  --seed S                seed of every random choice                   default 1
  --conf-out DIR          write DIR/flux-<i>.conf per view
  --bind HOST             address to bind                               default 0.0.0.0
  -h, --help              this text
`;

const FLAGS = {
  views: { type: 'string' },
  'rpc-port': { type: 'string' },
  'zmq-port': { type: 'string' },
  'control-port': { type: 'string' },
  'rpc-user': { type: 'string' },
  'rpc-password': { type: 'string' },
  fluxnodes: { type: 'string' },
  manifest: { type: 'string' },
  'block-interval-ms': { type: 'string' },
  churn: { type: 'string' },
  'reorg-every': { type: 'string' },
  seed: { type: 'string' },
  'conf-out': { type: 'string' },
  bind: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof FLAGS; strict: true }>>['values'];

/** Flags → stub options; throws CliUsageError naming the flag. */
export async function optionsFromArgs(argv: readonly string[]): Promise<DaemonStubOptions | 'help'> {
  let values: Values;
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const int = (flag: keyof Values) => numberFlag(values, flag, /^\d+$/, 'a non-negative integer');
  const options: DaemonStubOptions = {
    bindHost: values.bind ?? '0.0.0.0',
    ...defined('views', int('views')),
    ...defined('rpcPort', int('rpc-port')),
    ...defined('zmqPort', int('zmq-port')),
    ...defined('controlPort', int('control-port')),
    ...defined('rpcUser', values['rpc-user']),
    ...defined('rpcPassword', values['rpc-password']),
    ...defined('fluxnodes', int('fluxnodes')),
    ...defined('blockIntervalMs', int('block-interval-ms')),
    ...defined('churn', numberFlag(values, 'churn', /^\d+(\.\d+)?$/, 'a non-negative number')),
    ...defined('reorgEvery', int('reorg-every')),
    ...defined('seed', int('seed')),
    ...defined('confOut', values['conf-out']),
  };
  if (values.manifest !== undefined) options.manifest = await readManifest(values.manifest);
  return options;
}

export async function runDaemonStubCli(argv: readonly string[]): Promise<number> {
  let options: DaemonStubOptions | 'help';
  try {
    options = await optionsFromArgs(argv);
  } catch (error) {
    process.stderr.write(`daemon-stub: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (line: string) => process.stdout.write(`[daemon-stub] ${line}\n`);
  let stub: Awaited<ReturnType<typeof startDaemonStub>>;
  try {
    stub = await startDaemonStub(options, { log });
  } catch (error) {
    process.stderr.write(`daemon-stub: ${(error as Error).message}\n`);
    return error instanceof StubOptionsError ? 2 : 1;
  }
  for (const view of stub.views) {
    log(`view ${view.view} rpc=${view.rpcUrl} zmq=${view.zmqEndpoint} node=${view.ownNode ?? '-'}`);
  }
  log(`control=${stub.controlUrl ?? 'off'} seed=${stub.options.seed}`);
  for (const file of stub.confFiles) log(`wrote ${file}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stub.stop();
  return 0;
}

function numberFlag(values: Values, flag: keyof Values, pattern: RegExp, expected: string): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !pattern.test(raw)) {
    throw new CliUsageError(`--${flag}: expected ${expected}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

async function readManifest(path: string): Promise<z.output<typeof manifestNodeSchema>[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliUsageError(`--manifest ${path}: ${(error as Error).message}`);
  }
  const result = z.array(manifestNodeSchema).safeParse(parsed);
  if (!result.success) throw new CliUsageError(`--manifest ${path}: ${formatIssues(result.error, 'manifest')}`);
  return result.data;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runDaemonStubCli(process.argv.slice(2));
}

/**
 * Node configuration from the environment. Every variable (docs/node-contract.md lists them too):
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | FLUXNET_NODE_IP | this node's listed address `host:port`, e.g. `198.19.0.11:16127` | required |
 * | FLUXNET_NODE_KEY | node private key: 64 hex chars, or an index 1..16 into fixtures/keys.json `nodes` | required |
 * | FLUXNET_KEYS_FILE | key fixture used by an index in FLUXNET_NODE_KEY | fixtures/keys.json |
 * | FLUXNET_API_HOST | address the HTTP/WebSocket API binds to | `0.0.0.0` |
 * | FLUXNET_API_PORT | API port | the port of FLUXNET_NODE_IP |
 * | FLUXNET_MONGO_URI | MongoDB (or FerretDB) connection string | required |
 * | FLUXNET_DB_PREFIX | prefix of every database name (several nodes can share one server) | empty |
 * | FLUXNET_DAEMON_RPC_URL | fluxd JSON-RPC URL | required |
 * | FLUXNET_DAEMON_RPC_USER / FLUXNET_DAEMON_RPC_PASSWORD | RPC Basic-auth credentials | empty |
 * | FLUXNET_DAEMON_ZMQ | fluxd ZMQ publisher, e.g. `tcp://127.0.0.1:16123`; unset = RPC polling only | unset |
 * | FLUXNET_DAEMON_TIMEOUT_MS | per-call RPC timeout | 10000 |
 * | FLUXNET_TIME_SCALE / FLUXNET_TUNABLES | tunables: scale factor and JSON overrides (tunables.ts) | production |
 * | FLUXNET_TEST_EVENT_STREAM | `true`/`1` enables `GET /flux/eventstream` (FluxOS `testEventStream`) | false |
 * | FLUXNET_APPS_DIR | folder of signed app registrations (`*.json`) known at boot | fixtures/apps |
 * | FLUXNET_SHUTDOWN_TIMEOUT_MS | bound on a SIGTERM/SIGINT shutdown before exiting anyway | 10000 |
 * | FLUXNET_LOG_LEVEL | debug, info, warn, error or silent | info |
 * | FLUXNET_REGRESSIONS | historic field bugs to reproduce, comma-separated (regressions.ts) | none |
 * | FLUXNET_BOOT_ID / FLUXNET_BOOT_ID_FILE | machine boot id, fixed or from a file the harness rewrites on a powercut (boot/boot-id.ts) | the kernel's |
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { publicKeyFromPrivate } from '../protocol/gossip/signing.js';
import { formatIssuePath } from '../protocol/validation.js';
import { findFixturesDir } from './fixture-paths.js';
import { LOG_LEVELS, type LogLevel } from './log.js';
import { loadRegressions, type RegressionName, RegressionsError } from './regressions.js';
import { loadTunables, type Tunables, TunablesError } from './tunables.js';

export interface DaemonConfig {
  rpcUrl: string;
  rpcUser: string;
  rpcPassword: string;
  zmqEndpoint: string | undefined;
  timeoutMs: number;
}

export interface NodeConfig {
  /** Listed address `host:port`: the node's identity in the deterministic list and in gossip. */
  ip: string;
  privkeyHex: string;
  /** Compressed public key derived from privkeyHex. */
  pubkeyHex: string;
  apiHost: string;
  apiPort: number;
  mongoUri: string;
  dbPrefix: string;
  daemon: DaemonConfig;
  tunables: Tunables;
  testEventStream: boolean;
  appsDir: string | undefined;
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
  /** Field bugs this node reproduces (off by default). */
  regressions: ReadonlySet<RegressionName>;
  /** Where the machine boot id comes from (read at each start by boot/boot-id.ts). */
  bootIdSource: { FLUXNET_BOOT_ID: string | undefined; FLUXNET_BOOT_ID_FILE: string | undefined };
}

/** A bad variable: the message names it and says what was expected. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor({ variable, detail }: { variable: string; detail: string }) {
    super(`${variable}: ${detail}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const PRIVKEY_HEX = /^[0-9a-fA-F]{64}$/;

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const envSchema = z.object({
  FLUXNET_NODE_IP: z
    .string()
    .regex(HOST_PORT, 'expected host:port, e.g. 198.19.0.11:16127')
    .refine((value) => Number(value.split(':').pop()) <= 65535, 'port must be <= 65535'),
  FLUXNET_NODE_KEY: z.string().min(1, 'expected 64 hex chars or a fixture index'),
  FLUXNET_KEYS_FILE: z.string().min(1).optional(),
  FLUXNET_API_HOST: z.string().min(1).default('0.0.0.0'),
  FLUXNET_API_PORT: port.optional(),
  FLUXNET_MONGO_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// URI'),
  FLUXNET_DB_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and - only')
    .default(''),
  FLUXNET_DAEMON_RPC_URL: z.url({ protocol: /^https?$/, error: 'expected an http:// URL' }),
  FLUXNET_DAEMON_RPC_USER: z.string().default(''),
  FLUXNET_DAEMON_RPC_PASSWORD: z.string().default(''),
  FLUXNET_DAEMON_ZMQ: z
    .string()
    .regex(/^tcp:\/\/.+:\d+$/, 'expected tcp://host:port')
    .optional(),
  FLUXNET_DAEMON_TIMEOUT_MS: positiveMs.default(10_000),
  FLUXNET_TEST_EVENT_STREAM: flag.default(false),
  FLUXNET_APPS_DIR: z.string().min(1).optional(),
  FLUXNET_SHUTDOWN_TIMEOUT_MS: positiveMs.default(10_000),
  FLUXNET_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

type ParsedEnv = z.infer<typeof envSchema>;

/** Reads and validates the node's configuration; throws ConfigError naming the first bad variable. */
export function loadNodeConfig(env: Record<string, string | undefined>): NodeConfig {
  const parsed = parseEnv(env);
  const privkeyHex = resolveNodeKey(parsed);
  const ipPort = Number(parsed.FLUXNET_NODE_IP.split(':').pop());
  return {
    ip: parsed.FLUXNET_NODE_IP,
    privkeyHex,
    pubkeyHex: publicKeyFromPrivate(privkeyHex),
    apiHost: parsed.FLUXNET_API_HOST,
    apiPort: parsed.FLUXNET_API_PORT ?? ipPort,
    mongoUri: parsed.FLUXNET_MONGO_URI,
    dbPrefix: parsed.FLUXNET_DB_PREFIX,
    daemon: {
      rpcUrl: parsed.FLUXNET_DAEMON_RPC_URL,
      rpcUser: parsed.FLUXNET_DAEMON_RPC_USER,
      rpcPassword: parsed.FLUXNET_DAEMON_RPC_PASSWORD,
      zmqEndpoint: parsed.FLUXNET_DAEMON_ZMQ,
      timeoutMs: parsed.FLUXNET_DAEMON_TIMEOUT_MS,
    },
    tunables: loadTunablesNamed(env),
    testEventStream: parsed.FLUXNET_TEST_EVENT_STREAM,
    appsDir: parsed.FLUXNET_APPS_DIR ?? defaultAppsDir(),
    shutdownTimeoutMs: parsed.FLUXNET_SHUTDOWN_TIMEOUT_MS,
    logLevel: parsed.FLUXNET_LOG_LEVEL,
    regressions: loadRegressionsNamed(env),
    bootIdSource: { FLUXNET_BOOT_ID: env.FLUXNET_BOOT_ID, FLUXNET_BOOT_ID_FILE: env.FLUXNET_BOOT_ID_FILE },
  };
}

function parseEnv(env: Record<string, string | undefined>): ParsedEnv {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = formatIssuePath(issue.path);
  const raw = env[variable];
  const detail = raw === undefined ? 'required but not set' : `${issue.message}, got ${JSON.stringify(raw)}`;
  throw new ConfigError({ variable, detail });
}

function loadTunablesNamed(env: Record<string, string | undefined>): Tunables {
  try {
    return loadTunables(env);
  } catch (error) {
    if (error instanceof TunablesError) {
      // TunablesError already starts with the variable's name; keep it once.
      throw new ConfigError({ variable: error.source, detail: error.message.replace(`${error.source}: `, '') });
    }
    throw error;
  }
}

function loadRegressionsNamed(env: Record<string, string | undefined>): ReadonlySet<RegressionName> {
  try {
    return loadRegressions(env);
  } catch (error) {
    if (error instanceof RegressionsError) {
      throw new ConfigError({
        variable: 'FLUXNET_REGRESSIONS',
        detail: error.message.replace('FLUXNET_REGRESSIONS: ', ''),
      });
    }
    throw error;
  }
}

function resolveNodeKey(parsed: ParsedEnv): string {
  const raw = parsed.FLUXNET_NODE_KEY.trim();
  if (PRIVKEY_HEX.test(raw)) return raw.toLowerCase();
  if (!/^\d+$/.test(raw)) {
    throw new ConfigError({
      variable: 'FLUXNET_NODE_KEY',
      detail: `expected 64 hex chars or a fixture index, got ${JSON.stringify(raw)}`,
    });
  }
  const file = parsed.FLUXNET_KEYS_FILE ?? defaultKeysFile();
  const keys = readKeysFile(file);
  const found = keys.find((key) => key.index === Number(raw));
  if (!found) {
    const indexes = keys.map((key) => key.index);
    throw new ConfigError({
      variable: 'FLUXNET_NODE_KEY',
      detail: `no node key with index ${raw} in ${file} (has ${Math.min(...indexes)}..${Math.max(...indexes)})`,
    });
  }
  return found.privkey.toLowerCase();
}

const keysFileSchema = z.object({
  nodes: z.array(z.object({ index: z.number().int(), privkey: z.string().regex(PRIVKEY_HEX) })).min(1),
});

function readKeysFile(file: string): { index: number; privkey: string }[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError({
      variable: 'FLUXNET_KEYS_FILE',
      detail: `cannot read ${file}: ${(error as Error).message}`,
    });
  }
  const result = keysFileSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError({
      variable: 'FLUXNET_KEYS_FILE',
      detail: `${file}: ${formatIssuePath(issue.path)}: ${issue.message}`,
    });
  }
  return result.data.nodes;
}

function defaultKeysFile(): string {
  const dir = findFixturesDir();
  if (!dir)
    throw new ConfigError({
      variable: 'FLUXNET_KEYS_FILE',
      detail: 'not set and no fixtures/keys.json found near the node',
    });
  return join(dir, 'keys.json');
}

function defaultAppsDir(): string | undefined {
  const dir = findFixturesDir();
  return dir ? join(dir, 'apps') : undefined;
}

import { z } from 'zod';
import { cpubkeyLength } from '../../protocol/fluxd/index.js';

/** The daemon stub's options (startDaemonStub, CLI) and node manifests, validated with zod. */

const port = z.number().int().min(0).max(65_535);

const cpubkeyHex = z
  .string()
  .regex(/^(?:[0-9a-f]{2})*$/, 'must be lowercase hex')
  .refine(
    (hex) => hex === '' || cpubkeyLength(Number.parseInt(hex.slice(0, 2), 16)) === hex.length / 2,
    'must be a CPubKey: 33 bytes starting 02/03 or 65 bytes starting 04/06/07',
  );

export const manifestNodeSchema = z.strictObject({
  ip: z.string().min(1).max(60),
  pubkey: cpubkeyHex,
  collateralPubkey: cpubkeyHex.optional(),
  tier: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  txid: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex chars')
    .optional(),
  n: z.number().int().min(0).max(0xffff_ffff).optional(),
});

export const stubOptionsSchema = z.strictObject({
  views: z.number().int().min(1).max(1000).default(16),
  /** View i answers RPC on rpcPort + i − 1; 0 = one ephemeral port per view. */
  rpcPort: port.default(0),
  /** View i publishes on tcp://bindHost:(zmqPort + i − 1); 0 = ephemeral. */
  zmqPort: port.default(0),
  /** null = no control server. */
  controlPort: port.nullable().default(0),
  rpcUser: z.string().min(1).default('fluxrpc'),
  rpcPassword: z.string().min(1).default('fluxrpc'),
  fluxnodes: z.number().int().min(0).max(100_000).default(16),
  /** > 0 starts the ticker: one block per group per interval. */
  blockIntervalMs: z.number().int().min(0).default(0),
  /** Expected random lifecycle events per block. */
  churn: z.number().min(0).max(1000).default(0),
  /** > 0: the ticker reorgs (depth 1–6) after every B-th tick. */
  reorgEvery: z.number().int().min(0).default(0),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1),
  /** Directory for flux-<i>.conf files. */
  confOut: z.string().min(1).optional(),
  bindHost: z.string().min(1).default('127.0.0.1'),
  manifest: z.array(manifestNodeSchema).optional(),
  genesisTime: z.number().int().min(0).max(0xffff_ffff).default(1_700_000_000),
  /** fluxd ignores RecordUpdated for an added outpoint (Q5); 'replace' is the fixed variant. */
  deltaUpdateOfAdded: z.enum(['ignore', 'replace']).default('ignore'),
});

export type DaemonStubOptions = z.input<typeof stubOptionsSchema>;
export type ResolvedStubOptions = z.output<typeof stubOptionsSchema>;

export class StubOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StubOptionsError';
  }
}

export function resolveStubOptions(options: DaemonStubOptions): ResolvedStubOptions {
  const parsed = stubOptionsSchema.safeParse(options);
  if (!parsed.success) throw new StubOptionsError(`daemon stub options: ${formatIssues(parsed.error, 'options')}`);
  return parsed.data;
}

/** `where.path: message` for each issue, joined. */
export function formatIssues(error: z.ZodError, root: string): string {
  return error.issues.map((issue) => `${[root, ...issue.path.map(String)].join('.')}: ${issue.message}`).join('; ');
}

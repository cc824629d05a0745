import { z } from 'zod';
import { manifestNodeSchema } from './stub-options.js';

/** Request bodies of the control API. Strict: an unknown field is a mistake worth reporting. */

const viewIndex = z.number().int().min(1);
const viewList = z.array(viewIndex).min(1);
const blockHash = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a 64-hex block hash')
  .transform((hash) => hash.toLowerCase());

export const tickerBody = z.strictObject({
  running: z.boolean(),
  intervalMs: z.number().int().min(1).max(3_600_000).optional(),
});

export const mineBody = z
  .strictObject({
    blocks: z.number().int().min(1).max(10_000).default(1),
    views: viewList.optional(),
    group: z.number().int().min(0).optional(),
  })
  .refine((body) => body.views === undefined || body.group === undefined, 'give views or group, not both');

export const appMessageBody = z.strictObject({
  hash: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be a 64-hex message hash')
    .transform((hash) => hash.toLowerCase()),
  valueSat: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  address: z.string().min(1).optional(),
});

export const groupsBody = z.strictObject({ groups: z.array(z.array(viewIndex)).min(1) });

export const blockRefBody = z.strictObject({ view: viewIndex, hash: blockHash });

export const reorgBody = z.strictObject({ depth: z.number().int().min(1), views: viewList.optional() });

export const addNodeBody = manifestNodeSchema.extend({
  confirmDelay: z.number().int().min(0).max(10_000).nullable().optional(),
  start: z.boolean().optional(),
});

export const patchNodeBody = z
  .strictObject({
    tier: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
    status: z.enum(['CONFIRMED', 'STARTED', 'DOS', 'EXPIRED']).optional(),
    keepAlive: z.boolean().optional(),
    ip: z.string().min(1).max(60).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one of tier, status, keepAlive, ip');

export const rpcFaultBody = z.strictObject({
  view: viewIndex,
  failing: z.boolean(),
  /** reset: connection dropped unanswered (default); http503: a 503 reply. */
  mode: z.enum(['reset', 'http503']).optional(),
});

export const zmqFaultBody = z.strictObject({ view: viewIndex, silent: z.boolean() });
export const stallFaultBody = z.strictObject({ view: viewIndex, stalled: z.boolean() });
export const ibdFaultBody = z.strictObject({ view: viewIndex, ibd: z.boolean() });
export const emptyBody = z.strictObject({});

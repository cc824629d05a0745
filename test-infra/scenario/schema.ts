/**
 * The scenario file format (docs/scenarios.md): a network, the steps to run on it, and for a field
 * bug the regression toggle it catches. This module is the shape (zod); load.ts reads a file and
 * names the line of every problem; checks.ts validates what the shape cannot see (node numbers
 * against the network, the order of process faults).
 *
 * A step is written as a one-key map, `- sigterm: {node: 2}`, or for a step without fields as its
 * bare kind, `- heal`. It parses to `{kind: 'sigterm', node: 2}`.
 */
import { z } from 'zod';
import { FLUX_EVENT_NAMES, isFluxEventName } from '../../protocol/events.js';
import { isRegressionName, REGRESSION_NAMES } from '../../protocol/regressions.js';
import { DURATION_HINT, parseDuration } from './duration.js';
import { closest } from './suggest.js';

/** The fixture keys hold 16 machines. */
export const MAX_NODES = 16;

export const PARTITION_SHAPES = [
  'halves',
  'isolate',
  'majority-minority',
  'ring',
  'bridge',
  'one-way',
  'random-halves',
] as const;
export type PartitionShape = (typeof PARTITION_SHAPES)[number];

/** Shapes that cut the network into exactly two sides, so daemon views can fork along them. */
export const TWO_SIDED_SHAPES: readonly PartitionShape[] = ['halves', 'isolate', 'majority-minority', 'random-halves'];

export const CONVERGENCE_CHECKS = ['event-log', 'locations', 'hashes'] as const;
export type ConvergenceCheck = (typeof CONVERGENCE_CHECKS)[number];

export const EVICTION_KINDS = ['expire', 'remove', 'lapse'] as const;

const nodeIndex = z
  .int({ error: 'expected a node number (an integer 1..16)' })
  .min(1, { error: 'node numbers start at 1' })
  .max(MAX_NODES, { error: `node numbers end at ${MAX_NODES} (the fixture keys)` });

const nodeList = z.array(nodeIndex, { error: 'expected a list of node numbers, e.g. [1, 2]' }).min(1, {
  error: 'expected at least one node',
});

const nodeOrNodes = z.union([nodeIndex, nodeList], { error: 'expected a node number or a list of node numbers' });

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** Milliseconds from `1500`, `'2s'`, `'7min'`…; `signed` allows `'-30s'`. */
function duration({ signed = false }: { signed?: boolean } = {}) {
  const hint = `expected a ${signed ? 'signed ' : ''}duration (${DURATION_HINT})`;
  return z.union([z.number(), z.string()], { error: hint }).transform((value, ctx) => {
    const ms = parseDuration(value, { signed });
    if (ms !== undefined) return ms;
    ctx.addIssue({ code: 'custom', message: `${hint}, got ${describeValue(value)}` });
    return z.NEVER;
  });
}

export const regressionName = z.string({ error: 'expected a regression toggle name' }).transform((name, ctx) => {
  if (isRegressionName(name)) return name;
  ctx.addIssue({
    code: 'custom',
    message: `${describeValue(name)} is not a regression toggle${suggestion(name, REGRESSION_NAMES)}; known: ${REGRESSION_NAMES.join(', ')}`,
  });
  return z.NEVER;
});

function suggestion(word: string, candidates: readonly string[]): string {
  const near = closest(word, candidates);
  return near ? ` (did you mean ${JSON.stringify(near)}?)` : '';
}

const eventName = z.string({ error: 'expected an SSE event name, e.g. app:running' }).refine(isFluxEventName, {
  error: (issue) =>
    `unknown SSE event ${describeValue(issue.input)}${suggestion(String(issue.input), FLUX_EVENT_NAMES)} (protocol/events.ts lists the catalogue)`,
});

const nodeOverride = z.strictObject({
  regressions: z.array(regressionName).optional(),
  env: z.record(z.string(), z.string({ error: 'environment values are strings' })).optional(),
});

const networkSchema = z.strictObject({
  nodes: z
    .int({ error: 'expected the number of machines (an integer 1..16)' })
    .min(1, { error: 'a network has at least 1 node' })
    .max(MAX_NODES, { error: `a network has at most ${MAX_NODES} nodes (the fixture keys)` }),
  seed: z.int().nonnegative().optional(),
  /** Node time scale: 0.01 runs FluxOS's 125-min TTL in 75 s. */
  timeScale: z.number().positive().max(1).optional(),
  /** Absolute tunable values (after scaling), by reference-node tunable name. */
  tunables: z.record(z.string(), z.union([z.number(), z.array(z.number())])).optional(),
  /** Machines created but not started until a `start` step. */
  deferred: nodeList.optional(),
  /** Run nodes under libfaketime so `skew-clock` works. */
  clockFaults: z.boolean().optional(),
  /** The daemon mines on its own at this interval; by default blocks come only from steps. */
  blockInterval: duration().optional(),
  overrides: z.record(z.string(), nodeOverride).optional(),
});

const single = z.strictObject({ node: nodeIndex });
const none = z.strictObject({});

/** Which checks an expectation runs, and on which nodes (default: every live node). */
const expectation = z.strictObject({
  within: duration(),
  checks: z.array(z.enum(CONVERGENCE_CHECKS)).min(1).optional(),
  nodes: nodeList.optional(),
});

const partitionStep = z
  .strictObject({
    shape: z.enum(PARTITION_SHAPES),
    /** isolate: the node cut off. */
    node: nodeIndex.optional(),
    /** The nodes the shape cuts; default every machine. */
    nodes: nodeList.optional(),
    /** majority-minority: the minority; default the last nodes. */
    minority: nodeList.optional(),
    /** one-way: packets from `from` to `to` are lost. */
    from: nodeOrNodes.optional(),
    to: nodeOrNodes.optional(),
    /** Fork the daemon views along the two sides and mine `blocks[i]` on side i; heal merges. */
    fork: z.strictObject({ blocks: z.tuple([z.int().min(0).max(1_000), z.int().min(0).max(1_000)]) }).optional(),
  })
  .superRefine((step, ctx) => {
    const allowed: Record<PartitionShape, readonly string[]> = {
      halves: ['nodes'],
      isolate: ['node', 'nodes'],
      'majority-minority': ['nodes', 'minority'],
      ring: ['nodes'],
      bridge: ['nodes'],
      'one-way': ['from', 'to'],
      'random-halves': ['nodes'],
    };
    for (const field of ['node', 'nodes', 'minority', 'from', 'to'] as const) {
      if (step[field] !== undefined && !allowed[step.shape].includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${step.shape} takes no ${field} (it takes: ${allowed[step.shape].join(', ')})`,
        });
      }
    }
    if (step.shape === 'isolate' && step.node === undefined) {
      ctx.addIssue({ code: 'custom', path: ['node'], message: 'isolate needs node: the node to cut off' });
    }
    if (step.shape === 'one-way') {
      for (const field of ['from', 'to'] as const) {
        if (step[field] === undefined) {
          ctx.addIssue({ code: 'custom', path: [field], message: `one-way needs ${field}` });
        }
      }
    }
    if (step.fork && !TWO_SIDED_SHAPES.includes(step.shape)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fork'],
        message: `fork needs two sides; ${step.shape} leaves the nodes connected (use ${TWO_SIDED_SHAPES.join(', ')})`,
      });
    }
  });

const elapseStep = z
  .strictObject({
    /** Wall-clock time. */
    wall: duration().optional(),
    /** Node time: FluxOS durations, multiplied by the network's time scale. */
    nodeTime: duration().optional(),
  })
  .refine((step) => (step.wall === undefined) !== (step.nodeTime === undefined), {
    error: 'elapse takes exactly one of wall or nodeTime',
  });

/** Every step kind and its fields. */
export const STEP_SCHEMAS = {
  'register-app': z.strictObject({
    name: z.string().min(1),
    instances: z.int().min(1).max(MAX_NODES).optional(),
    /** Index into fixtures/keys.json owners. */
    owner: z.int().nonnegative().optional(),
    /** The node the registration is posted to; default the first live node. */
    via: nodeIndex.optional(),
    timeout: duration().optional(),
  }),
  partition: partitionStep,
  heal: none,
  'heal-all': none,
  mine: z.strictObject({ blocks: z.int().min(1).max(1_000), views: nodeList.optional() }),
  reorg: z.strictObject({ depth: z.int().min(1).max(1_000), views: nodeList.optional() }),
  sigterm: single,
  powercut: z.strictObject({
    nodes: z.union([nodeList, z.literal('all')], { error: 'expected a list of node numbers or "all"' }),
    /** How long the machines stay dark before they boot again. */
    downtime: duration().optional(),
  }),
  crash: single,
  pause: single,
  unpause: single,
  /** Starts a deferred node (a late joiner), or a node stopped by sigterm or crash. */
  start: single,
  /** expire (default): dropped from the list; remove: collateral spent; lapse: stops confirming. */
  evict: z.strictObject({ node: nodeIndex, mode: z.enum(EVICTION_KINDS).optional() }),
  'skew-clock': z.strictObject({ node: nodeIndex, offset: duration({ signed: true }) }),
  'reset-clocks': none,
  'wait-for-event': z.strictObject({
    event: eventName,
    /** Nodes that may see it; default every live node. */
    nodes: nodeList.optional(),
    /** How many of them must; default all. */
    quorum: z.union([z.int().min(1), z.literal('all')], { error: 'expected a number of nodes or "all"' }).optional(),
    /** A subset of the payload (objects: these fields; arrays: these elements, in any order). */
    match: z.record(z.string(), z.unknown()).optional(),
    /** The payload's `ip` is this node's listed address. */
    ipOf: nodeIndex.optional(),
    /** Which events count: since the previous step started (default), or since the run started. */
    since: z.enum(['previous-step', 'run-start']).optional(),
    timeout: duration(),
  }),
  'expect-converged': expectation,
  'expect-diverged': expectation,
  elapse: elapseStep,
} as const;

export type StepKind = keyof typeof STEP_SCHEMAS;
export const STEP_KINDS = Object.keys(STEP_SCHEMAS) as StepKind[];
export type StepOf<K extends StepKind> = { kind: K } & z.output<(typeof STEP_SCHEMAS)[K]>;
export type Step = { [K in StepKind]: StepOf<K> }[StepKind];

function isStepKind(kind: string): kind is StepKind {
  return Object.hasOwn(STEP_SCHEMAS, kind);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An issue about a map key (an unknown kind or field) is located at the key, not its value. */
export const AT_KEY = { at: 'key' } as const;

/** `- heal` or `- sigterm: {node: 2}` -> `{kind, ...fields}`, with issues located under the kind. */
const stepSchema = z.unknown().transform((value, ctx): Step => {
  const written = typeof value === 'string' ? { kind: value, fields: {} as unknown, path: [] as string[] } : undefined;
  const entry = isPlainObject(value) ? Object.entries(value) : [];
  const mapped =
    entry.length === 1 ? { kind: entry[0]![0], fields: entry[0]![1] ?? {}, path: [entry[0]![0]] } : undefined;
  const step = written ?? mapped;
  if (!step) {
    const got = isPlainObject(value)
      ? `a map with ${entry.length === 0 ? 'no keys' : `keys ${entry.map(([key]) => key).join(', ')}`}`
      : describeValue(value);
    ctx.addIssue({
      code: 'custom',
      message: `a step is its kind (- heal) or a map with one key, its kind (- sigterm: {node: 2}); got ${got}`,
    });
    return z.NEVER;
  }
  if (!isStepKind(step.kind)) {
    ctx.addIssue({
      code: 'custom',
      path: step.path,
      params: AT_KEY,
      message: `unknown step kind ${JSON.stringify(step.kind)}${suggestion(step.kind, STEP_KINDS)}; known: ${STEP_KINDS.join(', ')}`,
    });
    return z.NEVER;
  }
  const parsed = STEP_SCHEMAS[step.kind].safeParse(step.fields);
  if (parsed.success) return { kind: step.kind, ...parsed.data } as Step;
  for (const issue of parsed.error.issues) {
    const path = [...step.path, ...issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key))];
    if (issue.code === 'unrecognized_keys') {
      const fields = Object.keys(fieldsOf(step.kind));
      for (const key of issue.keys) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, key],
          params: AT_KEY,
          message: `unknown field ${JSON.stringify(key)} of ${step.kind}${suggestion(key, fields)}; fields: ${fields.join(', ') || '(none)'}`,
        });
      }
    } else {
      ctx.addIssue({ code: 'custom', path, params: { code: issue.code }, message: issue.message });
    }
  }
  return z.NEVER;
});

/** The field schemas of a step kind (through a refinement, if any). */
function fieldsOf(kind: StepKind): Record<string, unknown> {
  const schema = STEP_SCHEMAS[kind] as unknown as { shape?: Record<string, unknown> };
  return schema.shape ?? {};
}

export const scenarioSchema = z.strictObject({
  /** Lowercase letters, digits and dashes: it names the run. */
  name: z
    .string({ error: 'expected the scenario name' })
    .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, { error: 'a name is 1..48 lowercase letters, digits and dashes' }),
  description: z.string({ error: 'expected a description of what the scenario shows' }).min(1),
  network: networkSchema,
  /** The regression toggle of the field bug this scenario reproduces. */
  catches: regressionName.optional(),
  steps: z
    .array(stepSchema, { error: 'expected a list of steps' })
    .min(1, { error: 'a scenario has at least one step' }),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioNetwork = Scenario['network'];

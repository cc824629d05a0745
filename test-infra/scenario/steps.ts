/**
 * Each step kind as one call of the harness API the suites use (Nemesis, registerApp,
 * expectConverged, waitFor, sometimes…): a scenario file is a schedule of those calls, nothing more.
 * A step resolves to a one-line summary, or throws the API's own error (a NotConvergedError with
 * per-node diffs, a WaitTimeoutError with the last events, …), which becomes the run's diagnosis.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { isSample, recordDivergence, type Sampler, sampleOnEvents, sometimes } from '../check/index.js';
import { registerApp } from '../harness/apps.js';
import { convergenceProbe, expectConverged } from '../harness/convergence.js';
import { grudgeToJson } from '../nemesis/grudge.js';
import type { Nemesis } from '../nemesis/nemesis.js';
import type { FluxNetwork } from '../network/create-network.js';
import type { HistoryEntry } from '../observe/history.js';
import { formatMs } from './duration.js';
import { matchesSubset } from './match.js';
import { grudgeOf } from './partition-shape.js';
import type { Step, StepKind, StepOf } from './schema.js';

export interface StepContext {
  network: FluxNetwork;
  nemesis: Nemesis;
  seed: number;
  /** Names expectation records in the history: `<scenario> steps[i]`. */
  label: string;
  /** App-message hashes registered so far: what the hashes check expects resolved. */
  registeredHashes: string[];
  /** Deferred machines not started yet. */
  deferred: Set<number>;
  /** History time the previous step started: wait-for-event's default window opens there. */
  previousStepStart: number;
}

type StepRunner<K extends StepKind> = (context: StepContext, step: StepOf<K>) => Promise<string>;

/** How often expect-diverged samples besides on events: a TTL expiry changes state silently. */
const DIVERGENCE_TICK_MS = 1_000;

const nodesOf = (nodes: readonly number[]) => `node${nodes.length === 1 ? '' : 's'} ${nodes.join(', ')}`;

export const STEP_RUNNERS: { [K in StepKind]: StepRunner<K> } = {
  'register-app': async ({ network, registeredHashes }, step) => {
    const message = await registerApp(network, {
      name: step.name,
      ...(step.instances === undefined ? {} : { instances: step.instances }),
      ...(step.owner === undefined ? {} : { owner: step.owner }),
      ...(step.via === undefined ? {} : { viaNode: step.via }),
      ...(step.timeout === undefined ? {} : { timeoutMs: step.timeout }),
    });
    registeredHashes.push(message.hash);
    return `${step.name} registered and stored everywhere (hash ${message.hash.slice(0, 12)}…)`;
  },

  partition: async ({ network, nemesis, seed }, step) => {
    const grudge = grudgeOf(step, { nodes: network.machines.map((machine) => machine.index), seed });
    const report = await nemesis.partition(grudge, step.fork ? { fork: { blocks: step.fork.blocks } } : {});
    return `${step.shape} ${JSON.stringify(grudgeToJson(grudge))} applied in ${formatMs(report.ms)}`;
  },

  heal: async ({ nemesis }) => {
    const report = await nemesis.heal();
    return `healed in ${formatMs(report.ms)}`;
  },

  'heal-all': async ({ nemesis }) => {
    await nemesis.healAll();
    return 'every fault undone';
  },

  mine: async ({ network }, step) => {
    const { blocks } = await network.daemon.mine({
      blocks: step.blocks,
      ...(step.views ? { views: [...step.views] } : {}),
    });
    return `mined ${blocks.length} block(s), up to height ${Math.max(...blocks.map((block) => block.height))}`;
  },

  reorg: async ({ nemesis }, step) => {
    const { branch } = await nemesis.reorg.reorg({ depth: step.depth, ...(step.views ? { views: step.views } : {}) });
    return `reorg ${step.depth} deep, new branch of ${branch.length} block(s)`;
  },

  sigterm: async ({ nemesis }, step) => {
    await nemesis.process.sigterm({ nodes: [step.node] });
    return `node ${step.node} stopped gracefully`;
  },

  powercut: async ({ nemesis }, step) => {
    await nemesis.process.powercut({ nodes: step.nodes, downtimeMs: step.downtime ?? 0 });
    const which = step.nodes === 'all' ? 'every machine' : nodesOf(step.nodes);
    return `${which} cut for ${formatMs(step.downtime ?? 0)} and booted again`;
  },

  crash: async ({ nemesis }, step) => {
    await nemesis.process.crash({ nodes: [step.node] });
    return `node ${step.node} killed (database up)`;
  },

  pause: async ({ nemesis }, step) => {
    await nemesis.process.pause({ nodes: [step.node] });
    return `node ${step.node} frozen`;
  },

  unpause: async ({ nemesis }, step) => {
    await nemesis.process.resume({ nodes: [step.node] });
    return `node ${step.node} running again`;
  },

  start: async ({ network, nemesis, deferred }, step) => {
    if (deferred.has(step.node)) {
      await network.startDeferred(step.node);
      await nemesis.joined(step.node);
      deferred.delete(step.node);
      return `node ${step.node} joined late`;
    }
    await nemesis.process.resume({ nodes: [step.node] });
    return `node ${step.node} started again`;
  },

  evict: async ({ nemesis }, step) => {
    const nodes = [step.node];
    const mode = step.mode ?? 'expire';
    if (mode === 'lapse') await nemesis.evict.lapse({ nodes });
    else if (mode === 'remove') await nemesis.evict.remove({ nodes });
    else await nemesis.evict.expire({ nodes });
    return `node ${step.node} evicted (${mode})`;
  },

  'skew-clock': async ({ nemesis }, step) => {
    nemesis.clock.set({ offsets: { [step.node]: step.offset } });
    return `node ${step.node} clock ${step.offset >= 0 ? '+' : ''}${formatMs(step.offset)}`;
  },

  'reset-clocks': async ({ nemesis }) => {
    nemesis.clock.resetClocks();
    return 'every clock back to real time';
  },

  'wait-for-event': async ({ network, previousStepStart }, step) => {
    const ip = step.ipOf === undefined ? undefined : network.node(step.ipOf).listedIp;
    const found = await network.waitFor({
      event: step.event,
      ...(step.nodes ? { nodes: step.nodes } : {}),
      ...(typeof step.quorum === 'number' ? { quorum: step.quorum } : {}),
      predicate: (payload) =>
        (ip === undefined || (payload as { ip?: unknown }).ip === ip) &&
        (step.match === undefined || matchesSubset(step.match, payload)),
      timeoutMs: step.timeout,
      since: step.since === 'run-start' ? 0 : previousStepStart,
    });
    return `${step.event} seen on ${nodesOf([...found.keys()].sort((a, b) => a - b))}`;
  },

  'expect-converged': async ({ network, label, registeredHashes }, step) => {
    const result = await expectConverged(network, {
      within: step.within,
      label,
      referencedHashes: registeredHashes,
      ...(step.nodes ? { nodes: step.nodes } : {}),
      ...(step.checks ? { checks: step.checks } : {}),
    });
    const checks = result.timings.map((timing) => `${timing.name} ${formatMs(timing.convergedAfterMs)}`).join(', ');
    return `converged after ${formatMs(result.elapsedMs)} (${checks})`;
  },

  'expect-diverged': (context, step) => expectDiverged(context, step),

  elapse: async ({ network }, step) => {
    const ms = step.wall ?? Math.round((step.nodeTime ?? 0) * network.timeScale);
    // The schedule's own timer (like a partition's duration), not a wait for something to happen.
    await delay(ms);
    return step.wall === undefined ? `${formatMs(step.nodeTime ?? 0)} of node time (${formatMs(ms)})` : formatMs(ms);
  },
};

/**
 * "Sometimes": samples the selected checks on every event (and every second) until one fails,
 * then asserts with `sometimes` that a divergence was recorded in the window. Fails, with the last
 * samples, when the nodes stayed converged for `within`.
 */
async function expectDiverged(context: StepContext, step: StepOf<'expect-diverged'>): Promise<string> {
  const { network, label, registeredHashes } = context;
  const { history } = network;
  const probe = convergenceProbe(network, {
    referencedHashes: registeredHashes,
    ...(step.nodes ? { nodes: step.nodes } : {}),
    ...(step.checks ? { checks: step.checks } : {}),
  });
  const start = history.now();
  const divergence = (entry: HistoryEntry) => isSample(entry) && !entry.ok && entry.t >= start;
  let sampler: Sampler | undefined;
  let tick: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();
  let unsubscribe: (() => void) | undefined;
  try {
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(resolve, step.within);
      unsubscribe = history.subscribe((entry) => {
        if (!divergence(entry)) return;
        clearTimeout(deadline);
        resolve();
      });
      sampler = sampleOnEvents({ history, probe });
      tick = setInterval(() => {
        ticking = ticking
          .then(async () => {
            const results = await probe();
            for (const result of Array.isArray(results) ? results : [results]) recordDivergence(history, result);
          })
          .catch((error: unknown) => {
            // Like sampleOnEvents: a broken probe is visible, not read as divergence.
            history.append({ kind: 'check', check: 'sampler', ok: false, detail: { error: String(error) } });
          });
      }, DIVERGENCE_TICK_MS);
    });
  } finally {
    clearInterval(tick);
    unsubscribe?.();
    await sampler?.stop();
    await ticking;
  }
  const found = sometimes(history, { name: label, during: { start }, predicate: divergence });
  const summary = (found.kind === 'check' && (found.detail as { summary?: string } | undefined)?.summary) || '';
  return `diverged after ${formatMs(found.t - start)}: ${summary}`;
}

export function runStep(context: StepContext, step: Step): Promise<string> {
  const run = STEP_RUNNERS[step.kind] as StepRunner<StepKind>;
  return run(context, step);
}

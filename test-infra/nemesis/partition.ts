import { performance } from 'node:perf_hooks';
import type { ActiveFault, FaultLog } from './fault-log.js';
import { checkGrudge, type Grudge, grudgeToJson } from './grudge.js';
import { type EndpointAddresses, renderRuleset } from './iptables.js';

export interface ExecResult {
  exitCode: number;
  output: string;
}

/** Applies one iptables-restore input in one node's network namespace. */
export interface RulesetRunner {
  readonly index: number;
  run(ruleset: string): Promise<ExecResult>;
}

/** A `docker exec iptables-restore` per apply: no state, but a runc start each time (see IptablesAgent). */
export function oneShotRunner(machine: {
  readonly index: number;
  execWithInput(args: { cmd: readonly string[]; input: string }): Promise<ExecResult>;
}): RulesetRunner {
  return {
    index: machine.index,
    run: (ruleset) => machine.execWithInput({ cmd: ['iptables-restore', '--noflush'], input: ruleset }),
  };
}

export interface ApplyReport {
  /** Wall time of the whole parallel apply, in ms. */
  ms: number;
  nodes: { node: number; ms: number }[];
  /** Targets left alone because they could not run a command (stopped or paused). */
  skipped: number[];
}

export class PartitionError extends Error {
  override readonly name = 'PartitionError';
}

/**
 * Gives every target its ruleset for `grudge` at once (targets the grudge does not name get the
 * empty one, which also clears anything stale). Rulesets are rendered before anything runs, so a
 * bad grudge changes nothing.
 */
export async function applyGrudge(args: {
  targets: readonly RulesetRunner[];
  grudge: Grudge;
  addresses: EndpointAddresses;
  includeDaemon?: boolean;
}): Promise<Omit<ApplyReport, 'skipped'>> {
  const rulesets = args.targets.map((target) => ({
    target,
    input: renderRuleset({
      node: target.index,
      grudge: args.grudge,
      addresses: args.addresses,
      includeDaemon: args.includeDaemon ?? false,
    }),
  }));
  const started = performance.now();
  const results = await Promise.allSettled(
    rulesets.map(async ({ target, input }) => {
      const result = await target.run(input);
      if (result.exitCode !== 0) {
        throw new PartitionError(`exit ${result.exitCode}: ${result.output.trim() || '(no output)'}`);
      }
      return { node: target.index, ms: performance.now() - started };
    }),
  );
  const ms = performance.now() - started;
  const failures = results.flatMap((result, i) =>
    result.status === 'rejected'
      ? [`node ${args.targets[i]!.index}: ${(result.reason as Error)?.message ?? String(result.reason)}`]
      : [],
  );
  if (failures.length > 0) {
    throw new PartitionError(`iptables-restore failed on ${failures.length} node(s):\n  ${failures.join('\n  ')}`);
  }
  const nodes = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  return { ms, nodes };
}

/**
 * Network partitions over a fixed set of targets. One grudge is in effect at a time: a new one
 * replaces the old in a single step per node. Stopped or paused nodes cannot run iptables; they
 * are skipped and get the current rules through `reapply` when they run again (a restarted
 * container has a fresh network namespace, so it comes back with no rules at all).
 */
export class PartitionNemesis {
  #grudge: Grudge = new Map();
  #includeDaemon = false;
  #fault: ActiveFault | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      targets: readonly RulesetRunner[];
      addresses: EndpointAddresses;
      log: FaultLog;
      /** Whether a target can run a command now; every target by default. */
      reachable?: (index: number) => boolean;
    },
  ) {}

  /** The grudge in effect; empty when healed. */
  get grudge(): Grudge {
    return this.#grudge;
  }

  get active(): boolean {
    return this.#fault !== undefined;
  }

  async start(args: { grudge: Grudge; includeDaemon?: boolean }): Promise<ApplyReport> {
    checkGrudge({
      grudge: args.grudge,
      nodes: this.deps.targets.map((target) => target.index),
      allowDaemon: args.includeDaemon ?? false,
    });
    return this.#serial(async () => {
      const detail = { grudge: grudgeToJson(args.grudge), includeDaemon: args.includeDaemon ?? false };
      if (this.#fault) this.deps.log.end(this.#fault, { replacedBy: detail });
      this.#fault = this.deps.log.start('partition', detail);
      this.#grudge = args.grudge;
      this.#includeDaemon = args.includeDaemon ?? false;
      const report = await this.#applyToReachable();
      this.deps.log.info('partition', { id: this.#fault.id, appliedMs: round(report.ms), skipped: report.skipped });
      return report;
    });
  }

  /** Heals: every reachable target gets an empty FLUXNET, whether or not a partition was recorded. */
  stop(): Promise<ApplyReport> {
    return this.#serial(async () => {
      this.#grudge = new Map();
      this.#includeDaemon = false;
      const report = await this.#applyToReachable();
      if (this.#fault) this.deps.log.end(this.#fault, { healMs: round(report.ms), skipped: report.skipped });
      this.#fault = undefined;
      return report;
    });
  }

  /**
   * Gives one target the current rules (possibly none) again: after its container started (no
   * rules at all) or was unpaused (rules of whatever grudge was in effect when it froze).
   */
  reapply(index: number): Promise<void> {
    return this.#serial(async () => {
      const target = this.deps.targets.find((candidate) => candidate.index === index);
      if (!target) throw new PartitionError(`reapply: node ${index} is not a partition target`);
      await applyGrudge({
        targets: [target],
        grudge: this.#grudge,
        addresses: this.deps.addresses,
        includeDaemon: this.#includeDaemon,
      });
      if (this.#fault) this.deps.log.info('partition', { id: this.#fault.id, reapplied: index });
    });
  }

  async #applyToReachable(): Promise<ApplyReport> {
    const reachable = this.deps.reachable ?? (() => true);
    const targets = this.deps.targets.filter((target) => reachable(target.index));
    const skipped = this.deps.targets.filter((target) => !reachable(target.index)).map((target) => target.index);
    const report = await applyGrudge({
      targets,
      grudge: this.#grudge,
      addresses: this.deps.addresses,
      includeDaemon: this.#includeDaemon,
    });
    return { ...report, skipped };
  }

  /** Partition changes run one at a time, so a reapply never interleaves with a new grudge. */
  #serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

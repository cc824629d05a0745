/**
 * "Eventually": re-evaluates checks whenever something happens until all pass or time runs out.
 *
 * A round runs at once, then on every history entry `pollOn` accepts (default: any SSE event, e.g.
 * `network:*`, `app:*`, `block:processed`), coalesced so at most one round runs and one waits. A
 * low-frequency tick (default 1 s) also triggers a round, because some changes emit no event at all:
 * a TTL expiry or a sweep removes documents silently. The check's own history entries never
 * trigger a round.
 */
import type { History, HistoryEntry } from '../observe/history.js';
import { type CheckResult, capDiff } from './check-result.js';

export type Probe = () => CheckResult | readonly CheckResult[] | Promise<CheckResult | readonly CheckResult[]>;

export interface ConvergedOptions {
  /** Each probe yields one or more named results (one DB read can feed several checkers). */
  checks: readonly Probe[];
  /** Milliseconds to reach a round in which every result is ok. */
  within: number;
  history: History;
  pollOn?: (entry: HistoryEntry) => boolean;
  /** Fallback re-evaluation period for changes that emit no event. */
  tickMs?: number;
  /** The name of the history record of the outcome. */
  label?: string;
  /** How long a round still running at the deadline may take to finish. */
  overrunMs?: number;
}

export interface CheckTiming {
  name: string;
  /**
   * Milliseconds from the start until the end of the first round of the final passing streak:
   * time-to-converge, at the resolution of the rounds.
   */
  convergedAfterMs: number;
}

/** One failing round of a check: when, its summary and the first lines of its diff. */
export interface DivergenceSample {
  atMs: number;
  summary: string;
  diff: string[];
}

/**
 * A check that failed before it passed: its first failing round (what the run diverged on) and its
 * last (what was still settling when it converged), kept for the history.
 */
export interface CheckDivergence {
  name: string;
  first: DivergenceSample;
  last: DivergenceSample;
}

/** Diff lines kept per check in a passing outcome's record (the failure message keeps them all). */
const DIVERGENCE_DIFF_LINES = 5;

export interface ConvergedResult {
  elapsedMs: number;
  rounds: number;
  timings: CheckTiming[];
  /** For each check that failed at least one round: its first and last failing rounds. */
  divergences: CheckDivergence[];
  results: CheckResult[];
}

/** Not every check passed in time; the message carries each failing check's per-node diff. */
export class NotConvergedError extends Error {
  readonly results: readonly CheckResult[];
  constructor(message: string, results: readonly CheckResult[]) {
    super(message);
    this.name = 'NotConvergedError';
    this.results = results;
  }
}

const DEFAULT_TICK_MS = 1_000;
const DEFAULT_OVERRUN_MS = 10_000;
const isSseEvent = (entry: HistoryEntry): boolean => entry.kind === 'event';

export function converged(options: ConvergedOptions): Promise<ConvergedResult> {
  return new ConvergenceWait(options).run();
}

class ConvergenceWait {
  readonly #options: ConvergedOptions;
  readonly #start: number;
  /** Per result name: when its current passing streak was first seen. */
  readonly #passingSince = new Map<string, number>();
  /** Per result name: its first and last failing rounds. */
  readonly #divergences = new Map<string, CheckDivergence>();
  /** Per probe: the names it last reported, to name a probe that throws. */
  readonly #probeNames: string[][] = [];
  #results: CheckResult[] = [];
  #rounds = 0;
  #running = false;
  #pending = false;
  #deadlinePassed = false;
  #settle: ((outcome: { ok: boolean; reason?: string }) => void) | undefined;

  constructor(options: ConvergedOptions) {
    this.#options = options;
    this.#start = options.history.now();
  }

  async run(): Promise<ConvergedResult> {
    const { history, within } = this.#options;
    const pollOn = this.#options.pollOn ?? isSseEvent;
    const outcome = new Promise<{ ok: boolean; reason?: string }>((resolve) => {
      this.#settle = resolve;
    });
    const unsubscribe = history.subscribe((entry) => {
      if (entry.kind !== 'check' && pollOn(entry)) this.#trigger();
    });
    const tick = setInterval(() => this.#trigger(), this.#options.tickMs ?? DEFAULT_TICK_MS);
    let overrun: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      this.#deadlinePassed = true;
      if (!this.#running) {
        this.#finish(false);
        return;
      }
      const overrunMs = this.#options.overrunMs ?? DEFAULT_OVERRUN_MS;
      overrun = setTimeout(
        () => this.#finish(false, `a round was still running ${overrunMs} ms after the deadline`),
        overrunMs,
      );
    }, within);
    this.#trigger();
    try {
      const { ok, reason } = await outcome;
      return this.#report(ok, reason);
    } finally {
      unsubscribe();
      clearInterval(tick);
      clearTimeout(deadline);
      clearTimeout(overrun);
    }
  }

  #trigger(): void {
    if (this.#settle === undefined || this.#deadlinePassed) return;
    if (this.#running) {
      this.#pending = true;
      return;
    }
    void this.#round();
  }

  async #round(): Promise<void> {
    this.#running = true;
    this.#pending = false;
    const results = await this.#evaluate();
    const seenAt = this.#elapsed();
    this.#rounds += 1;
    for (const result of results) {
      if (!result.ok) {
        this.#passingSince.delete(result.name);
        const sample = { atMs: seenAt, summary: result.summary, diff: capDiff(result.diff, DIVERGENCE_DIFF_LINES) };
        const first = this.#divergences.get(result.name)?.first ?? sample;
        this.#divergences.set(result.name, { name: result.name, first, last: sample });
      } else if (!this.#passingSince.has(result.name)) this.#passingSince.set(result.name, seenAt);
    }
    this.#results = results;
    this.#running = false;
    const allOk = results.length > 0 && results.every((result) => result.ok);
    if (allOk) this.#finish(true);
    else if (this.#deadlinePassed) this.#finish(false);
    else if (this.#pending) this.#trigger();
  }

  async #evaluate(): Promise<CheckResult[]> {
    const settled = await Promise.allSettled(this.#options.checks.map(async (probe) => probe()));
    return settled.flatMap((outcome, index): CheckResult[] => {
      if (outcome.status === 'fulfilled') {
        const results: CheckResult[] = Array.isArray(outcome.value)
          ? [...outcome.value]
          : [outcome.value as CheckResult];
        this.#probeNames[index] = results.map((result) => result.name);
        return results;
      }
      const message = (outcome.reason as Error)?.message ?? String(outcome.reason);
      const names = this.#probeNames[index] ?? [`check #${index + 1}`];
      return names.map((name) => ({ name, ok: false, summary: `${name}: threw: ${message}`, diff: [message] }));
    });
  }

  #finish(ok: boolean, reason?: string): void {
    const settle = this.#settle;
    this.#settle = undefined;
    settle?.(reason === undefined ? { ok } : { ok, reason });
  }

  #elapsed(): number {
    return Math.round(this.#options.history.now() - this.#start);
  }

  #report(ok: boolean, reason?: string): ConvergedResult {
    const { history, within, label = 'converged' } = this.#options;
    const elapsedMs = this.#elapsed();
    const timings = this.#results
      .filter((result) => result.ok)
      .map((result) => ({ name: result.name, convergedAfterMs: this.#passingSince.get(result.name) ?? elapsedMs }));
    const results = this.#results;
    const divergences = [...this.#divergences.values()];
    history.append({
      kind: 'check',
      check: label,
      ok,
      detail: {
        elapsedMs,
        rounds: this.#rounds,
        timings,
        ...(ok ? { divergences } : { failing: results.filter((result) => !result.ok), reason }),
      },
    });
    if (ok) return { elapsedMs, rounds: this.#rounds, timings, divergences, results };
    throw new NotConvergedError(
      failureMessage({ label, within, rounds: this.#rounds, results, timings, reason }),
      results,
    );
  }
}

function failureMessage(args: {
  label: string;
  within: number;
  rounds: number;
  results: readonly CheckResult[];
  timings: readonly CheckTiming[];
  reason?: string;
}): string {
  const { label, within, rounds, results, timings, reason } = args;
  const lines = [`${label}: not converged within ${within} ms (${rounds} rounds)${reason ? `: ${reason}` : ''}`];
  if (results.length === 0) lines.push('  no round finished');
  for (const result of results) {
    if (result.ok) {
      const since = timings.find((timing) => timing.name === result.name)?.convergedAfterMs;
      lines.push(`  ok   ${result.name} (since ${since} ms): ${result.summary}`);
      continue;
    }
    lines.push(`  FAIL ${result.name}: ${result.summary}`);
    for (const line of result.diff) lines.push(`       ${line}`);
  }
  return lines.join('\n');
}

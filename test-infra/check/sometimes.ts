/**
 * "Sometimes" assertions: a scenario requires that its fault mattered, e.g. that the caches diverged
 * at least once during a partition, so a green run cannot be vacuous.
 *
 * During the window the suite samples checks (on events, with sampleOnEvents, or at points it
 * chooses) and records each result with recordDivergence; afterwards `sometimes` looks for an entry
 * in the window that satisfies the predicate. A window with no sample at all fails too, with its own
 * message: nothing was looked at, so nothing was shown.
 */
import type { History, HistoryEntry } from '../observe/history.js';
import { type CheckResult, capDiff } from './check-result.js';

export const SAMPLE_PREFIX = 'sample:';
const SAMPLE_DIFF_LINES = 10;
const CONTEXT_SAMPLES = 5;

export interface TimeWindow {
  /** Monotonic history time (history.now()). */
  start: number;
  /** Default: now. */
  end?: number;
}

export interface SometimesOptions {
  name: string;
  during: TimeWindow;
  predicate: (entry: HistoryEntry) => boolean;
}

type CheckEntry = Extract<HistoryEntry, { kind: 'check' }>;

export class SometimesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SometimesError';
  }
}

/** Records one sampled check result; divergence is a sample with ok = false. */
export function recordDivergence(history: History, result: CheckResult): HistoryEntry {
  return history.append({
    kind: 'check',
    check: `${SAMPLE_PREFIX}${result.name}`,
    ok: result.ok,
    detail: { summary: result.summary, diff: capDiff(result.diff, SAMPLE_DIFF_LINES) },
  });
}

export function isSample(entry: HistoryEntry): entry is CheckEntry {
  return entry.kind === 'check' && entry.check.startsWith(SAMPLE_PREFIX);
}

/** Predicate: a sample of `checkName` that failed, i.e. the nodes diverged. */
export function diverged(checkName: string): (entry: HistoryEntry) => boolean {
  return (entry) => isSample(entry) && entry.check === `${SAMPLE_PREFIX}${checkName}` && !entry.ok;
}

/** Passes if some entry in the window satisfies the predicate; records the outcome; returns that entry. */
export function sometimes(history: History, options: SometimesOptions): HistoryEntry {
  const start = options.during.start;
  const end = options.during.end ?? history.now();
  const inWindow = history.entries().filter((entry) => entry.t >= start && entry.t <= end);
  const samples = inWindow.filter(isSample);
  const found = inWindow.find(options.predicate);
  const window = `${start.toFixed(0)}–${end.toFixed(0)} ms`;
  if (found) {
    history.append({
      kind: 'check',
      check: `sometimes:${options.name}`,
      ok: true,
      detail: { window: { start, end }, at: found.t, samples: samples.length },
    });
    return found;
  }
  const message =
    samples.length === 0
      ? `sometimes "${options.name}": no sample recorded in ${window} (${inWindow.length} entries): the assertion would be vacuous`
      : `sometimes "${options.name}": never held in ${window} (${samples.length} samples, ${samples.filter((s) => !s.ok).length} failing); last samples:\n${describeSamples(samples)}`;
  history.append({
    kind: 'check',
    check: `sometimes:${options.name}`,
    ok: false,
    detail: { window: { start, end }, samples: samples.length, message },
  });
  throw new SometimesError(message);
}

function describeSamples(samples: readonly CheckEntry[]): string {
  return samples
    .slice(-CONTEXT_SAMPLES)
    .map((sample) => {
      const summary = (sample.detail as { summary?: string } | undefined)?.summary ?? '';
      return `  +${sample.t.toFixed(0)}ms ${sample.check} ${sample.ok ? 'ok' : 'FAIL'} ${summary}`;
    })
    .join('\n');
}

export interface SamplerOptions {
  history: History;
  probe: () => CheckResult | readonly CheckResult[] | Promise<CheckResult | readonly CheckResult[]>;
  /** Which history entries trigger a sample (default: any SSE event). */
  pollOn?: (entry: HistoryEntry) => boolean;
}

export interface Sampler {
  /** Stops sampling once the round in flight (if any) is recorded; resolves to the number of rounds. */
  stop(): Promise<number>;
}

/**
 * Samples the probe now and on every matching event (coalesced: one round runs, one waits), and
 * records every result with recordDivergence. A probe that throws is recorded as a failed sample of
 * `sampler`, so a broken probe is visible rather than read as divergence of a real check.
 */
export function sampleOnEvents(options: SamplerOptions): Sampler {
  const pollOn = options.pollOn ?? ((entry: HistoryEntry) => entry.kind === 'event');
  let rounds = 0;
  let stopped = false;
  let pending = false;
  let inFlight: Promise<void> | undefined;

  const round = async (): Promise<void> => {
    pending = false;
    try {
      const value = await options.probe();
      const results: readonly CheckResult[] = Array.isArray(value) ? value : [value as CheckResult];
      for (const result of results) recordDivergence(options.history, result);
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      options.history.append({ kind: 'check', check: 'sampler', ok: false, detail: { error: message } });
    }
    rounds += 1;
  };
  const trigger = (): void => {
    if (stopped) return;
    if (inFlight) {
      pending = true;
      return;
    }
    inFlight = round().finally(() => {
      inFlight = undefined;
      if (pending) trigger();
    });
  };
  const unsubscribe = options.history.subscribe((entry) => {
    if (entry.kind !== 'check' && pollOn(entry)) trigger();
  });
  trigger();
  return {
    stop: async () => {
      stopped = true;
      unsubscribe();
      await inFlight;
      return rounds;
    },
  };
}

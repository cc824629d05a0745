import { describe, expect, it } from 'vitest';
import { History, type HistoryEntry } from '../observe/history.js';
import type { CheckResult } from './check-result.js';
import { diverged, isSample, recordDivergence, SometimesError, sampleOnEvents, sometimes } from './sometimes.js';

function locations(ok: boolean): CheckResult {
  return {
    name: 'locations-converged',
    ok,
    summary: ok ? 'locations: agree' : 'locations: caches differ on 1 of 1 locations',
    diff: ok ? [] : ['location web @ 198.18.0.10:16127: node 1 has hash=h broadcastedAt=1; node 2 has none'],
  };
}

/** Resolves at the next sample recorded in the history. */
function nextSample(history: History): Promise<HistoryEntry> {
  return new Promise((resolve) => {
    const unsubscribe = history.subscribe((entry) => {
      if (!isSample(entry)) return;
      unsubscribe();
      resolve(entry);
    });
  });
}

function sseEvent(history: History): void {
  history.append({ kind: 'event', node: 1, name: 'network:apprunning', id: '1-1', payload: {} });
}

describe('sometimes', () => {
  it('passes when a sample taken on an event inside the window diverged', async () => {
    const history = new History();
    let partitioned = false;
    const start = history.now();
    const first = nextSample(history);
    const sampler = sampleOnEvents({ history, probe: () => locations(!partitioned) });
    expect(await first).toMatchObject({ ok: true });
    partitioned = true;
    const during = nextSample(history);
    sseEvent(history);
    expect(await during).toMatchObject({ ok: false });
    partitioned = false;
    const rounds = await sampler.stop();
    const end = history.now();
    expect(rounds).toBeGreaterThanOrEqual(2);
    const found = sometimes(history, {
      name: 'caches diverged during the partition',
      during: { start, end },
      predicate: diverged('locations-converged'),
    });
    expect(found).toMatchObject({ kind: 'check', check: 'sample:locations-converged', ok: false });
    expect(history.entries().at(-1)).toMatchObject({
      check: 'sometimes:caches diverged during the partition',
      ok: true,
    });
  });

  it('fails as vacuous when no sample was recorded in the window', () => {
    const history = new History();
    recordDivergence(history, locations(false));
    const start = history.now();
    sseEvent(history);
    expect(() =>
      sometimes(history, { name: 'diverged', during: { start }, predicate: diverged('locations-converged') }),
    ).toThrow(/no sample recorded in .* \(1 entries\): the assertion would be vacuous/);
  });

  it('fails with the last samples when the condition never held', () => {
    const history = new History();
    const start = history.now();
    recordDivergence(history, locations(true));
    recordDivergence(history, locations(true));
    let error: unknown;
    try {
      sometimes(history, { name: 'diverged', during: { start }, predicate: diverged('locations-converged') });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SometimesError);
    const message = (error as Error).message;
    expect(message).toContain('sometimes "diverged": never held in');
    expect(message).toContain('(2 samples, 0 failing)');
    expect(message).toMatch(/\+\d+ms sample:locations-converged ok locations: agree/);
    expect(history.entries().at(-1)).toMatchObject({ check: 'sometimes:diverged', ok: false });
  });

  it('looks only inside the window', () => {
    const history = new History();
    recordDivergence(history, locations(false));
    const start = history.now();
    recordDivergence(history, locations(true));
    expect(() =>
      sometimes(history, { name: 'diverged', during: { start }, predicate: diverged('locations-converged') }),
    ).toThrow(SometimesError);
  });

  it('records a probe that throws as a failed sampler sample, not as divergence', async () => {
    const history = new History();
    const start = history.now();
    const sampler = sampleOnEvents({
      history,
      probe: () => {
        throw new Error('database unreachable');
      },
    });
    await sampler.stop();
    expect(history.entries().at(-1)).toMatchObject({
      kind: 'check',
      check: 'sampler',
      ok: false,
      detail: { error: 'database unreachable' },
    });
    expect(() =>
      sometimes(history, { name: 'diverged', during: { start }, predicate: diverged('locations-converged') }),
    ).toThrow(/vacuous/);
  });
});

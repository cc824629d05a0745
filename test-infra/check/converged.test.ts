import { describe, expect, it } from 'vitest';
import { History } from '../observe/history.js';
import type { CheckResult } from './check-result.js';
import { converged, NotConvergedError, type Probe } from './converged.js';

function result(name: string, ok: boolean, diff: string[] = []): CheckResult {
  return { name, ok, summary: `${name}: ${ok ? 'fine' : 'diverged'}`, diff };
}

function sseEvent(history: History, name: string): void {
  history.append({ kind: 'event', node: 1, name, id: '1-1', payload: {} });
}

/** A converged() whose rounds only events trigger: its tick is far beyond the test. */
function convergedOnEvents(history: History, check: Probe) {
  return converged({ history, within: 5_000, tickMs: 60_000, checks: [check] });
}

describe('converged', () => {
  it('re-evaluates on an SSE event and reports time-to-converge per check', async () => {
    const history = new History();
    let healed = false;
    let rounds = 0;
    const waiting = convergedOnEvents(history, () => {
      rounds += 1;
      return [result('early', true), result('late', healed, healed ? [] : ['node 2 lacks x'])];
    });
    expect(rounds).toBe(1);
    healed = true;
    sseEvent(history, 'network:apprunning');
    const outcome = await waiting;
    expect(outcome.rounds).toBe(2);
    const [early, late] = outcome.timings;
    expect(early?.name).toBe('early');
    expect(late?.name).toBe('late');
    expect(early!.convergedAfterMs).toBeLessThanOrEqual(late!.convergedAfterMs);
    // What converged stays on record: the first and last failing rounds of 'late', none for 'early'.
    const round = { atMs: expect.any(Number), summary: 'late: diverged', diff: ['node 2 lacks x'] };
    expect(outcome.divergences).toEqual([{ name: 'late', first: round, last: round }]);
    const record = history.entries().at(-1);
    expect(record).toMatchObject({
      kind: 'check',
      check: 'converged',
      ok: true,
      detail: { divergences: [{ name: 'late', first: { diff: ['node 2 lacks x'] } }] },
    });
  });

  it('keeps the first failing round apart from the last one', async () => {
    const history = new History();
    let rounds = 0;
    const waiting = convergedOnEvents(history, () => {
      rounds += 1;
      return result('c', rounds === 3, rounds === 3 ? [] : [`round ${rounds}`]);
    });
    sseEvent(history, 'network:apprunning');
    await new Promise(setImmediate);
    sseEvent(history, 'network:apprunning');
    const outcome = await waiting;
    expect(outcome.divergences.map(({ first, last }) => [first.diff, last.diff])).toEqual([[['round 1'], ['round 2']]]);
  });

  it('falls back to the tick for changes that emit no event (a TTL expiry)', async () => {
    const history = new History();
    const expiresAt = Date.now() + 150;
    const outcome = await converged({
      history,
      within: 5_000,
      tickMs: 50,
      checks: [() => result('expired', Date.now() >= expiresAt)],
    });
    expect(outcome.rounds).toBeGreaterThan(1);
    expect(outcome.timings[0]!.convergedAfterMs).toBeGreaterThanOrEqual(100);
  });

  it('throws with every failing check’s diff and records the failure', async () => {
    const history = new History();
    const failing = converged({
      history,
      within: 200,
      tickMs: 50,
      label: 'after partition',
      checks: [
        () =>
          result('event-log-converged', false, [
            'apprunning 198.18.0.10:16127 v2: node 1 has broadcastedAt=1; node 2 has none',
          ]),
        () => result('hashes-converged', true),
      ],
    });
    const error = await failing.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(NotConvergedError);
    const message = (error as Error).message;
    expect(message).toMatch(/^after partition: not converged within 200 ms \(\d+ rounds\)/);
    expect(message).toContain('FAIL event-log-converged: event-log-converged: diverged');
    expect(message).toContain('apprunning 198.18.0.10:16127 v2: node 1 has broadcastedAt=1; node 2 has none');
    expect(message).toMatch(/ok {3}hashes-converged \(since \d+ ms\)/);
    expect((error as NotConvergedError).results.map((r) => r.ok)).toEqual([false, true]);
    expect(history.entries().at(-1)).toMatchObject({ kind: 'check', check: 'after partition', ok: false });
  });

  it('treats a throwing probe as a failed round, named after what it reported before', async () => {
    const history = new History();
    let calls = 0;
    const outcome = await converged({
      history,
      within: 5_000,
      tickMs: 30,
      checks: [
        () => {
          calls += 1;
          if (calls === 2) throw new Error('database unreachable');
          return result('locations-converged', calls >= 4);
        },
      ],
    });
    expect(calls).toBe(4);
    expect(outcome.results).toEqual([result('locations-converged', true)]);
  });

  it('names the throwing probe in the failure message', async () => {
    const history = new History();
    const failing = converged({
      history,
      within: 100,
      tickMs: 30,
      checks: [
        () => {
          throw new Error('n3_globalzelapps.appstateevents {ip: x}: expireAt: expected epoch ms or a date');
        },
      ],
    });
    await expect(failing).rejects.toThrow('FAIL check #1: check #1: threw: n3_globalzelapps.appstateevents');
  });

  it('ignores its own check records and entries pollOn rejects', async () => {
    const history = new History();
    let rounds = 0;
    const waiting = converged({
      history,
      within: 300,
      tickMs: 60_000,
      pollOn: (entry) => entry.kind === 'event' && entry.name === 'block:processed',
      checks: [
        () => {
          rounds += 1;
          return result('x', false);
        },
      ],
    });
    history.append({ kind: 'check', check: 'sample:x', ok: false });
    sseEvent(history, 'peers:added');
    expect(rounds).toBe(1);
    sseEvent(history, 'block:processed');
    await expect(waiting).rejects.toThrow(NotConvergedError);
    expect(rounds).toBe(2);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { History, readHistoryJsonl } from './history.js';
import { WaitTimeoutError, waitForEvent } from './wait-for.js';

function event(history: History, node: number, name: string, payload: unknown = {}) {
  return history.append({ kind: 'event', node, name, id: `e-${history.entries().length}`, payload });
}

describe('waitForEvent', () => {
  test('finds events already in the history without waiting', async () => {
    const history = new History();
    event(history, 1, 'boot:settled');
    event(history, 2, 'boot:settled');
    const found = await waitForEvent(history, { nodes: [1, 2], event: 'boot:settled', timeoutMs: 1 });
    expect([...found.keys()].sort()).toEqual([1, 2]);
  });

  test('resolves when the last node reports, honouring the predicate', async () => {
    const history = new History();
    event(history, 1, 'block:processed', { height: 5 });
    const waiting = waitForEvent(history, {
      nodes: [1, 2],
      event: 'block:processed',
      predicate: (payload) => (payload as { height: number }).height >= 5,
      timeoutMs: 5_000,
    });
    event(history, 2, 'block:processed', { height: 4 });
    event(history, 2, 'block:processed', { height: 6 });
    const found = await waiting;
    expect(found.get(2)?.payload).toEqual({ height: 6 });
  });

  test('a timeout names the missing node and its last events', async () => {
    const history = new History();
    event(history, 3, 'peers:added', { ip: '198.19.0.11:16127' });
    const error = await waitForEvent(history, { nodes: [3], event: 'boot:settled', timeoutMs: 20 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toContain("'boot:settled' on node(s) 3");
    expect((error as Error).message).toContain('peers:added');
  });

  test('a quorum resolves once enough nodes saw the event, and a timeout says how many did', async () => {
    const history = new History();
    const waiting = waitForEvent(history, { nodes: [1, 2, 3], quorum: 2, event: 'app:running', timeoutMs: 5_000 });
    event(history, 3, 'app:running');
    event(history, 1, 'app:running');
    expect([...(await waiting).keys()].sort()).toEqual([1, 3]);
    const error = await waitForEvent(history, {
      nodes: [1, 2, 3],
      quorum: 3,
      event: 'app:running',
      timeoutMs: 20,
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('on node(s) 2');
  });

  test('ignores entries before `since`', async () => {
    const history = new History();
    event(history, 1, 'boot:settled');
    const since = history.now() + 0.001;
    const error = await waitForEvent(history, { nodes: [1], event: 'boot:settled', since, timeoutMs: 20 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(WaitTimeoutError);
  });
});

describe('History', () => {
  test('writes JSONL that reads back into the same entries', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fluxnet-history-')), 'history.jsonl');
    const history = new History({ jsonlPath: path });
    event(history, 1, 'boot:settled');
    history.append({ kind: 'nemesis', op: 'partition', phase: 'start', detail: { grudge: { 1: [2] } } });
    await history.close();
    expect(readHistoryJsonl(readFileSync(path, 'utf8'))).toEqual(history.entries());
  });

  test('a corrupt JSONL line is reported by line number', () => {
    expect(() => readHistoryJsonl('{"kind":"event"}\nnot json\n')).toThrow(/history line 2/);
  });
});

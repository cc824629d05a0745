import { appendFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { History, type HistoryEntry } from '../observe/history.js';
import type { HistorySource } from './history-source.js';
import { HistoryTail, type HistoryTailError } from './history-tail.js';
import { watchRuns } from './runs-watcher.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fluxnet-tail-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function newTail(errors: HistoryTailError[] = []): HistoryTail {
  const tail = new HistoryTail({ onError: (error) => errors.push(error) });
  cleanups.push(() => tail.close());
  return tail;
}

/** Resolves once the source holds `count` entries; fails naming what it has after `timeoutMs`. */
function untilCount(source: HistorySource, count: number, timeoutMs = 5_000): Promise<readonly HistoryEntry[]> {
  return new Promise((resolve, reject) => {
    if (source.entries().length >= count) return resolve(source.entries());
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`expected ${count} entries within ${timeoutMs} ms, have ${source.entries().length}`));
    }, timeoutMs);
    const unsubscribe = source.subscribe(() => {
      if (source.entries().length < count) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(source.entries());
    });
  });
}

const line = (t: number, op: string) => `${JSON.stringify({ kind: 'action', op, t, wall: 1_000 + t })}\n`;

describe('HistoryTail', () => {
  it('follows a file created after follow(), keeping each entry as written', async () => {
    const path = join(tempDir(), 'history.jsonl');
    const tail = newTail();
    tail.follow(path);
    writeFileSync(path, line(5, 'a') + line(7, 'b'));
    const entries = await untilCount(tail, 2);
    expect(entries.map((entry) => [entry.t, entry.kind === 'action' && entry.op])).toEqual([
      [5, 'a'],
      [7, 'b'],
    ]);
  });

  it('holds a cut line until its end arrives, and reports bad lines by number without stopping', async () => {
    const path = join(tempDir(), 'history.jsonl');
    const errors: HistoryTailError[] = [];
    const tail = newTail(errors);
    const whole = line(1, 'first');
    writeFileSync(path, whole.slice(0, 20));
    tail.follow(path);
    await tail.drain();
    expect(tail.entries()).toHaveLength(0);
    appendFileSync(path, `${whole.slice(20)}not json\n{"kind":"action"}\n${line(2, 'second')}`);
    await untilCount(tail, 2);
    await tail.drain();
    expect(tail.entries().map((entry) => entry.t)).toEqual([1, 2]);
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/history\.jsonl:2: not JSON/),
      expect.stringMatching(/history\.jsonl:3: not a history entry: op: .*; t: .*; wall: /),
    ]);
  });

  it('reads what a History in this process writes, across many appends', async () => {
    const path = join(tempDir(), 'run', 'history.jsonl');
    const history = new History({ jsonlPath: path });
    cleanups.push(() => void history.close());
    const tail = newTail();
    tail.follow(path);
    for (let i = 0; i < 500; i += 1)
      history.append({ kind: 'event', node: 1 + (i % 3), name: 'block:processed', id: `${i}`, payload: { height: i } });
    const entries = await untilCount(tail, 500);
    expect(entries.map((entry) => entry.kind === 'event' && entry.id)).toEqual(
      history.entries().map((entry) => entry.kind === 'event' && entry.id),
    );
    expect(entries[499]!.t).toBe(history.entries()[499]!.t);
  });

  it('starts over when the file shrinks (replaced), and says so', async () => {
    const path = join(tempDir(), 'history.jsonl');
    const errors: HistoryTailError[] = [];
    const tail = newTail(errors);
    writeFileSync(path, line(1, 'a') + line(2, 'b'));
    tail.follow(path);
    await untilCount(tail, 2);
    writeFileSync(path, line(3, 'c'));
    await untilCount(tail, 3);
    expect(tail.entries().at(-1)!.t).toBe(3);
    expect(errors[0]?.message).toMatch(/shrank/);
  });

  it('refuses a file whose directory does not exist, naming it', () => {
    const tail = newTail();
    const path = join(tempDir(), 'missing', 'history.jsonl');
    expect(() => tail.follow(path)).toThrow(/missing\/history\.jsonl: cannot watch its directory/);
  });
});

describe('watchRuns', () => {
  it('follows the history of every run directory that appears, not the old ones', async () => {
    const runsDir = tempDir();
    mkdirSync(join(runsDir, 'old'));
    writeFileSync(join(runsDir, 'old', 'history.jsonl'), line(0, 'old'));
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(runsDir, 'old'), anHourAgo, anHourAgo);
    const tail = newTail();
    const watcher = watchRuns({ runsDir, tail });
    cleanups.push(() => watcher.close());
    const first = new History({ jsonlPath: join(runsDir, 'run-a', 'history.jsonl') });
    first.append({ kind: 'action', op: 'run-started', detail: { name: 'a', size: 2 } });
    await untilCount(tail, 1);
    const second = new History({ jsonlPath: join(runsDir, 'run-b', 'history.jsonl') });
    second.append({ kind: 'action', op: 'run-started', detail: { name: 'b', size: 2 } });
    await first.close();
    await second.close();
    await untilCount(tail, 2);
    await tail.drain();
    expect(tail.entries().map((entry) => entry.kind === 'action' && (entry.detail as { name: string }).name)).toEqual([
      'a',
      'b',
    ]);
  });
});

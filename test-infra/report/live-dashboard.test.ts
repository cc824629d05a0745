import { afterEach, describe, expect, it } from 'vitest';
import { History } from '../observe/history.js';
import { type Dashboard, DashboardError, startDashboard } from './live-dashboard.js';

const open: Dashboard[] = [];
afterEach(async () => {
  for (const dashboard of open.splice(0)) await dashboard.close();
});

async function start(history: History): Promise<Dashboard> {
  const dashboard = await startDashboard({ history, nodes: 3 });
  open.push(dashboard);
  return dashboard;
}

interface SseMessage {
  id: string;
  data: { entry: { kind: string; op?: string; t: number }; nodes?: number[] | null };
}

/** Reads SSE messages from `/events` until `count` arrived; fails with what it got after `timeoutMs`. */
class SseReader {
  readonly messages: SseMessage[] = [];
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = '';

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  async until(count: number, timeoutMs = 5_000): Promise<SseMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`expected ${count} SSE messages within ${timeoutMs} ms, got ${this.messages.length}`)),
          Math.max(left, 0),
        );
      });
      const chunk = await Promise.race([this.#reader.read(), timeout]).finally(() => clearTimeout(timer));
      if (chunk.done) throw new Error(`stream ended after ${this.messages.length} of ${count} messages`);
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
      const blocks = this.#buffer.split('\n\n');
      this.#buffer = blocks.pop()!;
      for (const block of blocks) {
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id !== undefined && data !== undefined) this.messages.push({ id, data: JSON.parse(data) });
      }
    }
    return this.messages;
  }

  async ended(): Promise<boolean> {
    for (;;) {
      const chunk = await this.#reader.read();
      if (chunk.done) return true;
    }
  }
}

async function events(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const response = await fetch(new URL('events', url), { headers });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return new SseReader(response.body!);
}

describe('live dashboard server', () => {
  it('streams the backlog, then each new entry, with entry indexes as ids and the nodes a fault touches', async () => {
    const history = new History();
    history.append({ kind: 'action', op: 'run-started', detail: { size: 3 } });
    history.append({ kind: 'nemesis', op: 'partition', phase: 'start', detail: { id: 'f1', grudge: { 1: [3] } } });
    const dashboard = await start(history);
    const reader = await events(dashboard.url);
    await reader.until(2);
    history.append({ kind: 'nemesis', op: 'heal-all', phase: 'start', detail: { id: 'f2' } });
    const messages = await reader.until(3);
    expect(messages.map((m) => [m.id, m.data.entry.op, m.data.nodes])).toEqual([
      ['0', 'run-started', undefined],
      ['1', 'partition', [1, 3]],
      ['2', 'heal-all', null],
    ]);
    expect(messages[2]!.data.entry.t).toBe(history.entries()[2]!.t);
  });

  it('resumes after Last-Event-ID without repeating entries', async () => {
    const history = new History();
    for (const op of ['a', 'b', 'c']) history.append({ kind: 'action', op });
    const dashboard = await start(history);
    const reader = await events(dashboard.url, { 'last-event-id': '1' });
    history.append({ kind: 'action', op: 'd' });
    expect((await reader.until(2)).map((m) => [m.id, m.data.entry.op])).toEqual([
      ['2', 'c'],
      ['3', 'd'],
    ]);
  });

  it('serves the page, refuses other routes and methods, and ends open streams on close', async () => {
    const history = new History();
    const dashboard = await startDashboard({ history, nodes: 16 });
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(dashboard.url);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('data-nodes="16"');
    expect((await fetch(new URL('nope', dashboard.url))).status).toBe(404);
    expect((await fetch(dashboard.url, { method: 'POST' })).status).toBe(405);
    const reader = await events(dashboard.url);
    await dashboard.close();
    expect(await reader.ended()).toBe(true);
  });

  it('rejects a tile count it cannot draw', async () => {
    await expect(startDashboard({ history: new History(), nodes: 0 })).rejects.toThrow(DashboardError);
  });
});

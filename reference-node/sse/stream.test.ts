import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from './event-bus.js';
import { createEventStream, type EventStream } from './stream.js';

let server: Server | undefined;
let stream: EventStream | undefined;

afterEach(async () => {
  stream?.closeAll();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(bus: EventBus, keepaliveMs: number): Promise<string> {
  stream = createEventStream({ bus, keepaliveMs });
  const events = stream;
  server = createServer((req, res) => events.handle(req, res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** Reads the response body until `done(text)` holds. */
async function readUntil(response: Response, done: (text: string) => boolean): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!done(text)) {
    const { value, done: ended } = await reader.read();
    if (ended) throw new Error(`stream ended early: ${text}`);
    text += value;
  }
  await reader.cancel();
  return text;
}

describe('event stream', () => {
  it('replays after Last-Event-ID, then streams live frames and keepalives', async () => {
    const bus = new EventBus({ enabled: true, epoch: 'e1', bufferSize: 10, validate: true });
    bus.publish('block:processed', { height: 1 });
    bus.publish('block:processed', { height: 2 });
    const url = await serve(bus, 20);
    const response = await fetch(url, { headers: { 'last-event-id': 'e1-1' } });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const live = readUntil(response, (text) => text.includes('explorer:ready') && text.includes(': keepalive'));
    bus.publish('explorer:ready', { height: 2 });
    const text = await live;
    expect(text).toContain('event: block:processed\ndata: {"height":2}\nid: e1-2\n\n');
    expect(text).not.toContain('"height":1}');
    expect(text).toContain('event: explorer:ready\ndata: {"height":2}\nid: e1-3\n\n');
  });
});

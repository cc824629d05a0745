/**
 * `GET /flux/eventstream`: one long-lived text/event-stream response per client. Replays the ring
 * buffer after `Last-Event-ID`, then streams live events; a comment line every keepalive period
 * keeps proxies and idle timeouts from cutting the stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BusEvent, EventBus } from './event-bus.js';

export interface EventStreamOptions {
  bus: EventBus;
  keepaliveMs: number;
}

export interface EventStream {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Ends every open stream (shutdown). */
  closeAll(): void;
  readonly clientCount: number;
}

export function formatSseFrame(event: BusEvent): string {
  return `event: ${event.name}\ndata: ${event.data}\nid: ${event.id}\n\n`;
}

export function createEventStream(options: EventStreamOptions): EventStream {
  const open = new Set<ServerResponse>();

  function handle(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': connected\n\n');
    const lastEventId = headerValue(req.headers['last-event-id']);
    for (const event of options.bus.replayAfter(lastEventId)) res.write(formatSseFrame(event));
    const unsubscribe = options.bus.subscribe((event) => res.write(formatSseFrame(event)));
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), options.keepaliveMs);
    open.add(res);
    const cleanup = (): void => {
      clearInterval(keepalive);
      unsubscribe();
      open.delete(res);
    };
    res.on('close', cleanup);
    res.on('error', cleanup);
  }

  return {
    handle,
    closeAll: () => {
      for (const res of open) res.end();
    },
    get clientCount() {
      return open.size;
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The live dashboard: a small HTTP server on loopback. `GET /` serves the tiles page;
 * `GET /events` streams the history as SSE, one entry per message (`{entry, nodes?}`, `nodes` being
 * the lanes a nemesis record touches), the backlog first. Message ids are entry indexes, so a
 * reconnecting EventSource resumes after its Last-Event-ID without duplicates.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HistoryEntry } from '../observe/history.js';
import { dashboardPage } from './dashboard-page.js';
import { affectedNodes } from './fault-windows.js';
import type { HistorySource } from './history-source.js';

export interface DashboardOptions {
  history: HistorySource;
  /** Tiles shown before a run says its size (its run-started record). */
  nodes: number;
  /** 0 (default) = an ephemeral port. */
  port?: number;
  host?: string;
  title?: string;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export class DashboardError extends Error {
  override readonly name = 'DashboardError';
}

const BACKLOG_BATCH = 1_000;

function message(entry: HistoryEntry, index: number): string {
  const nodes = entry.kind === 'nemesis' ? (affectedNodes(entry.detail) ?? null) : undefined;
  return `id: ${index}\ndata: ${JSON.stringify(nodes === undefined ? { entry } : { entry, nodes })}\n\n`;
}

/** The index to resume from: one past the client's Last-Event-ID, or 0 for a new client. */
function resumeIndex(request: IncomingMessage): number {
  const raw = request.headers['last-event-id'];
  const last = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : -1;
  return last + 1;
}

function streamEvents(args: {
  request: IncomingMessage;
  response: ServerResponse;
  history: HistorySource;
  streams: Set<ServerResponse>;
}): void {
  const { request, response, history, streams } = args;
  // `close`: the stream owns its connection, so ending it on shutdown closes the socket cleanly.
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'close',
  });
  streams.add(response);
  response.write('retry: 1000\n\n');
  const backlog = history.entries();
  // An id past the end comes from another dashboard (or run): such a client starts over.
  const from = resumeIndex(request) <= backlog.length ? resumeIndex(request) : 0;
  // The backlog is written synchronously, so no entry can be appended between it and subscribing.
  for (let start = from; start < backlog.length; start += BACKLOG_BATCH) {
    const end = Math.min(start + BACKLOG_BATCH, backlog.length);
    const chunk: string[] = [];
    for (let i = start; i < end; i += 1) chunk.push(message(backlog[i]!, i));
    response.write(chunk.join(''));
  }
  const unsubscribe = history.subscribe((entry) => {
    response.write(message(entry, history.entries().length - 1));
  });
  response.on('close', () => {
    unsubscribe();
    streams.delete(response);
  });
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 1000) {
    throw new DashboardError(`startDashboard: nodes must be an integer 1..1000, got ${options.nodes}`);
  }
  const page = dashboardPage({ nodes: options.nodes, ...(options.title ? { title: options.title } : {}) });
  const streams = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://dashboard').pathname;
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).end(page);
    } else if (path === '/events') {
      streamEvents({ request, response, history: options.history, streams });
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`no route ${path}\n`);
    }
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new DashboardError(`dashboard: cannot listen on ${host}:${options.port ?? 0} (${error.message})`)),
    );
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const stream of streams) stream.end();
        server.closeIdleConnections();
      }),
  };
}

/**
 * The node's HTTP API (node:http): routes of docs/node-contract.md, plus the `/ws/flux` upgrade.
 * Every handler error becomes a JSON error reply; nothing a client sends can crash the node.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import type { EventStream } from '../sse/stream.js';
import { HttpError, readJsonBody, sendError, sendJson, sendSuccess } from './json.js';

export interface HealthReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

export interface ApiHandlers {
  /** Undefined when the test event stream is disabled: the route answers 404. */
  eventStream: EventStream | undefined;
  info(): unknown;
  /** fluxnet extension: counters (gossip verdicts, peers, explorer) for the harness. */
  stats(): unknown;
  health(): HealthReport;
  cachedLocations(name: string | undefined): Promise<unknown[]>;
  viewLocations(filter: { name?: string; ip?: string }): Promise<unknown[]>;
  registerApp(body: unknown): Promise<unknown>;
  daemonNodeStatus(): Promise<unknown>;
  /** `/ws/flux` peer connections. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface ApiServerOptions {
  handlers: ApiHandlers;
  logger: Logger;
  maxBodyBytes?: number;
}

const PEER_PATH = '/ws/flux';
const DEFAULT_MAX_BODY = 1_000_000;

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export function createApiServer(options: ApiServerOptions): Server {
  const { handlers, logger } = options;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;

  const routes: { method: string; pattern: RegExp; route: Route }[] = [
    {
      method: 'GET',
      pattern: /^\/flux\/eventstream$/,
      route: (req, res) => {
        if (!handlers.eventStream) throw new HttpError({ status: 404, message: 'test event stream is disabled' });
        handlers.eventStream.handle(req, res);
      },
    },
    { method: 'GET', pattern: /^\/flux\/info$/, route: (_req, res) => sendSuccess(res, handlers.info()) },
    { method: 'GET', pattern: /^\/flux\/stats$/, route: (_req, res) => sendSuccess(res, handlers.stats()) },
    {
      method: 'GET',
      pattern: /^\/health$/,
      route: (_req, res) => {
        const report = handlers.health();
        sendJson(res, report.ready ? 200 : 503, report);
      },
    },
    {
      method: 'GET',
      pattern: /^\/apps\/location(?:\/([^/]+))?$/,
      route: async (_req, res, url) => {
        const name = decodeSegment(/^\/apps\/location\/([^/]+)$/.exec(url.pathname)?.[1]);
        sendSuccess(res, await handlers.cachedLocations(name));
      },
    },
    {
      method: 'GET',
      pattern: /^\/apps\/locations\/view$/,
      route: async (_req, res, url) => {
        const name = url.searchParams.get('name') ?? undefined;
        const ip = url.searchParams.get('ip') ?? undefined;
        sendSuccess(res, await handlers.viewLocations({ ...(name ? { name } : {}), ...(ip ? { ip } : {}) }));
      },
    },
    {
      method: 'POST',
      pattern: /^\/apps\/register$/,
      route: async (req, res) => sendSuccess(res, await handlers.registerApp(await readJsonBody(req, maxBody))),
    },
    {
      method: 'GET',
      pattern: /^\/daemon\/getfluxnodestatus$/,
      route: async (_req, res) => sendSuccess(res, await handlers.daemonNodeStatus()),
    },
  ];

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://node.invalid');
    const matching = routes.filter((entry) => entry.pattern.test(url.pathname));
    if (matching.length === 0) throw new HttpError({ status: 404, message: `no route ${url.pathname}` });
    const entry = matching.find((candidate) => candidate.method === req.method);
    if (!entry) throw new HttpError({ status: 405, message: `${req.method} not allowed on ${url.pathname}` });
    await entry.route(req, res, url);
  }

  const server = createServer((req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendError(res, error.status, error.message);
        return;
      }
      logger.error('http handler failed', { method: req.method, url: req.url, error });
      sendError(res, 500, (error as Error).message ?? 'internal error');
    });
  });

  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://node.invalid').pathname;
    if (path !== PEER_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    handlers.upgrade(req, socket, head);
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  return server;
}

function decodeSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError({ status: 400, message: `malformed path segment ${JSON.stringify(segment)}` });
  }
}

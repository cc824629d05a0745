import { Buffer } from 'node:buffer';
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { boundPort, closeServer, listenOn } from './http-lifecycle.js';
import type { RpcJournal } from './journal.js';
import { httpStatusFor, RPC_ERROR, RpcError } from './rpc-errors.js';
import { callMethod, RawJson, type RpcContext } from './rpc-methods.js';

/**
 * One view's JSON-RPC endpoint over node:http, with fluxd's envelope (§6): Basic auth, compact
 * `{"result","error","id"}` + newline, no `jsonrpc` key, batches as arrays, HTTP status by code.
 */

/** How a failing daemon answers: `reset` drops the connection unanswered (a crashed daemon), `http503` replies 503. */
export type RpcFailureMode = 'none' | 'reset' | 'http503';

export interface RpcServerOptions {
  /** 1-based view this server answers for. */
  view: number;
  host: string;
  /** 0 = ephemeral. */
  port: number;
  user: string;
  password: string;
  /** The context for one call, read fresh so a reset or fault toggle applies at once. */
  context: () => RpcContext;
  failure: () => RpcFailureMode;
  journal: RpcJournal;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

interface Envelope {
  text: string;
  code: number | null;
}

export class RpcServer {
  private readonly options: RpcServerOptions;
  private readonly server: Server;
  private readonly expectedAuth: Buffer;

  constructor(options: RpcServerOptions) {
    this.options = options;
    this.expectedAuth = Buffer.from(`Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // A bug here must not take the stub down; answer as fluxd does for a runtime error.
        if (!res.headersSent) sendEnvelope(res, 500, errorEnvelope(RPC_ERROR.MISC, String(error), null).text);
      });
    });
  }

  listen(): Promise<number> {
    return listenOn(this.server, { port: this.options.port, host: this.options.host });
  }

  get port(): number {
    return boundPort(this.server);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const failure = this.options.failure();
    if (failure === 'reset') {
      req.socket.destroy();
      return;
    }
    if (failure === 'http503') {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('Service Unavailable\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { 'Content-Type': 'text/plain' }).end('JSONRPC server handles only POST requests');
      return;
    }
    if (!this.authorized(req)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="jsonrpc"', 'Content-Type': 'text/html' }).end();
      return;
    }
    const body = await readBody(req);
    if (body === null) {
      res.writeHead(413, { 'Content-Type': 'text/plain' }).end('Request body too large\n');
      return;
    }
    let request: unknown;
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      sendEnvelope(res, 500, errorEnvelope(RPC_ERROR.PARSE_ERROR, 'Parse error', null).text);
      return;
    }
    if (Array.isArray(request)) {
      const replies = request.map((item) => this.execute(item).text);
      sendEnvelope(res, 200, `[${replies.join(',')}]`);
      return;
    }
    const reply = this.execute(request);
    sendEnvelope(res, reply.code === null ? 200 : httpStatusFor(reply.code), reply.text);
  }

  private authorized(req: IncomingMessage): boolean {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === this.expectedAuth.length && timingSafeEqual(given, this.expectedAuth);
  }

  /** One request object → its envelope; never throws. */
  private execute(request: unknown): Envelope {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return errorEnvelope(RPC_ERROR.INVALID_REQUEST, 'Invalid Request object', null);
    }
    const { id = null, method, params } = request as { id?: unknown; method?: unknown; params?: unknown };
    if (method === undefined) return errorEnvelope(RPC_ERROR.INVALID_REQUEST, 'Missing method', id);
    if (typeof method !== 'string') return errorEnvelope(RPC_ERROR.INVALID_REQUEST, 'Method must be a string', id);
    if (params !== undefined && params !== null && !Array.isArray(params)) {
      return errorEnvelope(RPC_ERROR.INVALID_REQUEST, 'Params must be an array', id);
    }
    const args = (params ?? []) as unknown[];
    const time = new Date().toISOString();
    try {
      const result = callMethod(this.options.context(), method, args);
      this.options.journal.record({ view: this.options.view, method, params: args, time, error: null });
      return { text: envelope(result, 'null', id), code: null };
    } catch (thrown) {
      const error =
        thrown instanceof RpcError
          ? thrown
          : new RpcError(RPC_ERROR.MISC, (thrown as Error)?.message ?? String(thrown));
      this.options.journal.record({
        view: this.options.view,
        method,
        params: args,
        time,
        error: { code: error.code, message: error.message },
      });
      return errorEnvelope(error.code, error.message, id);
    }
  }
}

function envelope(result: unknown, errorJson: string, id: unknown): string {
  const resultJson = result instanceof RawJson ? result.text : JSON.stringify(result ?? null);
  return `{"result":${resultJson},"error":${errorJson},"id":${JSON.stringify(id ?? null)}}`;
}

function errorEnvelope(code: number, message: string, id: unknown): Envelope {
  return { text: envelope(null, JSON.stringify({ code, message }), id), code };
}

function sendEnvelope(res: ServerResponse, status: number, text: string): void {
  // One UTF-8 encode of a possibly multi-megabyte reply, not one to measure it and one to send it.
  const body = Buffer.from(`${text}\n`, 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length }).end(body);
}

/** The request body, or null past the size limit. */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

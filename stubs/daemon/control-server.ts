import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { z } from 'zod';
import {
  addNodeBody,
  appMessageBody,
  blockRefBody,
  emptyBody,
  groupsBody,
  ibdFaultBody,
  mineBody,
  patchNodeBody,
  reorgBody,
  rpcFaultBody,
  stallFaultBody,
  tickerBody,
  zmqFaultBody,
} from './control-schemas.js';
import type { DaemonCore, NodeAction } from './daemon-core.js';
import { boundPort, closeServer, listenOn } from './http-lifecycle.js';
import { formatIssues } from './stub-options.js';

/**
 * The stub's control API: HTTP + JSON on one port. Bad input answers 400 `{error}` naming the
 * field; unknown routes 404; nothing a client sends can take the stub down.
 */

export interface ControlTicker {
  readonly running: boolean;
  readonly intervalMs: number;
  start(intervalMs: number): void;
  stop(): void;
}

export interface ControlServerOptions {
  host: string;
  port: number;
  core: DaemonCore;
  ticker: ControlTicker;
  /** Interval the ticker uses when started without one. */
  defaultIntervalMs: number;
}

/** A request the route table matched: path params, parsed query and raw JSON body. */
interface Request {
  params: string[];
  query: URLSearchParams;
  body: unknown;
}

type Handler = (request: Request) => unknown;

interface Route {
  method: 'GET' | 'POST' | 'PATCH';
  path: RegExp;
  handler: Handler;
}

class BadRequest extends Error {}

const MAX_BODY_BYTES = 1024 * 1024;
/** Errors the core raises for input naming something absent or impossible: the caller's fault. */
const CALLER_ERRORS = new Set(['ControlError', 'ViewSetError', 'ViewError', 'RegistryError', 'AddressError']);

export class ControlServer {
  private readonly server: Server;
  private readonly routes: Route[];
  private readonly options: ControlServerOptions;

  constructor(options: ControlServerOptions) {
    this.options = options;
    this.routes = this.buildRoutes();
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: `internal: ${(error as Error)?.message ?? String(error)}` });
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
    const url = new URL(req.url ?? '/', 'http://control');
    const match = this.match(req.method ?? 'GET', url.pathname);
    if (!match) {
      sendJson(res, 404, { error: `no route ${req.method} ${url.pathname}` });
      return;
    }
    try {
      const body = await readJsonBody(req);
      const result = match.route.handler({ params: match.params, query: url.searchParams, body });
      sendJson(res, 200, result ?? { ok: true });
    } catch (error) {
      const err = error as Error;
      if (error instanceof BadRequest || CALLER_ERRORS.has(err?.name)) {
        sendJson(res, 400, { error: `${req.method} ${url.pathname}: ${err.message}` });
        return;
      }
      sendJson(res, 500, { error: `${req.method} ${url.pathname}: internal: ${err?.message ?? String(error)}` });
    }
  }

  private match(method: string, path: string): { route: Route; params: string[] } | undefined {
    for (const route of this.routes) {
      const found = route.method === method ? route.path.exec(path) : null;
      if (found) return { route, params: found.slice(1).map((part) => decodeURIComponent(part)) };
    }
    return undefined;
  }

  private buildRoutes(): Route[] {
    const { core, ticker } = this.options;
    const nodeActions: NodeAction[] = ['start', 'confirm', 'expire', 'remove', 'restore'];
    return [
      { method: 'GET', path: /^\/state$/, handler: () => ({ ...core.stateJson(), ticker: tickerState(ticker) }) },
      {
        method: 'GET',
        path: /^\/journal$/,
        handler: ({ query }) => {
          const view = query.get('view');
          const method = query.get('method');
          if (view !== null && !/^\d+$/.test(view)) throw new BadRequest('query.view: must be a view number');
          return core.journal.list({
            ...(view === null ? {} : { view: Number(view) }),
            ...(method === null ? {} : { method }),
          });
        },
      },
      {
        method: 'POST',
        path: /^\/ticker$/,
        handler: ({ body }) => {
          const input = parse(tickerBody, body);
          if (input.running) ticker.start(input.intervalMs ?? (ticker.intervalMs || this.options.defaultIntervalMs));
          else ticker.stop();
          return tickerState(ticker);
        },
      },
      {
        method: 'POST',
        path: /^\/mine$/,
        handler: ({ body }) => {
          const input = parse(mineBody, body);
          const blocks = core.mine({
            blocks: input.blocks,
            ...(input.views ? { views: input.views } : {}),
            ...(input.group === undefined ? {} : { group: input.group }),
          });
          return { blocks: blocks.map(blockRef) };
        },
      },
      {
        method: 'POST',
        path: /^\/app-message$/,
        handler: ({ body }) => {
          const input = parse(appMessageBody, body);
          core.queueAppMessage({
            hash: input.hash,
            ...(input.valueSat === undefined ? {} : { valueSat: BigInt(input.valueSat) }),
            ...(input.address === undefined ? {} : { address: input.address }),
          });
          return { queued: input.hash };
        },
      },
      {
        method: 'POST',
        path: /^\/groups$/,
        handler: ({ body }) => {
          core.sim.setGroups(parse(groupsBody, body).groups);
          return { groups: core.sim.groupList };
        },
      },
      {
        method: 'POST',
        path: /^\/merge$/,
        handler: ({ body }) => {
          parse(emptyBody, body);
          core.sim.merge();
          return tips(core);
        },
      },
      {
        method: 'POST',
        path: /^\/invalidateblock$/,
        handler: ({ body }) => {
          const input = parse(blockRefBody, body);
          core.sim.invalidate(input.view, core.block(input.view, input.hash));
          return tips(core);
        },
      },
      {
        method: 'POST',
        path: /^\/reconsiderblock$/,
        handler: ({ body }) => {
          const input = parse(blockRefBody, body);
          core.sim.reconsider(input.view, core.block(input.view, input.hash));
          return tips(core);
        },
      },
      {
        method: 'POST',
        path: /^\/reorg$/,
        handler: ({ body }) => {
          const input = parse(reorgBody, body);
          const branch = core.sim.reorg({ depth: input.depth, ...(input.views ? { views: input.views } : {}) });
          return { branch: branch.map(blockRef), ...tips(core) };
        },
      },
      {
        method: 'POST',
        path: /^\/nodes$/,
        handler: ({ body }) => {
          const { key, identity } = core.addNode(parse(addNodeBody, body));
          return { key, identity };
        },
      },
      {
        method: 'GET',
        path: /^\/nodes\/([^/]+)$/,
        handler: ({ params }) => nodeInfo(core, params[0]!),
      },
      {
        method: 'POST',
        path: /^\/nodes\/([^/]+)\/([a-z]+)$/,
        handler: ({ params, body }) => {
          const action = params[1] as NodeAction;
          if (!nodeActions.includes(action)) throw new BadRequest(`action must be one of ${nodeActions.join(', ')}`);
          parse(emptyBody, body);
          return { key: core.nodeAction(params[0]!, action), queued: action };
        },
      },
      {
        method: 'PATCH',
        path: /^\/nodes\/([^/]+)$/,
        handler: ({ params, body }) => ({ key: core.patchNode(params[0]!, parse(patchNodeBody, body)) }),
      },
      {
        method: 'POST',
        path: /^\/faults\/rpc$/,
        handler: ({ body }) => {
          const input = parse(rpcFaultBody, body);
          core.faults(input.view).rpc = input.failing ? (input.mode ?? 'reset') : 'none';
          return core.faults(input.view);
        },
      },
      {
        method: 'POST',
        path: /^\/faults\/zmq$/,
        handler: ({ body }) => {
          const input = parse(zmqFaultBody, body);
          core.faults(input.view).zmqSilent = input.silent;
          return core.faults(input.view);
        },
      },
      {
        method: 'POST',
        path: /^\/faults\/ibd$/,
        handler: ({ body }) => {
          const input = parse(ibdFaultBody, body);
          core.faults(input.view).ibd = input.ibd;
          return core.faults(input.view);
        },
      },
      {
        method: 'POST',
        path: /^\/faults\/stall$/,
        handler: ({ body }) => {
          const input = parse(stallFaultBody, body);
          core.sim.view(input.view).setStalled(input.stalled);
          return { view: input.view, stalled: input.stalled, height: core.sim.view(input.view).height };
        },
      },
      {
        method: 'POST',
        path: /^\/reset$/,
        handler: ({ body }) => {
          parse(emptyBody, body);
          core.reset();
          return tips(core);
        },
      },
    ];
  }
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw new BadRequest(formatIssues(result.error, 'body'));
  return result.data;
}

function blockRef(block: { height: number; hash: string }): { height: number; hash: string } {
  return { height: block.height, hash: block.hash };
}

function tips(core: DaemonCore): { tips: { view: number; height: number; hash: string }[] } {
  return { tips: core.sim.views.map((view) => ({ view: view.index, height: view.height, hash: view.tip.hash })) };
}

function tickerState(ticker: ControlTicker): { running: boolean; intervalMs: number } {
  return { running: ticker.running, intervalMs: ticker.intervalMs };
}

function nodeInfo(core: DaemonCore, ref: string): Record<string, unknown> {
  const key = core.nodeKey(ref);
  const operator = core.sim.registry.get(key)!;
  return {
    key,
    identity: operator.identity,
    confirmDelay: operator.confirmDelay,
    keepAlive: operator.keepAlive,
    locations: core.sim.views.map((view) => ({ view: view.index, location: view.state.locate(key) })),
  };
}

/** The parsed JSON body; undefined when empty. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`body: larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequest(`body: invalid JSON (${(error as Error).message})`);
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

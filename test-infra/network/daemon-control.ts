import type { History } from '../observe/history.js';

export class DaemonControlError extends Error {}

/** How a view's RPC fails: `reset` drops the connection unanswered, `http503` answers 503. */
export type RpcFailureMode = 'none' | 'reset' | 'http503';

export interface DaemonViewFaults {
  rpc: RpcFailureMode;
  /** Frames are built (sequence numbers advance) but never sent. */
  zmqSilent: boolean;
  /** Initial block download: node-list calls answer -10. */
  ibd: boolean;
}

export interface DaemonViewState extends DaemonViewFaults {
  view: number;
  height: number;
  tip: string;
  stalled: boolean;
  ownNode: string | null;
  listed: number;
  started: number;
  dos: number;
}

/** GET /state. */
export interface DaemonState {
  views: DaemonViewState[];
  /** View groups that only hear their own blocks; null when merged. */
  groups: number[][] | null;
  blocks: number;
  mempool: number;
  registeredNodes: number;
  churn: unknown;
  ticker: { running: boolean; intervalMs: number };
}

export interface BlockRef {
  height: number;
  hash: string;
}

export interface ViewTip {
  view: number;
  height: number;
  hash: string;
}

export type NodeLocation = 'listed' | 'started' | 'dos' | 'none';
export type DaemonNodeAction = 'start' | 'confirm' | 'expire' | 'remove' | 'restore';

/** GET /nodes/:ref: where one registered fluxnode is on each view's chain. */
export interface DaemonNodeInfo {
  key: string;
  identity: unknown;
  confirmDelay: number | null;
  keepAlive: boolean;
  locations: { view: number; location: NodeLocation }[];
}

/** A registered node: its 1-based registration number (machine index in a run) or `txid:n`. */
export type NodeRef = number | string;

/**
 * Client of the daemon stub's control API. Every call is recorded in the run history, so a report
 * can show which chain events the harness caused.
 */
export class DaemonControl {
  constructor(private readonly options: { baseUrl: string; history: History }) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  state(): Promise<DaemonState> {
    return this.#call({ method: 'GET', path: '/state' }) as Promise<DaemonState>;
  }

  mine(args: { blocks: number; views?: number[]; group?: number }): Promise<{ blocks: BlockRef[] }> {
    return this.#call({ method: 'POST', path: '/mine', body: args }) as Promise<{ blocks: BlockRef[] }>;
  }

  ticker(args: { running: boolean; intervalMs?: number }): Promise<unknown> {
    return this.#call({ method: 'POST', path: '/ticker', body: args });
  }

  queueAppMessage(args: { hash: string }): Promise<unknown> {
    return this.#call({ method: 'POST', path: '/app-message', body: args });
  }

  group(args: { groups: number[][] }): Promise<{ groups: number[][] }> {
    return this.#call({ method: 'POST', path: '/groups', body: args }) as Promise<{ groups: number[][] }>;
  }

  merge(): Promise<{ tips: ViewTip[] }> {
    return this.#call({ method: 'POST', path: '/merge' }) as Promise<{ tips: ViewTip[] }>;
  }

  reorg(args: { depth: number; views?: number[] }): Promise<{ branch: BlockRef[]; tips: ViewTip[] }> {
    return this.#call({ method: 'POST', path: '/reorg', body: args }) as Promise<{
      branch: BlockRef[];
      tips: ViewTip[];
    }>;
  }

  /** A view's RPC fails (connection reset by default) or answers again. */
  rpcFault(args: { view: number; failing: boolean; mode?: 'reset' | 'http503' }): Promise<DaemonViewFaults> {
    return this.#call({ method: 'POST', path: '/faults/rpc', body: args }) as Promise<DaemonViewFaults>;
  }

  /** A view's ZMQ publisher goes silent or speaks again. */
  zmqFault(args: { view: number; silent: boolean }): Promise<DaemonViewFaults> {
    return this.#call({ method: 'POST', path: '/faults/zmq', body: args }) as Promise<DaemonViewFaults>;
  }

  /** A view reports initial block download or stops doing so. */
  ibdFault(args: { view: number; ibd: boolean }): Promise<DaemonViewFaults> {
    return this.#call({ method: 'POST', path: '/faults/ibd', body: args }) as Promise<DaemonViewFaults>;
  }

  /** A view's tip stops moving (it hears no blocks) or catches up again. */
  stallFault(args: { view: number; stalled: boolean }): Promise<{ view: number; stalled: boolean; height: number }> {
    return this.#call({ method: 'POST', path: '/faults/stall', body: args }) as Promise<{
      view: number;
      stalled: boolean;
      height: number;
    }>;
  }

  nodeInfo(node: NodeRef): Promise<DaemonNodeInfo> {
    return this.#call({ method: 'GET', path: nodePath(node) }) as Promise<DaemonNodeInfo>;
  }

  /** Queues a lifecycle step for a registered node; it takes effect in the next block. */
  nodeAction(args: { node: NodeRef; action: DaemonNodeAction }): Promise<{ key: string; queued: DaemonNodeAction }> {
    return this.#call({ method: 'POST', path: `${nodePath(args.node)}/${args.action}` }) as Promise<{
      key: string;
      queued: DaemonNodeAction;
    }>;
  }

  patchNode(args: {
    node: NodeRef;
    tier?: 1 | 2 | 3;
    status?: 'CONFIRMED' | 'STARTED' | 'DOS' | 'EXPIRED';
    keepAlive?: boolean;
    ip?: string;
  }): Promise<{ key: string }> {
    const { node, ...patch } = args;
    return this.#call({ method: 'PATCH', path: nodePath(node), body: patch }) as Promise<{ key: string }>;
  }

  /** Back to genesis: a daemon restart. */
  reset(): Promise<{ tips: ViewTip[] }> {
    return this.#call({ method: 'POST', path: '/reset' }) as Promise<{ tips: ViewTip[] }>;
  }

  call(args: { method: 'GET' | 'POST' | 'PATCH'; path: string; body?: unknown }): Promise<unknown> {
    return this.#call(args);
  }

  async #call(args: { method: string; path: string; body?: unknown }): Promise<unknown> {
    this.options.history.append({ kind: 'daemon', op: `${args.method} ${args.path}`, detail: args.body });
    const response = await fetch(`${this.options.baseUrl}${args.path}`, {
      method: args.method,
      headers: args.body === undefined ? {} : { 'content-type': 'application/json' },
      body: args.body === undefined ? undefined : JSON.stringify(args.body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new DaemonControlError(`daemon control ${args.method} ${args.path}: HTTP ${response.status} ${text}`);
    }
    return text === '' ? undefined : JSON.parse(text);
  }
}

function nodePath(node: NodeRef): string {
  return `/nodes/${encodeURIComponent(String(node))}`;
}

import type { History } from '../observe/history.js';

export class DaemonControlError extends Error {}

/**
 * Client of the daemon stub's control API. Every call is recorded in the run history, so a report
 * can show which chain events the harness caused.
 */
export class DaemonControl {
  constructor(private readonly options: { baseUrl: string; history: History }) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  state(): Promise<unknown> {
    return this.#call({ method: 'GET', path: '/state' });
  }

  mine(args: { blocks: number; views?: number[]; group?: number }): Promise<unknown> {
    return this.#call({ method: 'POST', path: '/mine', body: args });
  }

  ticker(args: { running: boolean; intervalMs?: number }): Promise<unknown> {
    return this.#call({ method: 'POST', path: '/ticker', body: args });
  }

  queueAppMessage(args: { hash: string }): Promise<unknown> {
    return this.#call({ method: 'POST', path: '/app-message', body: args });
  }

  group(args: { groups: number[][] }): Promise<unknown> {
    return this.#call({ method: 'POST', path: '/groups', body: args });
  }

  merge(): Promise<unknown> {
    return this.#call({ method: 'POST', path: '/merge' });
  }

  reorg(args: { depth: number; views?: number[] }): Promise<unknown> {
    return this.#call({ method: 'POST', path: '/reorg', body: args });
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

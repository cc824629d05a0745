import { setTimeout as delay } from 'node:timers/promises';
import type Docker from 'dockerode';

export interface WaitContext {
  container: Docker.Container;
  ip: string;
  deadline: number;
}

/** testcontainers' shape: a wait strategy is an object that knows how to tell "ready". */
export interface WaitStrategy {
  describe(): string;
  waitUntilReady(context: WaitContext): Promise<void>;
}

export class ReadinessTimeoutError extends Error {}

/** How often a poll also asks the engine whether the container still runs (each ask costs dockerd CPU). */
const LIVENESS_CHECK_MS = 1_000;

async function pollUntil(args: {
  context: WaitContext;
  intervalMs: number;
  what: string;
  probe: () => Promise<boolean>;
}): Promise<void> {
  let lastError = 'never answered';
  let checkedAliveAt = 0;
  while (Date.now() < args.context.deadline) {
    try {
      if (await args.probe()) return;
      lastError = 'not ready yet';
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() - checkedAliveAt >= LIVENESS_CHECK_MS) {
      checkedAliveAt = Date.now();
      const state = await args.context.container.inspect();
      if (!state.State.Running) {
        throw new ReadinessTimeoutError(`${args.what}: container exited (code ${state.State.ExitCode}) before ready`);
      }
    }
    // A poll interval, not a sleep: readiness has no event to listen to from outside the container.
    await delay(args.intervalMs);
  }
  throw new ReadinessTimeoutError(`${args.what}: not ready before the deadline (${lastError})`);
}

/** Ready when `GET http://<ip>:<port><path>` answers with the expected status. */
export class HttpWait implements WaitStrategy {
  constructor(private readonly options: { port: number; path: string; status?: number; intervalMs?: number }) {}

  describe(): string {
    return `HTTP ${this.options.path} on port ${this.options.port}`;
  }

  waitUntilReady(context: WaitContext): Promise<void> {
    const url = `http://${context.ip}:${this.options.port}${this.options.path}`;
    return pollUntil({
      context,
      intervalMs: this.options.intervalMs ?? 100,
      what: `${url}`,
      probe: async () => {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        return response.status === (this.options.status ?? 200);
      },
    });
  }
}

/** Ready when a TCP port accepts connections. */
export class PortWait implements WaitStrategy {
  constructor(private readonly options: { port: number; intervalMs?: number }) {}

  describe(): string {
    return `TCP port ${this.options.port}`;
  }

  async waitUntilReady(context: WaitContext): Promise<void> {
    const { createConnection } = await import('node:net');
    return pollUntil({
      context,
      intervalMs: this.options.intervalMs ?? 100,
      what: `${context.ip}:${this.options.port}`,
      probe: () =>
        new Promise<boolean>((resolve, reject) => {
          const socket = createConnection({ host: context.ip, port: this.options.port, timeout: 1_000 });
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('timeout', () => {
            socket.destroy();
            resolve(false);
          });
          socket.once('error', reject);
        }),
    });
  }
}

/**
 * JSON-RPC client for fluxd (fluxd-zmq.md §6): HTTP POST with Basic auth, at most a few calls in
 * flight (FluxOS caps its client at 5), every call bounded by a timeout.
 */

export interface DaemonClientOptions {
  /** e.g. `http://127.0.0.1:16124/` (a view path on the daemon stub is kept as is). */
  url: string;
  user: string;
  password: string;
  timeoutMs: number;
  maxConcurrent?: number;
}

export interface DaemonRpcErrorDetails {
  method: string;
  /** fluxd error code when the daemon answered with one. */
  code?: number;
  httpStatus?: number;
  reason: string;
}

export class DaemonRpcError extends Error {
  readonly method: string;
  readonly code: number | undefined;
  readonly httpStatus: number | undefined;

  constructor(details: DaemonRpcErrorDetails) {
    const where = [
      details.code !== undefined ? `code ${details.code}` : '',
      details.httpStatus ? `HTTP ${details.httpStatus}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    super(`daemon RPC ${details.method} failed${where ? ` (${where})` : ''}: ${details.reason}`);
    this.name = 'DaemonRpcError';
    this.method = details.method;
    this.code = details.code;
    this.httpStatus = details.httpStatus;
  }
}

export interface DaemonClient {
  call<T>(method: string, params?: readonly unknown[]): Promise<T>;
}

interface RpcEnvelope {
  result?: unknown;
  error?: { code?: number; message?: string } | null;
}

const DEFAULT_MAX_CONCURRENT = 5;

export function createDaemonClient(options: DaemonClientOptions): DaemonClient {
  const limit = createLimiter(options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT);
  const authorization = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  let nextId = 0;

  async function send<T>(method: string, params: readonly unknown[]): Promise<T> {
    nextId += 1;
    let response: Response;
    try {
      response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ jsonrpc: '1.0', id: nextId, method, params }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new DaemonRpcError({ method, reason: describeFetchError(error, options) });
    }
    const text = await response.text();
    const envelope = parseEnvelope(text);
    if (envelope?.error) {
      throw new DaemonRpcError({
        method,
        code: envelope.error.code,
        httpStatus: response.status,
        reason: envelope.error.message ?? 'unknown error',
      });
    }
    if (!response.ok || envelope === undefined) {
      throw new DaemonRpcError({ method, httpStatus: response.status, reason: text.slice(0, 200) || 'empty reply' });
    }
    return envelope.result as T;
  }

  return {
    call: (method, params = []) => limit(() => send(method, params)),
  };
}

function parseEnvelope(text: string): RpcEnvelope | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? (parsed as RpcEnvelope) : undefined;
  } catch {
    return undefined;
  }
}

function describeFetchError(error: unknown, options: DaemonClientOptions): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no reply from ${options.url} within ${options.timeoutMs} ms`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `cannot reach ${options.url}${cause || (error instanceof Error ? `: ${error.message}` : '')}`;
}

/** A FIFO semaphore: at most `max` tasks run at once; a finished task hands its slot straight to the next. */
function createLimiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else running -= 1;
  };
  return async (task) => {
    if (running >= max) await new Promise<void>((resolve) => queue.push(resolve));
    else running += 1;
    try {
      return await task();
    } finally {
      release();
    }
  };
}

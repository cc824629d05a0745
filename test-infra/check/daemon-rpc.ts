/**
 * fluxd JSON-RPC as the harness calls it (fluxd-zmq.md §6): HTTP POST with Basic auth, replies
 * `{"result", "error", "id"}` (errors with HTTP 500/400/404).
 */
import { Buffer } from 'node:buffer';

export interface DaemonRpc {
  call<T>(method: string, params?: readonly unknown[]): Promise<T>;
}

export interface JsonRpcClientOptions {
  url: string;
  user: string;
  password: string;
  timeoutMs?: number;
}

/** A failed call, naming the method, the endpoint and what came back. */
export class DaemonRpcError extends Error {
  readonly code: number | undefined;
  constructor(message: string, code?: number) {
    super(message);
    this.name = 'DaemonRpcError';
    this.code = code;
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;

interface Envelope {
  result?: unknown;
  error?: { code?: number; message?: string } | null;
}

export function jsonRpcClient(options: JsonRpcClientOptions): DaemonRpc {
  const authorization = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  let nextId = 1;
  return {
    async call<T>(method: string, params: readonly unknown[] = []): Promise<T> {
      const where = `${method} at ${options.url}`;
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify({ id: nextId++, method, params }),
          signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        });
      } catch (error) {
        throw new DaemonRpcError(`${where}: request failed: ${(error as Error).message}`);
      }
      const text = await response.text();
      const envelope = parseEnvelope(text);
      if (envelope === undefined) {
        throw new DaemonRpcError(`${where}: HTTP ${response.status}, not a JSON-RPC reply: ${text.slice(0, 200)}`);
      }
      if (envelope.error) {
        const { code, message } = envelope.error;
        throw new DaemonRpcError(`${where}: HTTP ${response.status}, error ${code}: ${message}`, code);
      }
      return envelope.result as T;
    },
  };
}

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && 'result' in parsed ? (parsed as Envelope) : undefined;
  } catch {
    return undefined;
  }
}

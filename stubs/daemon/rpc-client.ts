import { Buffer } from 'node:buffer';

/** A minimal JSON-RPC client for the stub's tests and bench (fetch, Basic auth). */

export interface RpcCallOptions {
  url: string;
  user: string;
  password: string;
}

export interface RpcReply {
  status: number;
  text: string;
  /** The parsed body, or undefined if it was not JSON. */
  json: unknown;
}

export async function postRpc(options: RpcCallOptions, body: string): Promise<RpcReply> {
  const res = await fetch(options.url, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** One call; throws with the code and message when the reply carries an error. */
export async function callRpc<T>(options: RpcCallOptions, method: string, params: unknown[] = []): Promise<T> {
  const reply = await postRpc(options, JSON.stringify({ id: 1, method, params }));
  const envelope = reply.json as { result?: T; error?: { code: number; message: string } | null } | undefined;
  if (!envelope || envelope.error) {
    throw new Error(
      `${method}: HTTP ${reply.status}: ${envelope?.error ? JSON.stringify(envelope.error) : reply.text}`,
    );
  }
  return envelope.result as T;
}

/**
 * JSON request/response helpers in FluxOS's reply shape: `{status:'success', data}` or
 * `{status:'error', data:{code, name, message}}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request the node refuses: carries the HTTP status and a message naming what is wrong. */
export class HttpError extends Error {
  readonly status: number;
  constructor({ status, message }: { status: number; message: string }) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendSuccess(res: ServerResponse, data: unknown): void {
  sendJson(res, 200, { status: 'success', data });
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { status: 'error', data: { code: status, name: errorName(status), message } });
}

function errorName(status: number): string {
  if (status === 400) return 'BadRequest';
  if (status === 404) return 'NotFound';
  if (status === 405) return 'MethodNotAllowed';
  if (status === 413) return 'PayloadTooLarge';
  if (status === 503) return 'ServiceUnavailable';
  return 'Error';
}

/** Reads a JSON body up to `limitBytes`; 400 on malformed JSON, 413 when too large. */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new HttpError({ status: 413, message: `request body exceeds ${limitBytes} bytes` });
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError({ status: 400, message: 'request body: expected JSON, got nothing' });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError({ status: 400, message: `request body: malformed JSON (${(error as Error).message})` });
  }
}

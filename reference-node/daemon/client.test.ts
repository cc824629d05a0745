import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemonClient, DaemonRpcError } from './client.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

interface Call {
  method: string;
  reply: (body: unknown, status?: number) => void;
}

/** A JSON-RPC server whose replies the test controls; checks Basic auth like fluxd. */
async function rpcServer(onCall: (call: Call) => void): Promise<string> {
  server = createServer((req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from('user:pass').toString('base64')}`) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="jsonrpc"' }).end();
      return;
    }
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const { method, id } = JSON.parse(text) as { method: string; id: number };
      onCall({
        method,
        reply: (body, status = 200) => res.writeHead(status).end(JSON.stringify({ ...(body as object), id })),
      });
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('daemon RPC client', () => {
  it('returns results and turns fluxd errors into DaemonRpcError with the code', async () => {
    const url = await rpcServer(({ method, reply }) => {
      if (method === 'getblockcount') reply({ result: 42, error: null });
      else reply({ result: null, error: { code: -8, message: 'Block height out of range' } }, 500);
    });
    const client = createDaemonClient({ url, user: 'user', password: 'pass', timeoutMs: 1_000 });
    expect(await client.call<number>('getblockcount')).toBe(42);
    const failure = await client.call('getblockhash', [99]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DaemonRpcError);
    expect(failure).toMatchObject({ method: 'getblockhash', code: -8, httpStatus: 500 });
    expect((failure as Error).message).toBe(
      'daemon RPC getblockhash failed (code -8, HTTP 500): Block height out of range',
    );
  });

  it('reports bad credentials, timeouts and unreachable daemons', async () => {
    const url = await rpcServer(() => {});
    const wrong = createDaemonClient({ url, user: 'user', password: 'nope', timeoutMs: 1_000 });
    await expect(wrong.call('getinfo')).rejects.toMatchObject({ httpStatus: 401 });
    const slow = createDaemonClient({ url, user: 'user', password: 'pass', timeoutMs: 50 });
    await expect(slow.call('getinfo')).rejects.toThrow(/no reply from .* within 50 ms/);
    const nowhere = createDaemonClient({ url: 'http://127.0.0.1:1/', user: 'u', password: 'p', timeoutMs: 1_000 });
    await expect(nowhere.call('getinfo')).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:1\//);
  });

  it('keeps at most maxConcurrent calls in flight', { timeout: 5_000 }, async () => {
    const total = 5;
    const pending: Call[] = [];
    let arrived = 0;
    let inFlight = 0;
    let peak = 0;
    // Holds calls until two are waiting (or all have come), then answers the oldest: a limiter
    // allowing more would push the peak above 2, one allowing fewer would never get answered.
    const url = await rpcServer((call) => {
      arrived += 1;
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      pending.push(call);
      while (pending.length >= 2 || (arrived === total && pending.length > 0)) {
        inFlight -= 1;
        pending.shift()!.reply({ result: arrived, error: null });
      }
    });
    const client = createDaemonClient({ url, user: 'user', password: 'pass', timeoutMs: 5_000, maxConcurrent: 2 });
    const results = await Promise.all(
      Array.from({ length: total }, (_, i) => client.call<number>('getblockcount', [i])),
    );
    expect(results).toHaveLength(total);
    expect(peak).toBe(2);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocationRow } from '../../protocol/appstate/documents.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { httpStatusProbe, NodeStatusMonitor, type ProbeResult, type StatusProbe } from './monitor.js';

const LISTED = '198.18.0.1:16127';
const GONE_CONFIRMED = '198.18.0.2:16127';
const GONE_EXPIRED = '198.18.0.3:16127';
const GONE_SILENT = '198.18.0.4:16127';

function row(name: string, ip: string): LocationRow {
  return { name, hash: `h-${name}`, ip, broadcastedAt: 1, expireAt: 2, runningSince: 1 };
}

function setup(answers: Record<string, ProbeResult>) {
  let rows = [
    row('a', LISTED),
    row('b', GONE_CONFIRMED),
    row('c', GONE_EXPIRED),
    row('d', GONE_EXPIRED),
    row('e', GONE_SILENT),
  ];
  const evictedEvents: string[] = [];
  const probes: { ip: string; timeoutMs: number }[] = [];
  const probe: StatusProbe = async (ip, { timeoutMs }) => {
    probes.push({ ip, timeoutMs });
    return answers[ip] ?? { reachable: false, error: 'no answer' };
  };
  const monitor = new NodeStatusMonitor({
    tunables: DEFAULT_TUNABLES,
    isListedIp: (ip) => ip === LISTED,
    cache: {
      all: async () => rows,
      deleteByIp: async (ip) => {
        const before = rows.length;
        rows = rows.filter((r) => r.ip !== ip);
        return before - rows.length;
      },
    },
    eventLog: { storeEvicted: async ({ ip }) => void evictedEvents.push(ip) },
    probe,
    onError: (error) => {
      throw error;
    },
  });
  return { monitor, evictedEvents, probes, rows: () => rows };
}

describe('node status monitor (§4.1 eviction)', () => {
  it('probes each unlisted cache IP once; evicts all but CONFIRMED (and the unreachable)', async () => {
    const { monitor, evictedEvents, probes, rows } = setup({
      [GONE_CONFIRMED]: { reachable: true, status: 'CONFIRMED' },
      [GONE_EXPIRED]: { reachable: true, status: 'expired' },
    });
    expect(await monitor.runOnce()).toEqual({
      probed: [GONE_CONFIRMED, GONE_EXPIRED, GONE_SILENT],
      evicted: [GONE_EXPIRED, GONE_SILENT],
    });
    expect(probes).toEqual([GONE_CONFIRMED, GONE_EXPIRED, GONE_SILENT].map((ip) => ({ ip, timeoutMs: 10_000 })));
    expect(evictedEvents).toEqual([GONE_EXPIRED, GONE_SILENT]);
    expect(rows().map((r) => r.name)).toEqual(['a', 'b']);
  });

  it('a STARTED or DOS node is evicted too', async () => {
    const { monitor } = setup({
      [GONE_CONFIRMED]: { reachable: true, status: 'STARTED' },
      [GONE_EXPIRED]: { reachable: true, status: 'DOS' },
      [GONE_SILENT]: { reachable: true, status: undefined },
    });
    expect((await monitor.runOnce()).evicted).toEqual([GONE_CONFIRMED, GONE_EXPIRED, GONE_SILENT]);
  });
});

describe('httpStatusProbe', () => {
  let server: Server;
  let base: string;
  const replies = new Map<string, { status: number; body: string; delayMs?: number }>();
  const urls: (string | undefined)[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const reply = replies.get('default')!;
      urls.push(req.url);
      const send = () => {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.body);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads data.status of a FluxOS success reply', async () => {
    replies.set('default', { status: 200, body: JSON.stringify({ status: 'success', data: { status: 'CONFIRMED' } }) });
    expect(await httpStatusProbe(base, { timeoutMs: 2_000 })).toEqual({ reachable: true, status: 'CONFIRMED' });
    expect(urls).toEqual(['/daemon/getfluxnodestatus']);
  });

  it('an error reply is reachable without a status', async () => {
    replies.set('default', { status: 200, body: JSON.stringify({ status: 'error', data: { message: 'x' } }) });
    expect(await httpStatusProbe(base, { timeoutMs: 2_000 })).toEqual({ reachable: true, status: undefined });
  });

  it('HTTP errors, bad JSON and timeouts are unreachable, with the reason', async () => {
    replies.set('default', { status: 500, body: '{}' });
    expect(await httpStatusProbe(base, { timeoutMs: 2_000 })).toEqual({ reachable: false, error: 'HTTP 500' });
    replies.set('default', { status: 200, body: 'not json' });
    expect(await httpStatusProbe(base, { timeoutMs: 2_000 })).toMatchObject({ reachable: false });
    replies.set('default', { status: 200, body: '{}', delayMs: 500 });
    expect(await httpStatusProbe(base, { timeoutMs: 50 })).toMatchObject({
      reachable: false,
      error: expect.stringMatching(/timeout|aborted/i),
    });
  });
});

describe('NodeStatusMonitor schedule', () => {
  it('runs every nodeStatusIntervalMs once started; stop waits for the pass in progress', async () => {
    let release: (() => void) | undefined;
    const passes: string[] = [];
    const monitor = new NodeStatusMonitor({
      tunables: { ...DEFAULT_TUNABLES, nodeStatusIntervalMs: 5 },
      isListedIp: () => false,
      cache: { all: async () => [row('a', GONE_SILENT)], deleteByIp: async () => 1 },
      eventLog: { storeEvicted: async () => undefined },
      probe: async () => {
        passes.push('probe');
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { reachable: false, error: 'down' };
      },
      onError: (error) => {
        throw error;
      },
    });
    monitor.start();
    await vi.waitFor(() => expect(passes).toEqual(['probe']), { timeout: 5_000, interval: 5 });
    let stopped = false;
    const stopping = monitor.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release?.();
    await stopping;
    expect(stopped).toBe(true);
    expect(passes).toEqual(['probe']);
  });
});

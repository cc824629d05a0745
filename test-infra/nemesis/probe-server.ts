import { NODE_API_PORT } from '../network/topology.js';

/**
 * A stand-in for a node in the nemesis's own Docker tests: a tiny server run with `node -e` in a
 * node-image container. The harness drives it over HTTP from the host (host traffic comes from
 * the gateway address, which no grudge names), and it probes its peers from inside the run
 * network, where the nemesis's rules apply.
 */
export const PROBE_TCP_ECHO_PORT = 7000;
export const PROBE_UDP_PORT = 7001;

const SCRIPT = String.raw`
const http = require('node:http');
const net = require('node:net');
const dgram = require('node:dgram');
process.on('SIGTERM', () => process.exit(0));

net.createServer((socket) => { socket.on('error', () => {}); socket.pipe(socket); }).listen(${PROBE_TCP_ECHO_PORT});

const heard = new Map();
const udpWaiters = new Map();
const udp = dgram.createSocket('udp4');
udp.on('message', (message, remote) => {
  const token = message.toString();
  heard.set(token, remote.address);
  for (const wake of udpWaiters.get(token) ?? []) wake();
  udpWaiters.delete(token);
});
udp.bind(${PROBE_UDP_PORT});

function within(ms, promise) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve({ ok: false, error: 'timeout' }), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function connect(host, port) {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host, port });
    socket.once('connect', () => resolve({ ok: true, socket }));
    socket.once('error', (error) => resolve({ ok: false, error: error.code || error.message }));
  });
}

function lineReader(socket) {
  let buffer = '';
  const waiters = new Map();
  socket.on('data', (chunk) => {
    buffer += chunk.toString();
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      waiters.get(line)?.();
      waiters.delete(line);
    }
  });
  return (line) => new Promise((resolve) => waiters.set(line, () => resolve({ ok: true })));
}

async function echoOnce(host, port) {
  const connected = await connect(host, port);
  if (!connected.ok) return connected;
  const token = 'probe-' + Math.random().toString(16).slice(2);
  const echoed = lineReader(connected.socket)(token);
  connected.socket.write(token + '\n');
  return echoed;
}

const links = new Map();
let sequence = 0;

const routes = {
  '/health': async () => ({ ok: true }),
  '/now': async () => ({ now: Date.now() }),
  '/tcp': async (q) => {
    const port = Number(q.get('port'));
    if (port !== ${PROBE_TCP_ECHO_PORT}) {
      const result = await within(Number(q.get('timeoutMs')), connect(q.get('host'), port));
      result.socket?.destroy();
      return { ok: result.ok, error: result.error };
    }
    return within(Number(q.get('timeoutMs')), echoOnce(q.get('host'), port));
  },
  '/link/open': async (q) => {
    const result = await within(Number(q.get('timeoutMs')), connect(q.get('host'), ${PROBE_TCP_ECHO_PORT}));
    if (!result.ok) return result;
    result.socket.on('error', () => {});
    links.set(q.get('id'), { socket: result.socket, expect: lineReader(result.socket) });
    return { ok: true };
  },
  '/link/ping': async (q) => {
    const link = links.get(q.get('id'));
    if (!link) return { ok: false, error: 'no such link' };
    const token = 'ping-' + sequence++;
    const echoed = link.expect(token);
    link.socket.write(token + '\n');
    return within(Number(q.get('timeoutMs')), echoed);
  },
  '/udp/send': async (q) => {
    await new Promise((resolve) => udp.send(q.get('token'), ${PROBE_UDP_PORT}, q.get('host'), resolve));
    return { ok: true };
  },
  '/udp/heard': async (q) => {
    const token = q.get('token');
    if (!heard.has(token)) {
      const arrived = new Promise((resolve) => udpWaiters.set(token, [...(udpWaiters.get(token) ?? []), resolve]));
      await within(Number(q.get('timeoutMs')), arrived);
    }
    return { ok: heard.has(token), from: heard.get(token) ?? null };
  },
};

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://probe');
  const route = routes[url.pathname];
  const body = route ? await route(url.searchParams) : { ok: false, error: 'no route ' + url.pathname };
  res.writeHead(route ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}).listen(${NODE_API_PORT});
`;

/** The node container's command: the probe server on the node API port (so /health readiness works). */
export const PROBE_SERVER_COMMAND = ['node', '-e', SCRIPT];

export interface ProbeResult {
  ok: boolean;
  error?: string;
}

/** Host-side client of one probe server. */
export class ProbeClient {
  constructor(private readonly ip: string) {}

  /** Whether the server answers within `timeoutMs` (false when paused or down). */
  async health(args: { timeoutMs: number }): Promise<boolean> {
    try {
      const response = await fetch(this.#url('/health'), { signal: AbortSignal.timeout(args.timeoutMs) });
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false;
    }
  }

  /** Date.now() of the long-running server process: the clock under libfaketime. */
  async now(): Promise<number> {
    return ((await this.#get('/now', {}, 5_000)) as { now: number }).now;
  }

  /** A fresh TCP connection to host:port from inside the container; on the echo port, a round trip too. */
  tcp(args: { host: string; port: number; timeoutMs: number }): Promise<ProbeResult> {
    return this.#get('/tcp', args, args.timeoutMs) as Promise<ProbeResult>;
  }

  /** Opens a long-lived connection to host's echo port, kept under `id`. */
  openLink(args: { id: string; host: string; timeoutMs: number }): Promise<ProbeResult> {
    return this.#get('/link/open', args, args.timeoutMs) as Promise<ProbeResult>;
  }

  /** One round trip over an already-established link. */
  pingLink(args: { id: string; timeoutMs: number }): Promise<ProbeResult> {
    return this.#get('/link/ping', args, args.timeoutMs) as Promise<ProbeResult>;
  }

  sendUdp(args: { host: string; token: string }): Promise<ProbeResult> {
    return this.#get('/udp/send', args, 0) as Promise<ProbeResult>;
  }

  /** Whether a datagram carrying `token` arrived, waiting up to `timeoutMs` for it. */
  heardUdp(args: { token: string; timeoutMs: number }): Promise<ProbeResult & { from: string | null }> {
    return this.#get('/udp/heard', args, args.timeoutMs) as Promise<ProbeResult & { from: string | null }>;
  }

  #url(path: string, query: Record<string, string | number> = {}): string {
    const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]));
    return `http://${this.ip}:${NODE_API_PORT}${path}?${search}`;
  }

  /** The server bounds every probe itself; the client allows it that long plus a margin. */
  async #get(path: string, query: Record<string, string | number>, probeMs: number): Promise<unknown> {
    const response = await fetch(this.#url(path, query), { signal: AbortSignal.timeout(probeMs + 5_000) });
    if (!response.ok) throw new Error(`probe ${this.ip}${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  }
}

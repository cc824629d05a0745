import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { publicKeyFromPrivate } from '../../protocol/gossip/signing.js';
import { encodePeerFrame, parsePeerFrame } from '../../protocol/gossip/wire.js';
import { NO_REGRESSIONS, type RegressionName } from '../../protocol/regressions.js';
import { systemClock } from '../clock.js';
import { createLogger } from '../log.js';
import { Signal } from '../signal.js';
import { type BusEvent, EventBus } from '../sse/event-bus.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { createHello, type Identity } from './handshake.js';
import { CLOSE_CODES, PeerManager } from './manager.js';

const KEYS = [
  '317a108a9e9e5ae0c15ba3b6bdb4d90b9ce56f07c9740775413da58718a83779',
  'c3cbdb01e4dd0be8bb0dd61ae3bbe4fdaa085f232560d5170c5ed92902a4aecc',
  'ab718710738ba9d08d4a82bfdf952efef26067bfdec5665f7351aee6c996d655',
];
const identity = (index: number, port: number): Identity => ({
  ip: `127.0.0.1:${port}`,
  privkeyHex: KEYS[index]!,
  pubkeyHex: publicKeyFromPrivate(KEYS[index]!),
});

let server: Server | undefined;
let manager: PeerManager | undefined;
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await manager?.stop();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** A manager that only accepts (no dialling), listing nodes 0..2 at ports 1000X except itself. */
async function serve(regressions: ReadonlySet<RegressionName> = NO_REGRESSIONS) {
  server = createServer();
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const self = identity(0, port);
  const listed = [self, identity(1, 10001), identity(2, 10002)];
  const events: BusEvent[] = [];
  const bus = new EventBus({ enabled: true, epoch: 't', bufferSize: 100, validate: true });
  bus.subscribe((event) => events.push(event));
  const logger = createLogger({ level: 'silent' });
  manager = new PeerManager({
    identity: self,
    directory: {
      ready: true,
      isListed: (ip, pubkey) => listed.some((node) => node.ip === ip && node.pubkeyHex === pubkey),
      peers: () => listed.map((node) => node.ip),
      listChanged: new Signal(() => {}),
    },
    clock: systemClock,
    tunables: { ...DEFAULT_TUNABLES, minOutboundPeers: 0, maxInboundPeers: 1, peerPingIntervalMs: 50 },
    bus,
    logger,
    onBroadcast: () => {},
    regressions,
  });
  server.on('upgrade', (req, socket, head) => manager!.handleUpgrade(req, socket, head));
  manager.start();
  return { url: `ws://127.0.0.1:${port}/ws/flux`, self, events, bus };
}

/** Connects as `who` and sends its hello; a dead peer does not answer pings. */
async function connectAs(
  url: string,
  who: Identity,
  { dead = false }: { dead?: boolean } = {},
): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(url, { autoPong: !dead });
  clients.push(socket);
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(encodePeerFrame(createHello({ identity: who, now: Date.now() })));
  return { socket, closed };
}

function nextEvent(bus: EventBus, name: string): Promise<BusEvent> {
  return new Promise((resolve) => {
    const off = bus.subscribe((event) => {
      if (event.name !== name) return;
      off();
      resolve(event);
    });
  });
}

describe('PeerManager', () => {
  it('answers a valid hello with its own, refuses a second inbound peer beyond the limit', async () => {
    const { url, self, bus } = await serve();
    const added = nextEvent(bus, 'peers:added');
    const first = await connectAs(url, identity(1, 10001));
    const reply = await new Promise<string>((resolve) =>
      first.socket.once('message', (data) => resolve(data.toString())),
    );
    const hello = parsePeerFrame(reply);
    expect(hello.ok && hello.frame.kind === 'hello' && hello.frame.pubKey).toBe(self.pubkeyHex);
    expect(JSON.parse((await added).data)).toEqual({
      ip: '127.0.0.1',
      port: 10001,
      direction: 'inbound',
      outbound: 0,
      inbound: 1,
      total: 1,
    });
    const second = await connectAs(url, identity(2, 10002));
    expect(await second.closed).toBe(CLOSE_CODES.inboundFull);
  });

  it('rejects an unlisted identity with the reason', async () => {
    const { url } = await serve();
    const { socket, closed } = await connectAs(url, identity(1, 10009));
    const reason = new Promise<string>((resolve) => socket.once('close', (_code, text) => resolve(text.toString())));
    expect(await closed).toBe(CLOSE_CODES.handshakeRejected);
    expect(await reason).toMatch(/not listed/);
  });

  it('terminates a peer that stops answering pings (1006, no close handshake)', async () => {
    const { url, bus } = await serve();
    const removed = nextEvent(bus, 'peers:removed');
    await connectAs(url, identity(1, 10001), { dead: true });
    expect(JSON.parse((await removed).data)).toMatchObject({ port: 10001, closeCode: 1006, total: 0 });
    expect(manager!.stats.deadPeersTerminated).toBe(1);
  });

  it('with dead-peer-close, sends a close handshake instead', async () => {
    const { url, bus } = await serve(new Set(['dead-peer-close']));
    const removed = nextEvent(bus, 'peers:removed');
    await connectAs(url, identity(1, 10001), { dead: true });
    expect(JSON.parse((await removed).data).closeCode).not.toBe(1006);
  });
});

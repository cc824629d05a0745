import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type SignedBroadcast, signBroadcast } from '../../protocol/gossip/envelope.js';
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
  const syncRequests: { bytes: Uint8Array; peer: string }[] = [];
  const syncResponses: { peer: string; peerPubkey: string; envelope: SignedBroadcast }[] = [];
  let responded!: () => void;
  const firstResponse = new Promise<void>((resolve) => {
    responded = resolve;
  });
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
    // The ping period also bounds the wait for a hello: long enough for a loaded test machine.
    tunables: { ...DEFAULT_TUNABLES, minOutboundPeers: 0, maxInboundPeers: 1, peerPingIntervalMs: 250 },
    bus,
    logger,
    onBroadcast: () => {},
    onSyncRequest: (input) => syncRequests.push(input),
    onSyncResponse: (input) => {
      syncResponses.push(input);
      responded();
    },
    regressions,
  });
  server.on('upgrade', (req, socket, head) => manager!.handleUpgrade(req, socket, head));
  manager.start();
  return { url: `ws://127.0.0.1:${port}/ws/flux`, self, events, bus, syncRequests, syncResponses, firstResponse };
}

/** Connects as `who` and sends its hello; a dead peer does not answer pings. */
async function connectAs(
  url: string,
  who: Identity,
  { dead = false, uptimeMs }: { dead?: boolean; uptimeMs?: number } = {},
): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(url, { autoPong: !dead });
  clients.push(socket);
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(encodePeerFrame(createHello({ identity: who, now: Date.now(), ...(uptimeMs ? { uptimeMs } : {}) })));
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

  it('hands binary frames on as raw bytes and syncResponse frames with the authenticated key', async () => {
    const { url, bus, syncRequests, syncResponses, firstResponse } = await serve();
    const added = nextEvent(bus, 'peers:added');
    const peer = identity(1, 10001);
    const { socket } = await connectAs(url, peer);
    await added;
    const bytes = Uint8Array.from([0x21, 0x00, 0x80, 0xff, 0xc3, 0x28]);
    const envelope = signBroadcast({
      data: { type: 'fluxapprunningsync', messages: [], done: true },
      privkeyHex: peer.privkeyHex,
      pubkeyHex: peer.pubkeyHex,
      timestamp: Date.now(),
    });
    socket.send(bytes);
    socket.send(encodePeerFrame({ kind: 'syncResponse', envelope }));
    await firstResponse;
    expect(syncRequests).toEqual([{ bytes: Buffer.from(bytes), peer: '127.0.0.1:10001' }]);
    expect(syncResponses).toEqual([{ peer: '127.0.0.1:10001', peerPubkey: peer.pubkeyHex, envelope }]);
  });

  it('sendTo answers one peer in text or binary; discovery off drops peers (4005) and refuses new ones', async () => {
    const { url, bus } = await serve();
    const added = nextEvent(bus, 'peers:added');
    const { socket, closed } = await connectAs(url, identity(1, 10001));
    await added;
    const received: { data: string; isBinary: boolean }[] = [];
    const three = new Promise<void>((resolve) =>
      socket.on('message', (data, isBinary) => {
        received.push({ data: isBinary ? Buffer.from(data as Buffer).toString('hex') : data.toString(), isBinary });
        if (received.length === 3) resolve();
      }),
    );
    expect(manager!.sendTo('127.0.0.1:10001', '{"kind":"x"}')).toBe(true);
    expect(manager!.sendTo('127.0.0.1:10001', Uint8Array.from([1, 2]))).toBe(true);
    expect(manager!.sendTo('127.0.0.1:10002', 'nobody')).toBe(false);
    await three;
    expect(received.slice(1)).toEqual([
      { data: '{"kind":"x"}', isBinary: false },
      { data: '0102', isBinary: true },
    ]);
    manager!.setDiscovery(false);
    expect(await closed).toBe(CLOSE_CODES.notConfirmed);
    const again = await connectAs(url, identity(1, 10001));
    expect(await again.closed).toBe(CLOSE_CODES.notConfirmed);
    expect(manager!.stats.droppedUnconfirmed).toBe(1);
  });

  it('offers as sync peers those up long enough by their hello; a silent peer counts from the connection', async () => {
    const { url, bus } = await serve();
    const added = nextEvent(bus, 'peers:added');
    await connectAs(url, identity(1, 10001), { uptimeMs: 3_600_000 });
    await added;
    expect(manager!.syncCandidates({ minUptimeMs: 3_000_000 })).toEqual(['127.0.0.1:10001']);
    expect(manager!.syncCandidates({ minUptimeMs: 4_000_000 })).toEqual([]);
  });

  it('keeps frames that arrive in the same TCP segment as the hello', async () => {
    const { url, syncRequests, syncResponses, firstResponse } = await serve();
    const peer = identity(1, 10001);
    const socket = new WebSocket(url);
    clients.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const request = Uint8Array.from([0x21, 1, 2, 3]);
    const envelope = signBroadcast({
      data: { type: 'fluxapprunningsync', messages: [], done: true },
      privkeyHex: peer.privkeyHex,
      pubkeyHex: peer.pubkeyHex,
      timestamp: Date.now(),
    });
    // Corking the raw socket puts the hello and both frames in one write, as a busy peer does.
    const raw = (socket as unknown as { _socket: Socket })._socket;
    raw.cork();
    socket.send(encodePeerFrame(createHello({ identity: peer, now: Date.now() })));
    socket.send(request);
    socket.send(encodePeerFrame({ kind: 'syncResponse', envelope }));
    raw.uncork();
    await firstResponse;
    expect(syncRequests).toEqual([{ bytes: Buffer.from(request), peer: '127.0.0.1:10001' }]);
    expect(syncResponses).toHaveLength(1);
  });
});

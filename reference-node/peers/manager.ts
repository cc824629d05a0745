/**
 * Peer connections over WebSocket (`/ws/flux`): inbound through the API server's upgrade, outbound
 * to nodes of the deterministic list (at least `minOutboundPeers`, at most `maxInboundPeers` in).
 * Every connection starts with the signed hello exchange (handshake.ts); liveness is ping/pong and a
 * peer that misses a pong is terminated, not closed (field bug 19l). Lost outbound peers are
 * redialled with exponential backoff. Binary frames (signed state-sync requests) and `syncResponse`
 * frames are handed on as they are; `sendTo` answers one peer. While discovery is off (the node lost
 * its confirmation, §9) every peer is dropped, nobody is dialled and inbound peers are refused.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { SignedBroadcast } from '../../protocol/gossip/envelope.js';
import { encodePeerFrame, type HelloFrame, parsePeerFrame } from '../../protocol/gossip/wire.js';
import type { RegressionName } from '../../protocol/regressions.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { Signal } from '../signal.js';
import type { EventBus } from '../sse/event-bus.js';
import { type PeriodicTask, startPeriodic } from '../timers.js';
import type { Tunables } from '../tunables.js';
import { normalizeRemoteAddress, splitHostPort } from './address.js';
import { Backoff } from './backoff.js';
import { connectionKey, type Direction, PeerConnection } from './connection.js';
import { checkHello, createHello, type HelloCheck, type Identity, type ListLookup } from './handshake.js';

export const CLOSE_CODES = {
  goingAway: 1001,
  handshakeRejected: 4001,
  duplicate: 4002,
  inboundFull: 4003,
  delisted: 4004,
  notConfirmed: 4005,
  tryAgainLater: 1013,
} as const;

export type PeerTunables = Pick<
  Tunables,
  | 'minOutboundPeers'
  | 'maxInboundPeers'
  | 'peerPingIntervalMs'
  | 'peerReconnectMinMs'
  | 'peerReconnectMaxMs'
  | 'runningExpiryMs'
  | 'appSyncPeerThreshold'
  | 'appSyncDegradedThreshold'
>;

interface EarlyFrame {
  data: RawData;
  isBinary: boolean;
}

/** A peer whose hello passed; frames it sent after the hello wait in takeEarlyFrames. */
interface AcceptedHello {
  peer: string;
  pubkey: string;
  uptimeMs?: number;
  /** Stops holding frames and hands over those held so far, in arrival order. */
  takeEarlyFrames(): EarlyFrame[];
}

export interface PeerDirectory extends ListLookup {
  /** False until the first snapshot is loaded: nobody can be checked before that. */
  readonly ready: boolean;
  peers(): string[];
  readonly listChanged: Signal<void>;
}

export interface PeerManagerOptions {
  identity: Identity;
  directory: PeerDirectory;
  clock: Clock;
  tunables: PeerTunables;
  bus: EventBus;
  logger: Logger;
  /** A signed broadcast arrived from an authenticated peer. */
  onBroadcast(envelope: SignedBroadcast, fromPeer: string): void;
  /** A binary frame (a §7 sync request) from an authenticated peer; absent: counted and ignored. */
  onSyncRequest?(input: { bytes: Uint8Array; peer: string }): void;
  /** A `syncResponse` frame; `peerPubkey` is the key the peer authenticated with. */
  onSyncResponse?(input: { peer: string; peerPubkey: string; envelope: SignedBroadcast }): void;
  /** dead-peer-close (bug 19l): dead peers get a close handshake (~30 s) instead of terminate. */
  regressions: ReadonlySet<RegressionName>;
}

export interface PeerStats {
  handshakesRejected: number;
  /** Text frames that are not JSON or not a known frame. */
  framesRejected: number;
  /** Frames over the size limit: the socket is closed (1009) by the WebSocket library. */
  framesOversized: number;
  binaryFramesIgnored: number;
  deadPeersTerminated: number;
  /** Connections closed because discovery was switched off (confirmation lost). */
  droppedUnconfirmed: number;
}

export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
const SHUTDOWN_GRACE_MS = 1_000;

export class PeerManager {
  readonly #options: PeerManagerOptions;
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  readonly #connections = new Map<string, PeerConnection>();
  readonly #dialing = new Set<string>();
  readonly #backoff: Backoff;
  readonly #stats: PeerStats = {
    handshakesRejected: 0,
    framesRejected: 0,
    framesOversized: 0,
    binaryFramesIgnored: 0,
    deadPeersTerminated: 0,
    droppedUnconfirmed: 0,
  };
  /** The connection count after every change (the orchestrator's peerCount input). */
  readonly peerCount: Signal<number>;
  /** performance.now() when this manager (the node) started: the uptime told in our hellos. */
  readonly #startedAt = performance.now();
  #thresholdReached = false;
  #discovery = true;
  #maintainer: PeriodicTask | undefined;
  #heartbeat: PeriodicTask | undefined;
  #offListChanged: (() => void) | undefined;
  #stopped = false;

  constructor(options: PeerManagerOptions) {
    this.#options = options;
    this.#backoff = new Backoff({
      minMs: options.tunables.peerReconnectMinMs,
      maxMs: options.tunables.peerReconnectMaxMs,
    });
    this.peerCount = new Signal((error) => options.logger.error('peerCount listener failed', { error }));
  }

  get stats(): Readonly<PeerStats> {
    return { ...this.#stats };
  }

  counts(): { outbound: number; inbound: number; total: number } {
    let outbound = 0;
    let inbound = 0;
    for (const connection of this.#connections.values()) {
      if (connection.direction === 'outbound') outbound += 1;
      else inbound += 1;
    }
    return { outbound, inbound, total: outbound + inbound };
  }

  /** Authenticated peers, once each whatever the number of connections to them. */
  connectedPeers(): string[] {
    return [...new Set([...this.#connections.values()].map((connection) => connection.peer))];
  }

  /**
   * Peers fit to serve state sync (§8): open, so no pong missed, and up at least
   * `minUptimeMs` by their hello (a peer that told nothing counts from the connection).
   */
  syncCandidates({ minUptimeMs }: { minUptimeMs: number }): string[] {
    const now = performance.now();
    const fit = [...this.#connections.values()].filter(
      (connection) => connection.open && now - connection.peerUpSince >= minUptimeMs,
    );
    return [...new Set(fit.map((connection) => connection.peer))];
  }

  /** Sends one frame to one peer (over our outbound connection when there are two); false if not connected. */
  sendTo(peer: string, frame: string | Uint8Array): boolean {
    const ordered = [...this.#connections.values()]
      .filter((connection) => connection.peer === peer)
      .sort((a, b) => directionRank(a) - directionRank(b));
    return ordered.some((connection) => connection.send(frame));
  }

  get discovery(): boolean {
    return this.#discovery;
  }

  /** Off: drops every peer, stops dialling and refuses inbound peers until switched on again. */
  setDiscovery(enabled: boolean): void {
    if (this.#discovery === enabled) return;
    this.#discovery = enabled;
    if (enabled) {
      this.#maintainer?.trigger();
      return;
    }
    for (const connection of this.#connections.values()) {
      this.#stats.droppedUnconfirmed += 1;
      connection.socket.close(CLOSE_CODES.notConfirmed, 'node not confirmed');
    }
  }

  start(): void {
    const onError = (error: unknown): void => this.#options.logger.error('peer task failed', { error });
    this.#maintainer = startPeriodic({
      intervalMs: this.#options.tunables.peerReconnectMinMs,
      runImmediately: true,
      run: async () => this.#maintain(),
      onError,
    });
    this.#heartbeat = startPeriodic({
      intervalMs: this.#options.tunables.peerPingIntervalMs,
      run: async () => this.#pingAll(),
      onError,
    });
    this.#offListChanged = this.#options.directory.listChanged.on(() => this.#maintainer?.trigger());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#maintainer?.stop();
    this.#heartbeat?.stop();
    this.#offListChanged?.();
    const sockets = [...this.#connections.values()].map((connection) => connection.socket);
    for (const client of this.#server.clients) sockets.push(client);
    await Promise.all(sockets.map((socket) => closeWithin(socket, SHUTDOWN_GRACE_MS)));
    this.#server.close();
  }

  /** Sends one signed broadcast to every connected peer except `exceptPeer`; returns how many peers got it. */
  broadcast(envelope: SignedBroadcast, { exceptPeer }: { exceptPeer?: string } = {}): number {
    const text = encodePeerFrame({ kind: 'broadcast', envelope });
    const sentTo = new Set<string>();
    const ordered = [...this.#connections.values()].sort((a, b) => directionRank(a) - directionRank(b));
    for (const connection of ordered) {
      if (connection.peer === exceptPeer || sentTo.has(connection.peer)) continue;
      if (connection.send(text)) sentTo.add(connection.peer);
    }
    return sentTo.size;
  }

  /** `/ws/flux` upgrade from the API server. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#stopped) {
      socket.destroy();
      return;
    }
    this.#server.handleUpgrade(req, socket, head, (ws) => {
      if (!this.#options.directory.ready) {
        ws.close(CLOSE_CODES.tryAgainLater, 'node list not loaded yet');
        return;
      }
      if (!this.#discovery) {
        ws.close(CLOSE_CODES.notConfirmed, 'node not confirmed');
        return;
      }
      const remoteHost = normalizeRemoteAddress(req.socket.remoteAddress);
      this.#awaitHello(ws, 'inbound', (hello) => this.#check(hello, { remoteHost }))
        .then((accepted) => {
          if (!accepted) return;
          if (this.counts().inbound >= this.#options.tunables.maxInboundPeers) {
            ws.close(CLOSE_CODES.inboundFull, 'inbound peers full');
            return;
          }
          ws.send(encodePeerFrame(this.#hello()));
          this.#register({ accepted, direction: 'inbound', socket: ws });
        })
        .catch((error: unknown) => this.#options.logger.warn('inbound peer failed', { remoteHost, error }));
    });
  }

  #hello(): HelloFrame {
    const uptimeMs = Math.round(performance.now() - this.#startedAt);
    return createHello({ identity: this.#options.identity, now: this.#options.clock.now(), uptimeMs });
  }

  #check(hello: HelloFrame, where: { remoteHost?: string; expectedPeer?: string }): HelloCheck {
    return checkHello({
      hello,
      list: this.#options.directory,
      now: this.#options.clock.now(),
      // Wide on purpose: a skewed clock should make gossip fail validation, not cut the peer links.
      maxSkewMs: this.#options.tunables.runningExpiryMs,
      ownIp: this.#options.identity.ip,
      ...where,
    });
  }

  /**
   * Waits for the first frame, which must be an acceptable hello; rejects the socket otherwise.
   * Frames after the hello are held until the connection is registered: the peer may send them in
   * the same TCP segment as its hello, and ws emits them before our registration has run.
   */
  #awaitHello(
    ws: WebSocket,
    direction: Direction,
    check: (hello: HelloFrame) => HelloCheck,
  ): Promise<AcceptedHello | undefined> {
    return new Promise((resolve) => {
      let helloSeen = false;
      const early: EarlyFrame[] = [];
      const onMessage = (data: RawData, isBinary: boolean) => {
        if (helloSeen) {
          early.push({ data, isBinary });
          return;
        }
        helloSeen = true;
        clearTimeout(timer);
        if (isBinary) return reject('first frame is binary');
        const parsed = parsePeerFrame(rawBytes(data).toString());
        if (!parsed.ok) return reject(`malformed hello: ${parsed.error}`);
        if (parsed.frame.kind !== 'hello') return reject('first frame is not a hello');
        const verdict = check(parsed.frame);
        if (!verdict.ok) return reject(verdict.reason);
        const { uptimeMs } = parsed.frame;
        resolve({
          peer: verdict.peer,
          pubkey: parsed.frame.pubKey.toLowerCase(),
          ...(uptimeMs === undefined ? {} : { uptimeMs }),
          takeEarlyFrames: () => {
            ws.off('message', onMessage);
            return early.splice(0);
          },
        });
      };
      const reject = (reason: string): void => {
        ws.off('message', onMessage);
        this.#stats.handshakesRejected += 1;
        this.#options.logger.info('peer handshake rejected', { direction, reason });
        ws.close(CLOSE_CODES.handshakeRejected, reason.slice(0, 120));
        resolve(undefined);
      };
      const timer = setTimeout(() => reject('no hello in time'), this.#options.tunables.peerPingIntervalMs);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      ws.on('message', onMessage);
    });
  }

  #register({
    accepted,
    direction,
    socket,
  }: {
    accepted: AcceptedHello;
    direction: Direction;
    socket: WebSocket;
  }): void {
    const early = accepted.takeEarlyFrames();
    const connection = new PeerConnection({
      peer: accepted.peer,
      pubkey: accepted.pubkey,
      direction,
      socket,
      ...(accepted.uptimeMs === undefined ? {} : { uptimeMs: accepted.uptimeMs }),
    });
    if (this.#stopped) {
      socket.close(CLOSE_CODES.goingAway, 'shutting down');
      return;
    }
    if (this.#connections.has(connection.key)) {
      socket.close(CLOSE_CODES.duplicate, 'already connected');
      return;
    }
    if (!this.#discovery) {
      socket.close(CLOSE_CODES.notConfirmed, 'node not confirmed');
      return;
    }
    this.#connections.set(connection.key, connection);
    if (connection.direction === 'outbound') this.#backoff.succeeded(connection.peer);
    socket.on('message', (data, isBinary) => this.#receive(connection, data, isBinary));
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#stats.framesOversized += 1;
      this.#options.logger.debug('peer socket error', { peer: connection.peer, error });
    });
    socket.once('close', (code) => this.#unregister(connection, code));
    this.#publishChange('peers:added', connection, undefined);
    for (const frame of early) this.#receive(connection, frame.data, frame.isBinary);
  }

  #unregister(connection: PeerConnection, code: number): void {
    if (this.#connections.get(connection.key) !== connection) return;
    this.#connections.delete(connection.key);
    if (connection.direction === 'outbound') this.#backoff.failed(connection.peer, performance.now());
    this.#publishChange('peers:removed', connection, code);
    if (!this.#stopped) this.#maintainer?.trigger();
  }

  #receive(connection: PeerConnection, data: RawData, isBinary: boolean): void {
    const { peer } = connection;
    if (isBinary) {
      // Binary frames carry §7 state-sync requests: raw bytes, a text decode would corrupt them.
      if (this.#options.onSyncRequest) this.#options.onSyncRequest({ bytes: rawBytes(data), peer });
      else this.#stats.binaryFramesIgnored += 1;
      return;
    }
    const parsed = parsePeerFrame(rawBytes(data).toString());
    if (!parsed.ok) {
      this.#stats.framesRejected += 1;
      this.#options.logger.debug('malformed peer frame', { peer, error: parsed.error });
      return;
    }
    const { frame } = parsed;
    if (frame.kind === 'broadcast') this.#options.onBroadcast(frame.envelope, peer);
    else if (frame.kind === 'syncResponse') {
      this.#options.onSyncResponse?.({ peer, peerPubkey: connection.pubkey, envelope: frame.envelope });
    }
  }

  #publishChange(
    name: 'peers:added' | 'peers:removed',
    connection: PeerConnection,
    closeCode: number | undefined,
  ): void {
    const { host, port } = splitHostPort(connection.peer);
    const counts = this.counts();
    const base = { ip: host, port, direction: connection.direction, ...counts };
    if (name === 'peers:added') this.#options.bus.publish('peers:added', base);
    else this.#options.bus.publish('peers:removed', { ...base, closeCode: closeCode ?? null });
    this.#checkThreshold(counts.total);
    this.peerCount.emit(counts.total);
  }

  #checkThreshold(count: number): void {
    const { appSyncPeerThreshold, appSyncDegradedThreshold } = this.#options.tunables;
    if (!this.#thresholdReached && count >= appSyncPeerThreshold) {
      this.#thresholdReached = true;
      this.#options.bus.publish('peers:thresholdReached', { count, threshold: appSyncPeerThreshold });
    } else if (this.#thresholdReached && count < appSyncDegradedThreshold) {
      this.#thresholdReached = false;
      this.#options.bus.publish('peers:belowThreshold', { count, threshold: appSyncDegradedThreshold });
    }
  }

  #maintain(): void {
    if (this.#stopped || !this.#discovery) return;
    this.#dropDelisted();
    const { minOutboundPeers } = this.#options.tunables;
    const now = performance.now();
    const candidates = shuffle(
      this.#options.directory
        .peers()
        .filter(
          (peer) =>
            peer !== this.#options.identity.ip &&
            !this.#dialing.has(peer) &&
            !this.#connections.has(connectionKey('outbound', peer)) &&
            this.#backoff.ready(peer, now),
        ),
    );
    let outbound = this.counts().outbound + this.#dialing.size;
    for (const peer of candidates) {
      if (outbound >= minOutboundPeers) break;
      outbound += 1;
      this.#dial(peer);
    }
  }

  #dropDelisted(): void {
    for (const connection of this.#connections.values()) {
      if (!this.#options.directory.isListed(connection.peer, connection.pubkey)) {
        connection.socket.close(CLOSE_CODES.delisted, 'no longer listed');
      }
    }
  }

  #dial(peer: string): void {
    this.#dialing.add(peer);
    const ws = new WebSocket(`ws://${peer}/ws/flux`, {
      handshakeTimeout: this.#options.tunables.peerPingIntervalMs,
      maxPayload: MAX_FRAME_BYTES,
    });
    const failed = (): void => {
      if (!this.#dialing.delete(peer)) return;
      this.#backoff.failed(peer, performance.now());
    };
    ws.on('error', (error) => {
      this.#options.logger.debug('dial failed', { peer, error: error.message });
      failed();
    });
    ws.once('open', () => {
      ws.send(encodePeerFrame(this.#hello()));
      this.#awaitHello(ws, 'outbound', (hello) => this.#check(hello, { expectedPeer: peer }))
        .then((accepted) => {
          if (!accepted) return failed();
          this.#dialing.delete(peer);
          this.#register({ accepted, direction: 'outbound', socket: ws });
        })
        .catch((error: unknown) => {
          this.#options.logger.warn('outbound peer failed', { peer, error });
          failed();
        });
    });
    ws.once('close', failed);
  }

  #pingAll(): void {
    for (const connection of this.#connections.values()) {
      if (!connection.alive) {
        this.#stats.deadPeersTerminated += 1;
        if (this.#options.regressions.has('dead-peer-close')) connection.socket.close();
        else connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }
}

/** ws hands a message as a Buffer, an ArrayBuffer or fragments; always one Buffer here. */
function rawBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function closeWithin(socket: WebSocket, graceMs: number): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.terminate();
      resolve();
    }, graceMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.close(CLOSE_CODES.goingAway, 'shutting down');
  });
}

/** Outbound first, so each peer is reached over the connection we opened when there are two. */
function directionRank(connection: PeerConnection): number {
  return connection.direction === 'outbound' ? 0 : 1;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * This node's own signed broadcasts (fluxos-node.md §4.1 "Own messages"): apprunning is cached,
 * broadcast, then logged as an event; sigterm is broadcast, logged and shortens our own rows;
 * appremoved is broadcast only (its local effect comes back through a peer's relay).
 */
import { uptime } from 'node:os';
import { type SignedBroadcast, signBroadcast } from '../../protocol/gossip/envelope.js';
import type { AppMessage, AppRunningV2, NodeSigterm, RunningApp } from '../../protocol/gossip/messages.js';
import type { RegressionName } from '../../protocol/regressions.js';
import type { Clock } from '../clock.js';
import type { Identity } from '../peers/handshake.js';
import type { EventBus } from '../sse/event-bus.js';
import type { EventLog } from '../store/event-log.js';
import type { LocationCache } from '../store/location-cache.js';

export interface AnnouncerOptions {
  identity: Identity;
  clock: Clock;
  eventLog: EventLog;
  cache: LocationCache;
  bus: EventBus;
  /** Sends to every connected peer; returns how many got it. */
  broadcast(envelope: SignedBroadcast): number;
  /** sigterm-gated-on-cache (bug 9): the own sigterm is not stored. */
  regressions: ReadonlySet<RegressionName>;
}

export class Announcer {
  readonly #options: AnnouncerOptions;

  constructor(options: AnnouncerOptions) {
    this.#options = options;
  }

  #sign<D>(data: D, now: number): SignedBroadcast<D> {
    const { privkeyHex, pubkeyHex } = this.#options.identity;
    return signBroadcast({ data, privkeyHex, pubkeyHex, timestamp: now });
  }

  async announceRunning(apps: RunningApp[]): Promise<{ peers: number }> {
    const { clock, identity, cache, eventLog, bus } = this.#options;
    const now = clock.now();
    const data: AppRunningV2 = {
      type: 'fluxapprunning',
      version: 2,
      apps,
      ip: identity.ip,
      broadcastedAt: now,
      osUptime: Math.floor(uptime()),
      staticIp: false,
    };
    const envelope = this.#sign(data, now);
    await cache.storeAppRunning(data);
    const peers = this.#options.broadcast(envelope);
    await eventLog.storeGossipEvent({ type: 'apprunning', payload: data, envelope, source: 'local' });
    bus.publish('app:running', { apps, ip: identity.ip });
    return { peers };
  }

  async announceSigterm(): Promise<{ peers: number; shortened: number }> {
    const { clock, identity, cache, eventLog } = this.#options;
    const now = clock.now();
    const data: NodeSigterm = { type: 'fluxnodesigterm', version: 1, ip: identity.ip, broadcastedAt: now };
    const envelope = this.#sign(data, now);
    const peers = this.#options.broadcast(envelope);
    if (!this.#options.regressions.has('sigterm-gated-on-cache')) {
      await eventLog.storeGossipEvent({ type: 'sigterm', payload: data, envelope, source: 'local' });
    }
    const shortened = await cache.applySigterm(data);
    return { peers, shortened };
  }

  announceRemoved(appName: string): { peers: number } {
    const now = this.#options.clock.now();
    const data = {
      type: 'fluxappremoved' as const,
      version: 1 as const,
      ip: this.#options.identity.ip,
      appName,
      broadcastedAt: now,
    };
    return { peers: this.#options.broadcast(this.#sign(data, now)) };
  }

  /** Gossips an owner-signed app registration inside this node's envelope. */
  relayAppMessage(message: AppMessage): { peers: number } {
    return { peers: this.#options.broadcast(this.#sign(message, this.#options.clock.now())) };
  }
}

/**
 * Type handlers of the gossip path (fluxos-node.md §4.1, relay rules §5.4). Relaying forwards the
 * signed envelope unchanged to every other peer: a simplification of FluxOS's 0x01 announce /
 * 0x02 pull exchange (docs/node-contract.md).
 */
import type { SignedBroadcast } from '../../protocol/gossip/envelope.js';
import type {
  AppHashRequest,
  AppMessage,
  AppRemoved,
  AppRunning,
  IpChanged,
  NodeSigterm,
} from '../../protocol/gossip/messages.js';
import type { RegressionName } from '../../protocol/regressions.js';
import type { AppMessageStore } from '../apps/message-store.js';
import type { Clock } from '../clock.js';
import type { ViewReader } from '../location-view-reader.js';
import type { Logger } from '../log.js';
import type { EventBus } from '../sse/event-bus.js';
import type { EventLog } from '../store/event-log.js';
import type { LocationCache } from '../store/location-cache.js';
import type { Tunables } from '../tunables.js';
import type { VerifiedBroadcast } from './pipeline.js';

export interface GossipHandlerDeps {
  clock: Clock;
  tunables: Pick<Tunables, 'relayMaxAgeMs' | 'sigtermMaxAgeMs'>;
  eventLog: EventLog;
  cache: LocationCache;
  messages: AppMessageStore;
  readView: ViewReader;
  bus: EventBus;
  /** Forwards a verified envelope to every peer but the one it came from. */
  relay(envelope: SignedBroadcast, exceptPeer: string): void;
  logger: Logger;
  /** sigterm-gated-on-cache (bug 9), app-message-gossip-dropped (bug 16). */
  regressions: ReadonlySet<RegressionName>;
  /** A peer asks for app messages by hash (§6); answered to that peer only, never relayed. */
  onHashRequest?(input: { request: AppHashRequest; peer: string }): Promise<void>;
}

export interface GossipHandlerStats {
  relayed: number;
  sigtermsIgnored: number;
  appMessagesRejected: number;
}

export interface GossipHandler {
  handle(message: VerifiedBroadcast): Promise<void>;
  readonly stats: Readonly<GossipHandlerStats>;
}

export function createGossipHandler(deps: GossipHandlerDeps): GossipHandler {
  const stats: GossipHandlerStats = { relayed: 0, sigtermsIgnored: 0, appMessagesRejected: 0 };
  const ageOf = (envelope: SignedBroadcast): number => deps.clock.now() - envelope.timestamp;
  const relay = (message: VerifiedBroadcast): void => {
    stats.relayed += 1;
    deps.relay(message.envelope, message.fromPeer);
  };
  const youngEnough = (message: VerifiedBroadcast): boolean => ageOf(message.envelope) <= deps.tunables.relayMaxAgeMs;

  async function onAppRunning(message: VerifiedBroadcast, payload: AppRunning): Promise<void> {
    await deps.eventLog.storeGossipEvent({
      type: 'apprunning',
      payload: signedData(message, payload),
      envelope: message.envelope,
      source: 'gossip',
    });
    const { rebroadcast } = await deps.cache.storeAppRunning(payload);
    deps.bus.publish('network:apprunning', { ip: payload.ip, apps: appsOf(payload) });
    if (rebroadcast && youngEnough(message)) relay(message);
  }

  async function onSigterm(message: VerifiedBroadcast, payload: NodeSigterm): Promise<void> {
    // Gated on the derived view, not the cache (field bug 9): a node whose cache lost the IP still relays.
    const known = deps.regressions.has('sigterm-gated-on-cache')
      ? await deps.cache.rows({ ip: payload.ip })
      : await deps.readView({ ip: payload.ip });
    if (ageOf(message.envelope) > deps.tunables.sigtermMaxAgeMs || known.length === 0) {
      stats.sigtermsIgnored += 1;
      return;
    }
    await deps.eventLog.storeGossipEvent({
      type: 'sigterm',
      payload: signedData(message, payload),
      envelope: message.envelope,
      source: 'gossip',
    });
    await deps.cache.applySigterm(payload);
    deps.bus.publish('network:sigterm', { ip: payload.ip });
    relay(message);
  }

  async function onAppRemoved(message: VerifiedBroadcast, payload: AppRemoved): Promise<void> {
    await deps.eventLog.storeGossipEvent({
      type: 'appremoved',
      payload: signedData(message, payload),
      envelope: message.envelope,
      source: 'gossip',
    });
    const { stored } = await deps.cache.removeApp(payload);
    deps.bus.publish('network:appremoved', { ip: payload.ip, name: payload.appName });
    if (stored && youngEnough(message)) relay(message);
  }

  async function onIpChanged(message: VerifiedBroadcast, payload: IpChanged): Promise<void> {
    await deps.eventLog.storeGossipEvent({
      type: 'ipchanged',
      payload: signedData(message, payload),
      envelope: message.envelope,
      source: 'gossip',
    });
    const { stored } = await deps.cache.remapIp({
      oldIP: payload.oldIP,
      newIP: payload.newIP,
      changedAt: payload.broadcastedAt,
    });
    deps.bus.publish('network:ipchanged', { oldIP: payload.oldIP, newIP: payload.newIP });
    if (stored && youngEnough(message)) relay(message);
  }

  async function onAppMessage(message: VerifiedBroadcast, payload: AppMessage): Promise<void> {
    if (deps.regressions.has('app-message-gossip-dropped')) {
      // Bug 16: the verifier module loaded empty, so every registration gossip failed verification.
      stats.appMessagesRejected += 1;
      return;
    }
    const result = await deps.messages.storeTemporary(payload);
    if (result.stored) {
      relay(message);
      return;
    }
    if (result.reason === 'invalid') {
      stats.appMessagesRejected += 1;
      deps.logger.info('app message rejected', {
        hash: payload.hash,
        detail: result.detail,
        fromPeer: message.fromPeer,
      });
    }
  }

  return {
    get stats() {
      return { ...stats };
    },
    handle: async (message) => {
      const { payload } = message;
      switch (payload.type) {
        case 'fluxapprunning':
          return onAppRunning(message, payload);
        case 'fluxnodesigterm':
          return onSigterm(message, payload);
        case 'fluxappremoved':
          return onAppRemoved(message, payload);
        case 'fluxipchanged':
          return onIpChanged(message, payload);
        case 'fluxapprequest':
          return deps.onHashRequest?.({ request: payload, peer: message.fromPeer });
        default:
          return onAppMessage(message, payload);
      }
    },
  };
}

/**
 * The payload exactly as signed (the envelope's own `data`, sender's key order and extra fields
 * kept), so a stored event re-verifies when served to a syncing peer (field bug 8).
 */
function signedData<P>(message: VerifiedBroadcast, _parsed: P): P {
  return message.envelope.data as P;
}

/** The catalogue's `{name, hash, runningSince}` list for either apprunning version. */
export function appsOf(payload: AppRunning): { name: string; hash: string; runningSince?: number | string }[] {
  if (payload.version === 2) return payload.apps;
  return [
    {
      name: payload.name,
      hash: payload.hash,
      ...(payload.runningSince === undefined ? {} : { runningSince: payload.runningSince }),
    },
  ];
}

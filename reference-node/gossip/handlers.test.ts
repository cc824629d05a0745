import { describe, expect, it } from 'vitest';
import type { AppLocation } from '../../protocol/appstate/documents.js';
import { type SignedBroadcast, signBroadcast } from '../../protocol/gossip/envelope.js';
import { parseGossipPayload } from '../../protocol/gossip/messages.js';
import { publicKeyFromPrivate } from '../../protocol/gossip/signing.js';
import { NO_REGRESSIONS, type RegressionName } from '../../protocol/regressions.js';
import type { AppMessageStore } from '../apps/message-store.js';
import { manualClock } from '../clock.js';
import { createLogger } from '../log.js';
import { EventBus } from '../sse/event-bus.js';
import type { EventLog } from '../store/event-log.js';
import type { LocationCache } from '../store/location-cache.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { createGossipHandler } from './handlers.js';

const KEY = '317a108a9e9e5ae0c15ba3b6bdb4d90b9ce56f07c9740775413da58718a83779';
const IP = '198.19.0.11:16127';
const NOW = 1_700_000_000_000;
const location: AppLocation = { name: 'app', hash: 'h', ip: IP, broadcastedAt: NOW - 1_000, runningSince: NOW - 1_000 };

/** Fakes that record what the handler did; the view and the cache are given. */
function setup({
  view,
  cacheRows,
  regressions = NO_REGRESSIONS,
}: {
  view: AppLocation[];
  cacheRows: unknown[];
  regressions?: ReadonlySet<RegressionName>;
}) {
  const stored: string[] = [];
  const payloads: unknown[] = [];
  const relayed: SignedBroadcast[] = [];
  const published: string[] = [];
  const bus = new EventBus({ enabled: true, epoch: 't', bufferSize: 10, validate: true });
  bus.subscribe((event) => published.push(event.name));
  const eventLog = {
    storeGossipEvent: async ({ type, payload }: { type: string; payload: unknown }) => {
      stored.push(type);
      payloads.push(payload);
      return { stored: true };
    },
  } as unknown as EventLog;
  const cache = {
    rows: async () => cacheRows,
    applySigterm: async () => 1,
    storeAppRunning: async () => ({ stored: true, rebroadcast: true }),
  } as unknown as LocationCache;
  const messages = {
    storeTemporary: async () => {
      stored.push('appmessage');
      return { stored: true };
    },
  } as unknown as AppMessageStore;
  const handler = createGossipHandler({
    clock: manualClock(NOW),
    tunables: DEFAULT_TUNABLES,
    eventLog,
    cache,
    messages,
    readView: async () => view,
    bus,
    relay: (envelope) => relayed.push(envelope),
    logger: createLogger({ level: 'silent' }),
    regressions,
  });
  return { handler, stored, payloads, relayed, published };
}

function verified(data: unknown) {
  const envelope = signBroadcast({ data, privkeyHex: KEY, pubkeyHex: publicKeyFromPrivate(KEY), timestamp: NOW });
  const parsed = parseGossipPayload(data);
  if (!parsed.ok) throw new Error(parsed.error);
  return { envelope, payload: parsed.payload, fromPeer: 'peer' };
}

const sigterm = verified({ type: 'fluxnodesigterm', version: 1, ip: IP, broadcastedAt: NOW });

describe('gossip handlers', () => {
  it('stores and relays a sigterm when the view has apps for the IP, even if the cache lost them (bug 9 fix)', async () => {
    const { handler, stored, relayed, published } = setup({ view: [location], cacheRows: [] });
    await handler.handle(sigterm);
    expect(stored).toEqual(['sigterm']);
    expect(relayed).toHaveLength(1);
    expect(published).toEqual(['network:sigterm']);
  });

  it('ignores a sigterm for an IP without apps in the view, or too old to act on', async () => {
    const empty = setup({ view: [], cacheRows: [{}] });
    await empty.handler.handle(sigterm);
    expect([empty.stored, empty.relayed, empty.handler.stats.sigtermsIgnored]).toEqual([[], [], 1]);
    const old = setup({ view: [location], cacheRows: [] });
    const stale = { ...sigterm, envelope: { ...sigterm.envelope, timestamp: NOW - 240_001 } };
    await old.handler.handle(stale);
    expect(old.stored).toEqual([]);
  });

  it('with sigterm-gated-on-cache, gates on the cache instead', async () => {
    const regressions = new Set<RegressionName>(['sigterm-gated-on-cache']);
    const lost = setup({ view: [location], cacheRows: [], regressions });
    await lost.handler.handle(sigterm);
    expect([lost.stored, lost.relayed]).toEqual([[], []]);
    const cached = setup({ view: [], cacheRows: [{}], regressions });
    await cached.handler.handle(sigterm);
    expect(cached.stored).toEqual(['sigterm']);
  });

  it('keeps and relays app registrations, unless app-message-gossip-dropped', async () => {
    const message = verified({
      type: 'fluxappregister',
      version: 1,
      appSpecifications: { name: 'x' },
      hash: 'ab'.repeat(32),
      timestamp: NOW,
      signature: 's',
    });
    const fixed = setup({ view: [], cacheRows: [] });
    await fixed.handler.handle(message);
    expect([fixed.stored, fixed.relayed.length]).toEqual([['appmessage'], 1]);
    const buggy = setup({ view: [], cacheRows: [], regressions: new Set(['app-message-gossip-dropped']) });
    await buggy.handler.handle(message);
    expect([buggy.stored, buggy.relayed.length, buggy.handler.stats.appMessagesRejected]).toEqual([[], 0, 1]);
  });

  it('stores the payload exactly as signed and relays a stored, young apprunning', async () => {
    const data = { ip: IP, type: 'fluxapprunning', version: 2, apps: [], broadcastedAt: NOW, extra: 'kept' };
    const message = verified(data);
    const { handler, payloads, relayed, published } = setup({ view: [], cacheRows: [] });
    await handler.handle(message);
    expect(payloads).toEqual([data]);
    expect(payloads[0]).toBe(message.envelope.data);
    expect(relayed).toHaveLength(1);
    expect(published).toEqual(['network:apprunning']);
  });
});

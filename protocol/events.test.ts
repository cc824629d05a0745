import { describe, expect, it } from 'vitest';
import { type CataloguedEventName, FLUX_EVENT_NAMES, type FluxEventPayload, parseFluxEvent } from './events.js';

/** One valid payload per §11 event; also pins the catalogue to exactly the names §11 lists. */
const samples: { [N in CataloguedEventName]: FluxEventPayload<N> } = {
  'boot:settled': {},
  'spawner:paused': {},
  'spawner:resumed': {},
  'daemon:unreachable': {},
  'daemon:recovered': {},
  'explorer:ready': { height: 100 },
  'block:processed': { height: 101 },
  'daemon:polled': { height: 101, headers: 102 },
  'orchestrator:started': {
    state: 'INITIALIZING',
    bootContext: {
      machineRebooted: true,
      downtimeMs: 60_000,
      cleanShutdown: false,
      currentBootId: 'b1',
      firstBoot: false,
    },
  },
  'orchestrator:stateChanged': { from: 'SYNCING', to: 'READY' },
  'spawner:blocked': { reason: 'db_not_ready' },
  'spawner:deferred': { appName: 'web', reason: 'not_synced', delayMs: 5000 },
  'spawner:networkErrorSkip': { appName: 'web', hash: 'h', errorCount: 3 },
  'spawner:installFailed': { appName: 'web', hash: 'h' },
  'app:running': { apps: [{ name: 'web', hash: 'h', runningSince: 1 }], ip: '198.18.0.1' },
  'app:installed': { name: 'web', hash: 'h' },
  'app:specStored': { name: 'web', hash: 'h' },
  'app:removed': { name: 'web' },
  'confirmation:changed': { confirmed: true },
  'messageCapability:changed': { capable: false },
  'dos:changed': { dosState: 0, dosMessage: null },
  'peers:added': { ip: '198.18.0.2', port: 16127, direction: 'outbound', outbound: 1, inbound: 0, total: 1 },
  'peers:removed': {
    ip: '198.18.0.2',
    port: 16127,
    direction: 'inbound',
    outbound: 0,
    inbound: 0,
    total: 0,
    closeCode: 1006,
  },
  'peers:thresholdReached': { count: 12, threshold: 12 },
  'peers:belowThreshold': { count: 3, threshold: 4 },
  'network:apprunning': { ip: '198.18.0.2', apps: [{ name: 'web', hash: 'h' }] },
  'network:appinstalling': { ip: '198.18.0.2', name: 'web' },
  'network:appinstallingerror': { ip: '198.18.0.2', name: 'web' },
  'network:appremoved': { ip: '198.18.0.2', name: 'web' },
  'network:ipchanged': { oldIP: '198.18.0.2', newIP: '198.18.0.9' },
  'network:sigterm': { ip: '198.18.0.2' },
  'network:appmessage': { hash: 'h', type: 'fluxappregister', name: 'web' },
  'ephemeralSync:requested': { peerCount: 3, peers: ['198.18.0.2:16127'] },
  'ephemeralSync:peerComplete': { syncType: 'apprunning', completions: 1, required: 3 },
  'ephemeralSync:allComplete': { apprunning: 3, appinstalling: 3, apperrors: 3 },
  'sync:chunkVerified': { syncType: 'apprunning', peer: '198.18.0.2', verified: 10, stored: 9 },
  'hashSync:complete': { attempt: 1, missing: 0 },
  'hashSync:failed': { attempt: 1, maxRetries: 3, willRetry: true, error: 'peers dropped' },
  'hashRequest:received': { peer: '198.18.0.2', count: 500 },
  'hashRequest:responded': { peer: '198.18.0.2', requested: 500, found: 498 },
};

describe('SSE event catalogue', () => {
  it('holds exactly the §11 event names', () => {
    expect([...FLUX_EVENT_NAMES].sort()).toEqual(Object.keys(samples).sort());
  });

  it.each(Object.entries(samples))('parses %s', (name, data) => {
    expect(parseFluxEvent(name, JSON.stringify(data))).toEqual({ ok: true, name, data });
  });

  it('keeps fields a newer FluxOS might add out of the way instead of failing', () => {
    const result = parseFluxEvent('network:sigterm', JSON.stringify({ ip: '198.18.0.2', extra: 1 }));
    expect(result).toEqual({ ok: true, name: 'network:sigterm', data: { ip: '198.18.0.2' } });
  });

  it('passes imageUpdate:* through as unspecified data', () => {
    expect(parseFluxEvent('imageUpdate:checked', '{"any":[1]}')).toEqual({
      ok: true,
      name: 'imageUpdate:checked',
      data: { any: [1] },
    });
  });

  it.each([
    ['an unknown name', 'message:dispatched', '{}', /^message:dispatched: unknown event name$/],
    ['bad JSON', 'block:processed', '{height', /^block:processed: data is not valid JSON/],
    ['a wrong field type', 'block:processed', '{"height":"7"}', /^block:processed: height: /],
    ['a nested bad field', 'app:running', '{"ip":"x","apps":[{"name":"a"}]}', /^app:running: apps\[0\]\.hash: /],
    [
      'an unknown state',
      'orchestrator:stateChanged',
      '{"from":"READY","to":"LOST"}',
      /^orchestrator:stateChanged: to: /,
    ],
    ['an unknown block reason', 'spawner:blocked', '{"reason":"tired"}', /^spawner:blocked: reason: /],
  ])('rejects %s, naming event and field', (_label, name, data, error) => {
    const result = parseFluxEvent(name, data);
    expect(!result.ok && result.error).toMatch(error);
  });
});

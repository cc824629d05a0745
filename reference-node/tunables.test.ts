import { describe, expect, it } from 'vitest';
import { DEFAULT_TUNABLES, loadTunables, scaleTunables, TunablesError } from './tunables.js';

function loadError(env: Record<string, string>): TunablesError {
  try {
    loadTunables(env);
  } catch (error) {
    if (error instanceof TunablesError) return error;
    throw error;
  }
  throw new Error('loadTunables accepted bad input');
}

describe('tunables', () => {
  it('defaults to FluxOS production values', () => {
    expect(loadTunables({})).toEqual(DEFAULT_TUNABLES);
    expect(DEFAULT_TUNABLES).toMatchObject({
      gossipValidityMs: 300_000,
      runningExpiryMs: 7_500_000,
      sigtermExpiryMs: 420_000,
      evictedExpiryMs: 7_500_000,
      installingExpiryMs: 900_000,
      futureToleranceMs: 120_000,
      relayMaxAgeMs: 240_000,
      sigtermMaxAgeMs: 240_000,
      removedMaxAgeMs: 3_900_000,
      messageCacheSize: 1000,
      messageCacheTtlMs: 300_000,
      apprunningIntervalMs: 3_600_000,
      nodeStatusIntervalMs: 1_200_000,
      heartbeatIntervalMs: 30_000,
      dispatchDelayMinMs: 1,
      dispatchDelayMaxMs: 75,
      syncThrottleMs: 300_000,
      maxAppsPerNode: 200,
      hashRetryBackoffBlocks: [0, 100, 500, 2500, 12500, 50000, 100000],
    });
  });

  it('scales durations only, never to zero', () => {
    const scaled = scaleTunables(DEFAULT_TUNABLES, 0.01);
    expect(scaled.runningExpiryMs).toBe(75_000);
    expect(scaled.sigtermExpiryMs).toBe(4_200);
    expect(scaled.dispatchDelayMinMs).toBe(1);
    expect(scaled.dispatchDelayMaxMs).toBe(1);
    expect(scaled.maxAppsPerNode).toBe(200);
    expect(scaled.blockTimerBlocks).toBe(250);
    expect(scaled.hashRetryBackoffBlocks).toEqual(DEFAULT_TUNABLES.hashRetryBackoffBlocks);
    expect(DEFAULT_TUNABLES.runningExpiryMs).toBe(7_500_000);
  });

  it('applies FLUXNET_TIME_SCALE, then absolute FLUXNET_TUNABLES overrides', () => {
    const tunables = loadTunables({
      FLUXNET_TIME_SCALE: '0.01',
      FLUXNET_TUNABLES: JSON.stringify({ sigtermExpiryMs: 1234, maxAppsPerNode: 5 }),
    });
    expect(tunables.runningExpiryMs).toBe(75_000);
    expect(tunables.sigtermExpiryMs).toBe(1234);
    expect(tunables.maxAppsPerNode).toBe(5);
  });

  it.each([
    ['a non-numeric scale', { FLUXNET_TIME_SCALE: 'fast' }, /^FLUXNET_TIME_SCALE: expected a number > 0, got "fast"$/],
    ['a zero scale', { FLUXNET_TIME_SCALE: '0' }, /^FLUXNET_TIME_SCALE: /],
    ['an empty scale', { FLUXNET_TIME_SCALE: '' }, /^FLUXNET_TIME_SCALE: /],
    ['bad JSON', { FLUXNET_TUNABLES: '{oops' }, /^FLUXNET_TUNABLES: not valid JSON/],
    ['an unknown name', { FLUXNET_TUNABLES: '{"sigtermExpiry":5}' }, /^FLUXNET_TUNABLES: .*sigtermExpiry/],
    ['a negative duration', { FLUXNET_TUNABLES: '{"runningExpiryMs":-1}' }, /^FLUXNET_TUNABLES: runningExpiryMs: /],
    ['a string value', { FLUXNET_TUNABLES: '{"runningExpiryMs":"1h"}' }, /^FLUXNET_TUNABLES: runningExpiryMs: /],
    ['a non-object', { FLUXNET_TUNABLES: '[1]' }, /^FLUXNET_TUNABLES: \(root\): /],
    ['min delay > max delay', { FLUXNET_TUNABLES: '{"dispatchDelayMinMs":80}' }, /dispatchDelayMinMs \(80\) exceeds/],
  ])('rejects %s, naming the variable and field', (_label, env, message) => {
    expect(loadError(env).message).toMatch(message);
  });

  it('rejects a bad scale factor passed in code', () => {
    expect(() => scaleTunables(DEFAULT_TUNABLES, Number.NaN)).toThrow(TunablesError);
  });
});

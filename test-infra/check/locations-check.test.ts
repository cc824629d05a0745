import { describe, expect, it } from 'vitest';
import { locationsConverged } from './locations-check.js';
import {
  appRemoved,
  appRunning,
  ipChanged,
  locationRow,
  MIN,
  perNode,
  SIGTERM_EXPIRY_MS,
  sigterm,
  T,
} from './test-states.js';

const A = '198.18.0.10:16127';
const B = '198.18.0.11:16127';
const options = { now: T + MIN, sigtermExpiryMs: SIGTERM_EXPIRY_MS };

describe('locationsConverged', () => {
  it('passes when each cache is its view and the caches agree, whatever runningSince and osUptime say', () => {
    const events = [appRunning({ ip: A, at: T, apps: ['web', 'db'] }), appRunning({ ip: B, at: T, apps: ['web'] })];
    const rows = [
      { ...locationRow({ name: 'web', ip: A, at: T }), runningSince: 'from the message', osUptime: 5 },
      locationRow({ name: 'db', ip: A, at: T }),
      locationRow({ name: 'web', ip: B, at: T }),
    ];
    const result = locationsConverged(
      [perNode(1, { events, locations: rows }), perNode(2, { events, locations: rows })],
      options,
    );
    expect(result).toEqual({
      name: 'locations-converged',
      ok: true,
      summary: 'locations (zelappslocation): cache = view on nodes 1, 2, all with the same 3 locations',
      diff: [],
    });
  });

  it('reports a cache row its own view no longer has, and the caches that differ', () => {
    const events = [appRunning({ ip: A, at: T, apps: ['web'] }), appRemoved({ ip: A, at: T + 1000, appName: 'web' })];
    const states = [
      perNode(1, { events, locations: [] }),
      perNode(2, { events, locations: [locationRow({ name: 'web', ip: A, at: T })] }),
    ];
    const result = locationsConverged(states, options);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      'locations (zelappslocation): cache ≠ view on node 2; caches differ on 1 of 1 locations',
    );
    expect(result.diff).toEqual([
      `node 2: location web @ ${A}: cache has hash=h-web broadcastedAt=${T}; view has none`,
      `location web @ ${A}: node 2 has hash=h-web broadcastedAt=${T}; node 1 has none`,
    ]);
  });

  it('shows only the differing fields when cache and view both hold a location', () => {
    const changedAt = T + 2000;
    const events = [appRunning({ ip: A, at: T, apps: ['web'] }), ipChanged({ oldIP: A, newIP: B, at: changedAt })];
    // The gossip path stamps moved rows with the ipchanged time (§4.1); the view keeps the announcement's.
    const rows = [locationRow({ name: 'web', ip: B, at: changedAt })];
    const result = locationsConverged([perNode(1, { events, locations: rows })], options);
    expect(result.diff).toEqual([
      `node 1: location web @ ${B}: cache has broadcastedAt=${changedAt}; view has broadcastedAt=${T}`,
    ]);
  });

  it('derives the view for the given now: a sigterm hides locations once its grace is over', () => {
    const events = [appRunning({ ip: A, at: T, apps: ['web'] }), sigterm({ ip: A, at: T + 1000 })];
    const shortened = [locationRow({ name: 'web', ip: A, at: T, expireAt: T + 1000 + SIGTERM_EXPIRY_MS })];
    const inGrace = { now: T + 2000, sigtermExpiryMs: SIGTERM_EXPIRY_MS };
    expect(locationsConverged([perNode(1, { events, locations: shortened })], inGrace).ok).toBe(true);

    const afterGrace = { now: T + 1000 + SIGTERM_EXPIRY_MS, sigtermExpiryMs: SIGTERM_EXPIRY_MS };
    expect(locationsConverged([perNode(1, { events, locations: shortened })], afterGrace).diff).toEqual([
      `node 1: location web @ ${A}: cache has hash=h-web broadcastedAt=${T}; view has none`,
    ]);
    // What readNodeState returns after the row's expireAt: the row left out, so cache = view again.
    expect(locationsConverged([perNode(1, { events, locations: [] })], afterGrace).ok).toBe(true);
  });

  it('reports caches that differ across nodes even when each equals its own view', () => {
    const older = [appRunning({ ip: A, at: T, apps: ['web'] })];
    const newer = [appRunning({ ip: A, at: T + 5000, apps: ['web'] })];
    const states = [
      perNode(1, { events: older, locations: [locationRow({ name: 'web', ip: A, at: T })] }),
      perNode(2, { events: newer, locations: [locationRow({ name: 'web', ip: A, at: T + 5000 })] }),
      perNode(3, { events: newer, locations: [locationRow({ name: 'web', ip: A, at: T + 5000 })] }),
    ];
    const result = locationsConverged(states, options);
    expect(result.summary).toBe('locations (zelappslocation): caches differ on 1 of 1 locations');
    expect(result.diff).toEqual([
      `location web @ ${A}: nodes 2, 3 have hash=h-web broadcastedAt=${T + 5000}; node 1 has hash=h-web broadcastedAt=${T}`,
    ]);
  });

  it('reports two cache rows for one (name, ip)', () => {
    const events = [appRunning({ ip: A, at: T, apps: ['web'] })];
    const row = locationRow({ name: 'web', ip: A, at: T });
    const result = locationsConverged([perNode(1, { events, locations: [row, row] })], options);
    expect(result.diff).toEqual([`node 1: location web @ ${A}: 2 cache rows`]);
  });
});

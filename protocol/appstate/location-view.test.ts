import { describe, expect, it } from 'vitest';
import type { AppStateEventDoc } from './documents.js';
import { deriveLocations } from './location-view.js';

const MIN = 60_000;
const RUNNING = 125 * MIN;
const GRACE = 7 * MIN;
const T = 1_700_000_000_000;
const tunables = { sigtermExpiryMs: GRACE };
const envelope = { version: 1 as const, timestamp: 0, pubKey: '02', signature: 's' };
const X = '198.18.0.10';
const Y = '198.18.0.11';
const Z = '198.18.0.12';

type App = string | { name: string; hash?: string; runningSince?: number };

function v2(ip: string, at: number, apps: App[]): AppStateEventDoc {
  const list = apps.map((app) =>
    typeof app === 'string' ? { name: app, hash: `h-${app}` } : { hash: `h-${app.name}`, ...app },
  );
  return {
    ip,
    type: 'apprunning',
    dedupKey: 'v2',
    broadcastedAt: at,
    expireAt: at + RUNNING,
    data: { type: 'fluxapprunning', version: 2, apps: list, ip, broadcastedAt: at, osUptime: 99, staticIp: false },
    envelope,
  };
}

function v1(ip: string, at: number, name: string, runningSince?: number): AppStateEventDoc {
  return {
    ip,
    type: 'apprunning',
    dedupKey: `v1:${name}`,
    broadcastedAt: at,
    expireAt: at + RUNNING,
    data: { type: 'fluxapprunning', version: 1, name, hash: `h-${name}`, ip, broadcastedAt: at, runningSince },
    envelope,
  };
}

function sigterm(ip: string, at: number): AppStateEventDoc {
  return {
    ip,
    type: 'sigterm',
    dedupKey: 'sigterm',
    broadcastedAt: at,
    expireAt: at + RUNNING,
    data: { type: 'fluxnodesigterm', version: 1, ip, broadcastedAt: at },
    envelope,
  };
}

function evicted(ip: string, at: number): AppStateEventDoc {
  return { ip, type: 'evicted', dedupKey: 'evicted', createdAt: at, expireAt: at + RUNNING, receivedAt: at };
}

function removed(ip: string, at: number, appName: string): AppStateEventDoc {
  return {
    ip,
    type: 'appremoved',
    dedupKey: `appremoved:${appName}`,
    broadcastedAt: at,
    expireAt: at + RUNNING,
    data: { type: 'fluxappremoved', version: 1, ip, appName, broadcastedAt: at },
    envelope,
  };
}

function ipchanged(oldIP: string, newIP: string, at: number): AppStateEventDoc {
  return {
    ip: oldIP,
    type: 'ipchanged',
    dedupKey: 'ipchanged',
    broadcastedAt: at,
    expireAt: at + RUNNING,
    data: { type: 'fluxipchanged', version: 1, oldIP, newIP, broadcastedAt: at },
    envelope,
  };
}

/** `name@ip` (plus `#hash` where the case is about which announcement won). */
function listed(events: AppStateEventDoc[], now: number, filter: { appName?: string; ip?: string } = {}): string[] {
  return deriveLocations({ events, now, tunables, ...filter }).map((l) => `${l.name}@${l.ip}`);
}

interface Case {
  name: string;
  events: AppStateEventDoc[];
  now: number;
  expected: string[];
  filter?: { appName?: string; ip?: string };
}

const cases: Case[] = [
  { name: 'a v2 lists each of its apps', events: [v2(X, T, ['a', 'b'])], now: T, expected: ['a@X', 'b@X'] },
  {
    name: 'only the latest v2 per IP counts',
    events: [v2(X, T, ['a', 'b']), v2(X, T + 1, ['a'])],
    now: T + 2,
    expected: ['a@X'],
  },
  { name: 'a latest empty v2 lists nothing', events: [v2(X, T, ['a']), v2(X, T + 1, [])], now: T + 2, expected: [] },
  { name: 'expired apprunning is ignored', events: [v2(X, T, ['a'])], now: T + RUNNING, expected: [] },
  { name: 'apprunning just before expiry counts', events: [v2(X, T, ['a'])], now: T + RUNNING - 1, expected: ['a@X'] },
  // rule 1: shutdown
  {
    name: 'sigterm: kept inside the 7-min grace',
    events: [v2(X, T, ['a']), sigterm(X, T + MIN)],
    now: T + MIN + GRACE - 1,
    expected: ['a@X'],
  },
  {
    name: 'sigterm: gone when the grace ends',
    events: [v2(X, T, ['a']), sigterm(X, T + MIN)],
    now: T + MIN + GRACE,
    expected: [],
  },
  {
    name: 'sigterm: an announcement at the sigterm time survives (>=)',
    events: [v2(X, T, ['a']), sigterm(X, T)],
    now: T + 60 * MIN,
    expected: ['a@X'],
  },
  {
    name: 'sigterm: a later announcement survives',
    events: [sigterm(X, T), v2(X, T + 1, ['a'])],
    now: T + 60 * MIN,
    expected: ['a@X'],
  },
  {
    name: 'sigterm: only its own IP',
    events: [v2(X, T, ['a']), v2(Y, T, ['a']), sigterm(X, T + 1)],
    now: T + 30 * MIN,
    expected: ['a@Y'],
  },
  { name: 'eviction suppresses at once', events: [v2(X, T, ['a']), evicted(X, T + 1)], now: T + 1, expected: [] },
  {
    name: 'eviction: a later announcement survives',
    events: [evicted(X, T), v2(X, T + 1, ['a'])],
    now: T + 2,
    expected: ['a@X'],
  },
  {
    name: 'eviction: an announcement at the eviction time survives',
    events: [evicted(X, T), v2(X, T, ['a'])],
    now: T + 1,
    expected: ['a@X'],
  },
  {
    name: 'latest shutdown only: a sigterm after an eviction re-exposes for the grace',
    events: [v2(X, T, ['a']), evicted(X, T + MIN), sigterm(X, T + 2 * MIN)],
    now: T + 3 * MIN,
    expected: ['a@X'],
  },
  {
    name: 'latest shutdown only: ... and hides again after it',
    events: [v2(X, T, ['a']), evicted(X, T + MIN), sigterm(X, T + 2 * MIN)],
    now: T + 2 * MIN + GRACE,
    expected: [],
  },
  {
    name: 'latest shutdown only: an eviction after a sigterm cuts the grace',
    events: [v2(X, T, ['a']), sigterm(X, T + MIN), evicted(X, T + 2 * MIN)],
    now: T + 3 * MIN,
    expected: [],
  },
  {
    name: 'sigterm and eviction at the same time: the eviction wins',
    events: [v2(X, T, ['a']), sigterm(X, T + MIN), evicted(X, T + MIN)],
    now: T + 2 * MIN,
    expected: [],
  },
  {
    name: 'an expired sigterm still suppresses (it counts until deleted)',
    events: [v2(X, T, ['a']), { ...sigterm(X, T + MIN), expireAt: T + 2 * MIN }],
    now: T + 10 * MIN,
    expected: [],
  },
  // rule 2: v1
  { name: 'v1 without any v2 counts', events: [v1(X, T, 'a')], now: T, expected: ['a@X'] },
  {
    name: 'v1 strictly newer than the v2 counts',
    events: [v2(X, T, ['b']), v1(X, T + 1, 'a')],
    now: T + 2,
    expected: ['a@X', 'b@X'],
  },
  { name: 'v1 as old as the v2 is dropped', events: [v2(X, T, ['b']), v1(X, T, 'a')], now: T + 2, expected: ['b@X'] },
  {
    name: 'v1 older than the v2 is dropped',
    events: [v1(X, T, 'a'), v2(X, T + 1, ['b'])],
    now: T + 2,
    expected: ['b@X'],
  },
  {
    name: 'a v1 newer than the v2 overrides the same app',
    events: [v2(X, T, [{ name: 'a', hash: 'old' }]), { ...v1(X, T + 1, 'a') }],
    now: T + 2,
    expected: ['a@X'],
  },
  // rule 3: removal, ipchanged, grouping
  {
    name: 'removal at the announcement time removes (strict >)',
    events: [v2(X, T, ['a', 'b']), removed(X, T, 'a')],
    now: T + 1,
    expected: ['b@X'],
  },
  {
    name: 'an announcement after the removal brings the app back',
    events: [removed(X, T, 'a'), v2(X, T + 1, ['a'])],
    now: T + 2,
    expected: ['a@X'],
  },
  {
    name: 'removal is per IP',
    events: [v2(X, T, ['a']), v2(Y, T, ['a']), removed(X, T + 1, 'a')],
    now: T + 2,
    expected: ['a@Y'],
  },
  {
    name: 'an expired removal no longer counts',
    events: [v2(X, T, ['a']), { ...removed(X, T + 1, 'a'), expireAt: T + 2 }],
    now: T + 3,
    expected: ['a@X'],
  },
  {
    name: 'ipchanged newer than the announcement remaps',
    events: [v2(X, T, ['a']), ipchanged(X, Z, T + 1)],
    now: T + 2,
    expected: ['a@Z'],
  },
  {
    name: 'ipchanged not newer leaves it',
    events: [v2(X, T + 1, ['a']), ipchanged(X, Z, T + 1)],
    now: T + 2,
    expected: ['a@X'],
  },
  {
    name: 'a remapped entry and a native one on the new IP: one row',
    events: [v2(X, T, ['a']), ipchanged(X, Z, T + 1), v2(Z, T + 2, ['a'])],
    now: T + 3,
    expected: ['a@Z'],
  },
  // filters
  {
    name: 'app filter is case-insensitive exact',
    events: [v2(X, T, ['MyApp', 'MyApp2'])],
    now: T,
    filter: { appName: 'myapp' },
    expected: ['MyApp@X'],
  },
  {
    name: 'app filter treats regex characters literally',
    events: [v2(X, T, ['a.b', 'axb'])],
    now: T,
    filter: { appName: 'a.b' },
    expected: ['a.b@X'],
  },
  {
    name: 'ip filter applies to the remapped IP',
    events: [v2(X, T, ['a']), v2(Y, T, ['b']), ipchanged(X, Z, T + 1)],
    now: T + 2,
    filter: { ip: Z },
    expected: ['a@Z'],
  },
];

const IP_NAMES: Record<string, string> = { [X]: 'X', [Y]: 'Y', [Z]: 'Z' };

describe('deriveLocations (§3 rules)', () => {
  it.each(cases)('$name', ({ events, now, expected, filter }) => {
    const named = listed(events, now, filter).map((entry) =>
      entry.replace(/@(.*)$/, (_m, ip: string) => `@${IP_NAMES[ip]}`),
    );
    expect(named).toEqual(expected);
  });

  it('does not depend on the order events arrive in', () => {
    const events = [
      v2(X, T, ['a', 'b']),
      sigterm(X, T + MIN),
      v1(X, T + 2 * MIN, 'c'),
      removed(X, T + 3 * MIN, 'c'),
      v2(Y, T, ['a']),
    ];
    const expected = listed(events, T + 4 * MIN);
    expect(listed([...events].reverse(), T + 4 * MIN)).toEqual(expected);
    expect(expected).toEqual([`a@${X}`, `a@${Y}`, `b@${X}`]);
  });

  it('outputs the FluxOS location fields, runningSince from the app, else the message, else broadcastedAt', () => {
    const events = [v2(X, T, [{ name: 'a', runningSince: T - 500 }, 'b']), v1(Y, T, 'c', T - 900), v1(Y, T, 'd')];
    expect(deriveLocations({ events, now: T, tunables })).toEqual([
      { name: 'a', hash: 'h-a', ip: X, broadcastedAt: T, runningSince: T - 500, osUptime: 99, staticIp: false },
      { name: 'b', hash: 'h-b', ip: X, broadcastedAt: T, runningSince: T, osUptime: 99, staticIp: false },
      { name: 'c', hash: 'h-c', ip: Y, broadcastedAt: T, runningSince: T - 900 },
      { name: 'd', hash: 'h-d', ip: Y, broadcastedAt: T, runningSince: T },
    ]);
  });

  it('group by (name, ip): the latest announcement wins, with its hash', () => {
    const events = [
      v2(X, T, [{ name: 'a', hash: 'old' }]),
      ipchanged(X, Z, T + 1),
      v2(Z, T + 2, [{ name: 'a', hash: 'new' }]),
    ];
    expect(deriveLocations({ events, now: T + 3, tunables }).map((l) => l.hash)).toEqual(['new']);
    const older = [
      v2(Z, T, [{ name: 'a', hash: 'native' }]),
      v2(X, T + 1, [{ name: 'a', hash: 'moved' }]),
      ipchanged(X, Z, T + 2),
    ];
    expect(deriveLocations({ events: older, now: T + 3, tunables }).map((l) => l.hash)).toEqual(['moved']);
  });
});

describe('field-bug scenarios, expecting the fixed behaviour', () => {
  const Ts = T + 10 * MIN;

  it('bug 2: an announcement from before the sigterm never outlives the grace, whatever the arrival order', () => {
    const announcement = v2(X, Ts - 2 * MIN, ['a']);
    for (const events of [
      [announcement, sigterm(X, Ts)],
      [sigterm(X, Ts), announcement],
    ]) {
      expect(listed(events, Ts + GRACE - 1)).toEqual([`a@${X}`]);
      expect(listed(events, Ts + GRACE)).toEqual([]);
      expect(listed(events, Ts + 60 * MIN)).toEqual([]);
    }
  });

  it('bug 5: an eviction hides the node at once and for as long as its announcements live', () => {
    const E = T + 30 * MIN;
    const announcement = v2(X, E - MIN, ['a']);
    expect(listed([announcement], E)).toEqual([`a@${X}`]);
    const events = [announcement, evicted(X, E)];
    for (const now of [E, E + GRACE - 1, E + GRACE, E + 60 * MIN, E - MIN + RUNNING - 1])
      expect(listed(events, now)).toEqual([]);
  });

  it('bug 6: a powered-off node stays hidden 10 minutes later (sigterm lives 125 min, grace from eventAt)', () => {
    const events = [v2(X, Ts - MIN, ['a']), sigterm(X, Ts)];
    expect(events[1]!.expireAt).toBe(Ts + RUNNING);
    expect(listed(events, Ts + 10 * MIN)).toEqual([]);
    expect(listed(events, Ts - MIN + RUNNING - 1)).toEqual([]);
  });
});

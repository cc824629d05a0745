import { describe, expect, it } from 'vitest';
import { eventLogConverged } from './event-log-check.js';
import { appRemoved, appRunning, evicted, ipChanged, perNode, sigterm, T } from './test-states.js';

const IP = '198.18.16.12:16127';
const OTHER = '198.18.16.13:16127';

describe('eventLogConverged', () => {
  it('passes when the nodes differ only in node-local fields', () => {
    const shared = [sigterm({ ip: OTHER, at: T + 5000 }), appRemoved({ ip: IP, at: T + 1000, appName: 'db' })];
    const states = [
      perNode(1, {
        events: [
          appRunning({ ip: IP, at: T, apps: ['web'], receivedAt: T + 10 }),
          ...shared,
          evicted({ ip: OTHER, createdAt: T }),
        ],
      }),
      perNode(2, {
        events: [
          appRunning({ ip: IP, at: T, apps: ['web'], receivedAt: T + 99 }),
          ...shared,
          evicted({ ip: OTHER, createdAt: T + 777 }),
        ],
      }),
    ];
    expect(eventLogConverged(states)).toEqual({
      name: 'event-log-converged',
      ok: true,
      summary: 'event log (appstateevents): the same 4 events on nodes 1, 2',
      diff: [],
    });
  });

  it('names the node that lacks an event and what the other holds', () => {
    const states = [
      perNode(3, { events: [appRunning({ ip: IP, at: 1_700_000_012_000, apps: ['web'] })] }),
      perNode(7, { events: [] }),
    ];
    const result = eventLogConverged(states);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe('event log (appstateevents): 1 of 1 event keys differ across nodes 3, 7');
    expect(result.diff).toEqual([
      `apprunning ${IP} v2: node 3 has broadcastedAt=1700000012000 apps=[web]; node 7 has none`,
    ]);
  });

  it('groups nodes by version, largest group first', () => {
    const states = [
      perNode(1, { events: [appRunning({ ip: IP, at: T, apps: ['web'] })] }),
      perNode(2, { events: [appRunning({ ip: IP, at: T + 60_000, apps: ['web', 'db'] })] }),
      perNode(4, { events: [appRunning({ ip: IP, at: T, apps: ['web'] })] }),
      perNode(5, { events: [ipChanged({ oldIP: IP, newIP: OTHER, at: T })] }),
    ];
    expect(eventLogConverged(states).diff).toEqual([
      `apprunning ${IP} v2: nodes 1, 4 have broadcastedAt=${T} apps=[web]; node 2 has broadcastedAt=${T + 60_000} apps=[web, db]; node 5 has none`,
      `ipchanged ${IP} ipchanged: node 5 has broadcastedAt=${T} newIP=${OTHER}; nodes 1, 2, 4 have none`,
    ]);
  });

  it('spells out the fields when two versions read the same', () => {
    const states = [
      perNode(1, { events: [appRunning({ ip: IP, at: T, apps: ['web'], signature: 'sig-a' })] }),
      perNode(2, { events: [appRunning({ ip: IP, at: T, apps: ['web'], signature: 'sig-a' })] }),
      perNode(3, { events: [appRunning({ ip: IP, at: T, apps: ['web'], signature: 'sig-b' })] }),
    ];
    expect(eventLogConverged(states).diff).toEqual([
      `apprunning ${IP} v2: nodes 1, 2 have broadcastedAt=${T} apps=[web]; node 3 has broadcastedAt=${T} apps=[web] (unlike nodes 1, 2: envelope.signature: "sig-a" vs "sig-b")`,
    ]);
  });

  it('compares evictions by presence only', () => {
    const states = [perNode(1, { events: [evicted({ ip: OTHER, createdAt: T })] }), perNode(2)];
    expect(eventLogConverged(states).diff).toEqual([
      `evicted ${OTHER} evicted: node 1 has an eviction; node 2 has none`,
    ]);
  });

  it('caps a long diff and says how many lines were left out', () => {
    const events = Array.from({ length: 50 }, (_, i) => sigterm({ ip: `198.18.1.${i}:16127`, at: T }));
    const result = eventLogConverged([perNode(1, { events }), perNode(2)], { maxDiffLines: 5 });
    expect(result.diff).toHaveLength(6);
    expect(result.diff[5]).toBe('… and 45 more');
    expect(result.summary).toBe('event log (appstateevents): 50 of 50 event keys differ across nodes 1, 2');
  });

  it('fails without any node state rather than passing vacuously', () => {
    expect(eventLogConverged([])).toMatchObject({ ok: false, diff: ['no live node states to compare'] });
  });
});

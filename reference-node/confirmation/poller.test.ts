import { describe, expect, it } from 'vitest';
import type { FluxEvent } from '../../protocol/events.js';
import { manualClock } from '../clock.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import type { ConfirmationAction } from './levels.js';
import { ConfirmationPoller } from './poller.js';

const T = 1_700_000_000_000;

function setup() {
  const clock = manualClock(T);
  const daemon = { status: 'CONFIRMED' as string | Error, listed: true };
  const published: FluxEvent[] = [];
  const actions: ConfirmationAction[][] = [];
  const poller = new ConfirmationPoller({
    client: {
      call: async <R>() => {
        if (daemon.status instanceof Error) throw daemon.status;
        return { status: daemon.status } as R;
      },
    },
    clock,
    tunables: DEFAULT_TUNABLES,
    isListed: () => daemon.listed,
    bus: { publishEvent: (event) => published.push(event) },
    onEvaluated: (evaluation) => actions.push(evaluation.actions),
    onError: (error) => {
      throw error;
    },
  });
  return { poller, daemon, published, actions, clock };
}

describe('confirmation poller (§9)', () => {
  it('publishes confirmation and capability as they change; losing confirmation drops peers', async () => {
    const { poller, daemon, published, actions } = setup();
    const confirmed = poller.whenConfirmed();
    await poller.pollOnce();
    await confirmed;
    expect(poller.levels).toMatchObject({ confirmed: true, canSendMessages: true });
    daemon.listed = false;
    await poller.pollOnce();
    daemon.status = 'expired';
    await poller.pollOnce();
    expect(published).toEqual([
      { name: 'confirmation:changed', data: { confirmed: true } },
      { name: 'messageCapability:changed', data: { capable: true } },
      { name: 'messageCapability:changed', data: { capable: false } },
      { name: 'confirmation:changed', data: { confirmed: false } },
    ]);
    expect(actions).toEqual([[], [], [{ kind: 'dropPeers' }]]);
    expect(poller.stats).toEqual({ polls: 3, rpcFailures: 0, lastStatus: 'expired' });
  });

  it('an unreachable daemon is reported, stays confirmed until daemonExpiredMs, then apps go', async () => {
    const { poller, daemon, published, actions, clock } = setup();
    await poller.pollOnce();
    daemon.status = new Error('ECONNRESET');
    clock.advance(DEFAULT_TUNABLES.daemonStaleMs + 1);
    await poller.pollOnce();
    expect(poller.levels).toMatchObject({ confirmed: true, daemonReachable: false, daemonStale: true });
    clock.advance(DEFAULT_TUNABLES.daemonExpiredMs);
    await poller.pollOnce();
    expect(poller.levels.confirmed).toBe(false);
    expect(published.map((event) => event.name)).toContain('daemon:unreachable');
    expect(actions.slice(1)).toEqual([
      [{ kind: 'removeAllApps', reason: 'daemon-stale' }],
      [{ kind: 'removeAllApps', reason: 'daemon-expired' }, { kind: 'dropPeers' }],
    ]);
    expect(poller.stats.rpcFailures).toBe(2);
  });

  it('reports DOS for the boot gate', async () => {
    const { poller, daemon } = setup();
    daemon.status = 'DOS';
    await poller.pollOnce();
    expect(poller.dos).toBe(true);
    expect(poller.levels.confirmed).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { FluxEvent } from '../../protocol/events.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import {
  type ConfirmationAction,
  type ConfirmationLevels,
  type ConfirmationObservation,
  evaluateConfirmation,
  INITIAL_CONFIRMATION_LEVELS,
  nodeStatusOf,
} from './levels.js';

const MIN = 60_000;
const START = 1_700_000_000_000;
const STALE = DEFAULT_TUNABLES.daemonStaleMs;
const EXPIRED = DEFAULT_TUNABLES.daemonExpiredMs;

const CONFIRMED_SENDING: ConfirmationLevels = {
  confirmed: true,
  canSendMessages: true,
  daemonReachable: true,
  daemonStale: false,
  daemonExpired: false,
};
const UNREACHABLE: ConfirmationLevels = { ...CONFIRMED_SENDING, daemonReachable: false };
const STALE_LEVELS: ConfirmationLevels = { ...UNREACHABLE, daemonStale: true };

function observe(partial: Partial<ConfirmationObservation>): ConfirmationObservation {
  return {
    lastStatus: 'CONFIRMED',
    listed: true,
    rpcOk: true,
    lastRpcSuccessAt: START,
    startedAt: START,
    now: START,
    ...partial,
  };
}

interface Row {
  row: string;
  previous: ConfirmationLevels;
  observation: ConfirmationObservation;
  levels: ConfirmationLevels;
  events: FluxEvent[];
  actions?: ConfirmationAction[];
}

const ROWS: Row[] = [
  {
    row: 'first CONFIRMED poll, listed: confirmed and capable',
    previous: INITIAL_CONFIRMATION_LEVELS,
    observation: observe({}),
    levels: CONFIRMED_SENDING,
    events: [
      { name: 'confirmation:changed', data: { confirmed: true } },
      { name: 'messageCapability:changed', data: { capable: true } },
    ],
  },
  {
    row: 'CONFIRMED but our ip:port/pubkey not in the list: confirmed, cannot send',
    previous: INITIAL_CONFIRMATION_LEVELS,
    observation: observe({ listed: false }),
    levels: { ...CONFIRMED_SENDING, canSendMessages: false },
    events: [{ name: 'confirmation:changed', data: { confirmed: true } }],
  },
  {
    row: 'STARTED: neither',
    previous: INITIAL_CONFIRMATION_LEVELS,
    observation: observe({ lastStatus: 'STARTED' }),
    levels: { ...CONFIRMED_SENDING, confirmed: false, canSendMessages: false },
    events: [],
  },
  {
    row: 'status drops to expired: confirmation and capability lost, peers dropped',
    previous: CONFIRMED_SENDING,
    observation: observe({ lastStatus: 'expired' }),
    levels: { ...CONFIRMED_SENDING, confirmed: false, canSendMessages: false },
    events: [
      { name: 'confirmation:changed', data: { confirmed: false } },
      { name: 'messageCapability:changed', data: { capable: false } },
    ],
    actions: [{ kind: 'dropPeers' }],
  },
  {
    row: 'removed from the list while confirmed: capability lost only',
    previous: CONFIRMED_SENDING,
    observation: observe({ listed: false }),
    levels: { ...CONFIRMED_SENDING, canSendMessages: false },
    events: [{ name: 'messageCapability:changed', data: { capable: false } }],
  },
  {
    row: 'first failing poll: daemon:unreachable, levels kept from the last status',
    previous: CONFIRMED_SENDING,
    observation: observe({ rpcOk: false, now: START + 30_000 }),
    levels: UNREACHABLE,
    events: [{ name: 'daemon:unreachable', data: {} }],
  },
  {
    row: 'still failing: no repeated event',
    previous: UNREACHABLE,
    observation: observe({ rpcOk: false, now: START + 60_000 }),
    levels: UNREACHABLE,
    events: [],
  },
  {
    row: 'unreachable exactly daemonStaleMs: not stale yet',
    previous: UNREACHABLE,
    observation: observe({ rpcOk: false, now: START + STALE }),
    levels: UNREACHABLE,
    events: [],
  },
  {
    row: 'unreachable > daemonStaleMs: stale, apps removed, messaging continues',
    previous: UNREACHABLE,
    observation: observe({ rpcOk: false, now: START + STALE + 1 }),
    levels: STALE_LEVELS,
    events: [],
    actions: [{ kind: 'removeAllApps', reason: 'daemon-stale' }],
  },
  {
    row: 'unreachable > daemonExpiredMs: expired, not confirmed, apps removed, peers dropped',
    previous: STALE_LEVELS,
    observation: observe({ rpcOk: false, now: START + EXPIRED + 1 }),
    levels: {
      confirmed: false,
      canSendMessages: false,
      daemonReachable: false,
      daemonStale: true,
      daemonExpired: true,
    },
    events: [
      { name: 'confirmation:changed', data: { confirmed: false } },
      { name: 'messageCapability:changed', data: { capable: false } },
    ],
    actions: [{ kind: 'removeAllApps', reason: 'daemon-expired' }, { kind: 'dropPeers' }],
  },
  {
    row: 'recovery after expiry with CONFIRMED: daemon:recovered, confirmed and capable again',
    previous: { ...STALE_LEVELS, confirmed: false, canSendMessages: false, daemonExpired: true },
    observation: observe({ now: START + EXPIRED + 5 * MIN, lastRpcSuccessAt: START + EXPIRED + 5 * MIN }),
    levels: CONFIRMED_SENDING,
    events: [
      { name: 'daemon:recovered', data: {} },
      { name: 'confirmation:changed', data: { confirmed: true } },
      { name: 'messageCapability:changed', data: { capable: true } },
    ],
  },
  {
    row: 'daemon never answered since start: staleness counts from startedAt',
    previous: { ...INITIAL_CONFIRMATION_LEVELS, daemonReachable: false },
    observation: observe({ rpcOk: false, lastStatus: undefined, lastRpcSuccessAt: undefined, now: START + STALE + 1 }),
    levels: {
      confirmed: false,
      canSendMessages: false,
      daemonReachable: false,
      daemonStale: true,
      daemonExpired: false,
    },
    events: [],
    actions: [{ kind: 'removeAllApps', reason: 'daemon-stale' }],
  },
];

describe('confirmation levels (§9)', () => {
  for (const row of ROWS) {
    it(row.row, () => {
      const result = evaluateConfirmation({
        previous: row.previous,
        observation: row.observation,
        tunables: DEFAULT_TUNABLES,
      });
      expect(result.levels).toEqual(row.levels);
      expect(result.events).toEqual(row.events);
      expect(result.actions).toEqual(row.actions ?? []);
    });
  }

  it('reads the status of a getzelnodestatus result', () => {
    expect(nodeStatusOf({ status: 'CONFIRMED', ip: '198.18.0.1' })).toBe('CONFIRMED');
    expect(nodeStatusOf({ status: 'expired', collateral: 'COutPoint(ab, 0)' })).toBe('expired');
    expect(nodeStatusOf({ status: 3 })).toBeUndefined();
    expect(nodeStatusOf(null)).toBeUndefined();
    expect(nodeStatusOf('CONFIRMED')).toBeUndefined();
  });
});

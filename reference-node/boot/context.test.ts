import { describe, expect, it } from 'vitest';
import { type BootContext, type ReadBootContextInput, readBootContext } from './context.js';

const NOW = 1_700_000_000_000;
const MIN = 60_000;

const ROWS: { row: string; input: ReadBootContextInput; context: BootContext }[] = [
  {
    row: 'no heartbeat: first boot, counts as rebooted, no downtime',
    input: { heartbeat: null, currentBootId: 'b2', now: NOW },
    context: { machineRebooted: true, downtimeMs: null, cleanShutdown: false, currentBootId: 'b2', firstBoot: true },
  },
  {
    row: 'same boot id: a service restart, not a reboot',
    input: {
      heartbeat: { lastAlive: NOW - 20_000, machineBootId: 'b1', shutdownReason: null },
      currentBootId: 'b1',
      now: NOW,
    },
    context: {
      machineRebooted: false,
      downtimeMs: 20_000,
      cleanShutdown: false,
      currentBootId: 'b1',
      firstBoot: false,
    },
  },
  {
    row: 'new boot id after a powercut: rebooted, unclean',
    input: {
      heartbeat: { lastAlive: NOW - 10 * MIN, machineBootId: 'b1', shutdownReason: null },
      currentBootId: 'b2',
      now: NOW,
    },
    context: {
      machineRebooted: true,
      downtimeMs: 10 * MIN,
      cleanShutdown: false,
      currentBootId: 'b2',
      firstBoot: false,
    },
  },
  {
    row: 'new boot id after an OS shutdown: rebooted, clean',
    input: {
      heartbeat: { lastAlive: NOW - 3 * MIN, machineBootId: 'b1', shutdownReason: 'sigterm' },
      currentBootId: 'b2',
      now: NOW,
    },
    context: { machineRebooted: true, downtimeMs: 3 * MIN, cleanShutdown: true, currentBootId: 'b2', firstBoot: false },
  },
  {
    row: 'clock stepped back since the last beat: downtime 0, not negative',
    input: {
      heartbeat: { lastAlive: NOW + 5_000, machineBootId: 'b1', shutdownReason: null },
      currentBootId: 'b2',
      now: NOW,
    },
    context: { machineRebooted: true, downtimeMs: 0, cleanShutdown: false, currentBootId: 'b2', firstBoot: false },
  },
];

describe('readBootContext (§10)', () => {
  for (const { row, input, context } of ROWS) {
    it(row, () => {
      expect(readBootContext(input)).toEqual(context);
    });
  }
});

/**
 * The heartbeat document against a real MongoDB-wire server: where it lives (db prefix), what a
 * clean shutdown leaves behind, the periodic rewrite, and the boot context the next run reads from it.
 */
import { describe, expect, it, vi } from 'vitest';
import { readBootContext } from '../../reference-node/boot/context.js';
import { Heartbeat } from '../../reference-node/boot/heartbeat.js';
import { type ManualClock, manualClock } from '../../reference-node/clock.js';
import { nodeDatabases } from '../../reference-node/store/collections.js';
import { useLocalDatabase } from '../../test-infra/local/use-local-database.js';

const T = 1_700_000_000_000;
const MIN = 60_000;

const database = useLocalDatabase();
let count = 0;

function freshPrefix(): string {
  count += 1;
  return `hb${count}_`;
}

function heartbeatFor({
  prefix,
  clock,
  bootId,
  intervalMs = 60_000,
  errors = [],
}: {
  prefix: string;
  clock: ManualClock;
  bootId: string;
  intervalMs?: number;
  errors?: unknown[];
}): Heartbeat {
  return new Heartbeat({
    localDb: nodeDatabases({ client: database.client(), prefix }).local,
    clock,
    machineBootId: bootId,
    intervalMs,
    onError: (error) => errors.push(error),
  });
}

describe('heartbeat (zelfluxlocal.nodestartuptracker)', () => {
  it('start clears the shutdown reason and writes the document in the prefixed zelfluxlocal', async () => {
    const prefix = freshPrefix();
    const clock = manualClock(T);
    const heartbeat = heartbeatFor({ prefix, clock, bootId: 'boot-a' });
    expect(await heartbeat.read()).toBeNull();
    await heartbeat.start();
    await heartbeat.stop();
    const raw = await database.client().db(`${prefix}zelfluxlocal`).collection('nodestartuptracker').find({}).toArray();
    expect(raw).toEqual([{ _id: 'heartbeat', lastAlive: T, machineBootId: 'boot-a', shutdownReason: null }]);
  });

  it('markShutdown(sigterm) sticks: later beats keep it until clearShutdownReason', async () => {
    const prefix = freshPrefix();
    const clock = manualClock(T);
    const heartbeat = heartbeatFor({ prefix, clock, bootId: 'boot-a' });
    await heartbeat.start();
    clock.advance(MIN);
    await heartbeat.markShutdown('sigterm');
    clock.advance(MIN);
    await heartbeat.beat();
    expect(await heartbeat.read()).toEqual({
      _id: 'heartbeat',
      lastAlive: T + 2 * MIN,
      machineBootId: 'boot-a',
      shutdownReason: 'sigterm',
    });
    await heartbeat.clearShutdownReason();
    expect((await heartbeat.read())?.shutdownReason).toBeNull();
    await heartbeat.stop();
  });

  it('rewrites lastAlive every intervalMs once started, and stops', async () => {
    const prefix = freshPrefix();
    const clock = manualClock(T);
    const errors: unknown[] = [];
    const heartbeat = heartbeatFor({ prefix, clock, bootId: 'boot-a', intervalMs: 20, errors });
    await heartbeat.start();
    clock.set(T + 30_000);
    await vi.waitFor(
      async () => {
        expect((await heartbeat.read())?.lastAlive).toBe(T + 30_000);
      },
      { timeout: 5_000, interval: 20 },
    );
    await heartbeat.stop();
    clock.set(T + 60_000);
    await heartbeat.stop();
    expect((await heartbeat.read())?.lastAlive).toBe(T + 30_000);
    expect(errors).toEqual([]);
  });

  it('the next run reads its boot context from what the last run left', async () => {
    const prefix = freshPrefix();
    const clock = manualClock(T);
    const first = heartbeatFor({ prefix, clock, bootId: 'boot-a' });
    await first.start();
    clock.advance(MIN);
    await first.markShutdown('sigterm');
    await first.stop();

    clock.advance(9 * MIN);
    const second = heartbeatFor({ prefix, clock, bootId: 'boot-b' });
    const context = readBootContext({ heartbeat: await second.read(), currentBootId: 'boot-b', now: clock.now() });
    expect(context).toEqual({
      machineRebooted: true,
      downtimeMs: 9 * MIN,
      cleanShutdown: true,
      currentBootId: 'boot-b',
      firstBoot: false,
    });
    await second.start();
    await second.stop();
    expect(await second.read()).toMatchObject({
      machineBootId: 'boot-b',
      shutdownReason: null,
      lastAlive: T + 10 * MIN,
    });
  });
});

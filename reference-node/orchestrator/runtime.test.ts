import { describe, expect, it } from 'vitest';
import type { FluxEvent } from '../../protocol/events.js';
import { createLogger } from '../log.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { type OrchestratorHandlers, OrchestratorRuntime } from './runtime.js';

/** A promise with its resolve/reject in hand, to finish an effect when the test says so. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(tunables = DEFAULT_TUNABLES) {
  const published: FluxEvent[] = [];
  const calls: string[] = [];
  const hashRuns: { attempt: number; run: ReturnType<typeof deferred> }[] = [];
  const hashStarted: (() => void)[] = [];
  const handlers: OrchestratorHandlers = {
    announceApps: () => calls.push('announceApps'),
    requestSyncs: () => calls.push('requestSyncs'),
    runHashSync: (attempt) => {
      const run = deferred();
      hashRuns.push({ attempt, run });
      for (const wake of hashStarted.splice(0)) wake();
      return run.promise;
    },
    rebuildDb: async (reason) => {
      calls.push(`rebuildDb:${reason}`);
    },
    degraded: () => calls.push('degraded'),
  };
  const runtime = new OrchestratorRuntime({
    config: { tunables },
    bus: { publishEvent: (event) => published.push(event) },
    logger: createLogger({ level: 'silent' }),
    handlers,
  });
  const nextHashRun = (count: number) =>
    hashRuns.length >= count ? Promise.resolve() : new Promise<void>((resolve) => hashStarted.push(resolve));
  return { runtime, published, calls, hashRuns, nextHashRun };
}

const names = (events: FluxEvent[]) =>
  events.map((event) =>
    event.name === 'orchestrator:stateChanged' ? `${event.data.from}->${event.data.to}` : event.name,
  );

describe('orchestrator runtime', () => {
  it('runs the effects and feeds their results back until READY; the dbReady gate opens', async () => {
    const { runtime, published, calls, hashRuns } = setup();
    runtime.send({
      kind: 'start',
      bootContext: {
        machineRebooted: true,
        downtimeMs: null,
        cleanShutdown: false,
        currentBootId: 'b',
        firstBoot: true,
      },
    });
    for (const input of [
      { kind: 'blocksProcessed', height: 10 },
      { kind: 'nodeListLoaded' },
      { kind: 'peerCount', count: 12 },
      { kind: 'canSendMessages', capable: true },
    ] as const) {
      runtime.send(input);
    }
    expect(calls).toEqual(['announceApps', 'requestSyncs']);
    expect(hashRuns.map((run) => run.attempt)).toEqual([1]);
    hashRuns[0]!.run.resolve();
    await runtime.whenDbReady();
    expect(calls).toContain('rebuildDb:hashSync');
    for (const syncType of ['apprunning', 'appinstalling', 'apperrors'] as const) {
      for (let i = 0; i < 3; i += 1) runtime.send({ kind: 'syncComplete', syncType });
    }
    expect(runtime.state).toBe('READY');
    expect(names(published)).toEqual(['orchestrator:started', 'INITIALIZING->SYNCING', 'SYNCING->READY']);
  });

  it('drops a hash-sync result that arrives after a DEGRADED reset', async () => {
    const { runtime, calls, hashRuns } = setup();
    for (const input of [
      { kind: 'blocksProcessed', height: 10 },
      { kind: 'nodeListLoaded' },
      { kind: 'peerCount', count: 12 },
      { kind: 'canSendMessages', capable: true },
      { kind: 'peerCount', count: 1 },
    ] as const) {
      runtime.send(input);
    }
    expect(runtime.state).toBe('DEGRADED');
    expect(calls).toContain('degraded');
    hashRuns[0]!.run.resolve();
    await hashRuns[0]!.run.promise;
    await Promise.resolve();
    expect(runtime.snapshot.hashSync).toBe('idle');
    expect(calls).not.toContain('rebuildDb:hashSync');
  });

  it('a failed hash sync is retried after hashSyncRetryMs', async () => {
    const { runtime, published, hashRuns, nextHashRun } = setup({ ...DEFAULT_TUNABLES, hashSyncRetryMs: 5 });
    runtime.send({ kind: 'blocksProcessed', height: 10 });
    runtime.send({ kind: 'canSendMessages', capable: true });
    hashRuns[0]!.run.reject(new Error('peers dropped'));
    await nextHashRun(2);
    expect(hashRuns.map((run) => run.attempt)).toEqual([1, 2]);
    expect(published).toContainEqual({
      name: 'hashSync:failed',
      data: { attempt: 1, maxRetries: 3, willRetry: true, error: 'peers dropped' },
    });
    runtime.stop();
  });
});

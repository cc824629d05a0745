/**
 * DaemonWatcher against the real daemon stub: it follows each view's delta stream through blocks,
 * a reorg and lost frames (a gap, healed by a counted resync) and stays equal to the snapshot; fed a
 * deliberately wrong snapshot through its RPC seam, it reports a readable per-node diff.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FluxnodeSnapshot } from '../../protocol/fluxd/index.js';
import { type DaemonStubHandle, startDaemonStub } from '../../stubs/daemon/daemon-stub.js';
import { DaemonControl } from '../network/daemon-control.js';
import { History } from '../observe/history.js';
import { type DaemonRpc, jsonRpcClient } from './daemon-rpc.js';
import { DaemonWatcher, DaemonWatcherError, daemonConsistent } from './daemon-watcher.js';

const WRONG_IP = '198.51.100.7:16125';

/** The seam: a view's RPC whose snapshots can be rewritten on their way to the watcher. */
function tamperable(rpc: DaemonRpc): DaemonRpc & { tamper?: (snapshot: FluxnodeSnapshot) => FluxnodeSnapshot } {
  const seam: DaemonRpc & { tamper?: (snapshot: FluxnodeSnapshot) => FluxnodeSnapshot } = {
    async call<T>(method: string, params?: readonly unknown[]): Promise<T> {
      const result = await rpc.call<T>(method, params);
      return method === 'getfluxnodesnapshot' && seam.tamper ? (seam.tamper(result as FluxnodeSnapshot) as T) : result;
    },
  };
  return seam;
}

describe('DaemonWatcher', () => {
  let stub: DaemonStubHandle;
  let control: DaemonControl;
  const history = new History();
  const rpcs: ReturnType<typeof tamperable>[] = [];
  const watchers: DaemonWatcher[] = [];

  function viewRpc(view: number): DaemonRpc {
    const endpoint = stub.views[view - 1]!;
    return jsonRpcClient({ url: endpoint.rpcUrl, user: stub.options.rpcUser, password: stub.options.rpcPassword });
  }

  beforeAll(async () => {
    stub = await startDaemonStub({
      views: 2,
      fluxnodes: 16,
      churn: 1,
      seed: 11,
      rpcPort: 0,
      zmqPort: 0,
      controlPort: 0,
    });
    control = new DaemonControl({ baseUrl: stub.controlUrl!.replace(/\/$/, ''), history });
    // The first tip after a daemon start sends no delta (fluxd-zmq.md §5.3.2): get it out of the way.
    await control.mine({ blocks: 1 });
    for (const endpoint of stub.views) {
      const rpc = tamperable(viewRpc(endpoint.view));
      rpcs.push(rpc);
      watchers.push(
        await DaemonWatcher.start({ view: endpoint.view, zmqEndpoint: endpoint.zmqEndpoint, rpc, history }),
      );
      await stub.waitForSubscriber(endpoint.view, { count: 2 });
    }
  });

  afterAll(async () => {
    for (const watcher of watchers) await watcher.stop();
    await stub?.stop();
  });

  it('stays equal to the snapshot through blocks and a reorg, without a resync', async () => {
    await control.mine({ blocks: 20 });
    await control.reorg({ depth: 3 });
    await control.mine({ blocks: 3 });
    const result = await daemonConsistent(watchers);
    expect(result.diff).toEqual([]);
    expect(result).toMatchObject({ ok: true, summary: 'daemon: every view consistent with its snapshot (views 1, 2)' });
    for (const watcher of watchers) {
      const counters = watcher.counters;
      expect(counters.applied).toBeGreaterThanOrEqual(23);
      expect(counters.reorgs).toBeGreaterThanOrEqual(1);
      expect(counters.chainreorgs).toBeGreaterThanOrEqual(1);
      expect({ gaps: counters.gaps, continuity: counters.continuityFailures, resyncs: counters.resyncs }).toEqual({
        gaps: 0,
        continuity: 0,
        resyncs: 0,
      });
      expect(watcher.tip.height).toBe(stub.chain.view(watcher.view).height);
    }
  });

  it('resyncs from a snapshot after lost frames, counts it, and is consistent again', async () => {
    await control.call({ method: 'POST', path: '/faults/zmq', body: { view: 2, silent: true } });
    await control.mine({ blocks: 1 });
    await control.call({ method: 'POST', path: '/faults/zmq', body: { view: 2, silent: false } });
    await control.mine({ blocks: 1 });
    const result = await daemonConsistent(watchers);
    expect(result.diff).toEqual([]);
    expect(result.ok).toBe(true);
    expect(watchers[1]!.counters).toMatchObject({ gaps: 1, resyncs: 1, resyncFailures: 0 });
    expect(watchers[0]!.counters).toMatchObject({ gaps: 0, resyncs: 0 });
    const resync = history.entries().find((entry) => entry.kind === 'daemon' && entry.op === 'watcher:resync');
    expect(resync).toMatchObject({ detail: { view: 2, reason: 'gap' } });
  });

  it('says why it cannot compare while invalidateblock leaves the daemon behind its last delta', async () => {
    const view1 = stub.chain.view(1);
    const tip = view1.tip.hash;
    await control.call({ method: 'POST', path: '/invalidateblock', body: { view: 1, hash: tip } });
    const stuck = await watchers[0]!.check({ catchUpMs: 200 });
    expect(stuck.ok).toBe(false);
    expect(stuck.diff).toEqual([
      `view 1: not comparable: validator at ${view1.height + 1} ${tip}, snapshot at ${view1.height} ${view1.tip.hash}; ` +
        'no common tip within 200 ms (after invalidateblock no delta comes until the next block)',
    ]);
    // The next block's delta spans from the invalidated tip (Q12): the validator follows it.
    await control.mine({ blocks: 1 });
    expect((await watchers[0]!.check()).ok).toBe(true);
    await control.call({ method: 'POST', path: '/reconsiderblock', body: { view: 1, hash: tip } });
    expect((await daemonConsistent(watchers)).ok).toBe(true);
  });

  it('reports a readable diff for a deliberately wrong snapshot', async () => {
    const real = await viewRpc(1).call<FluxnodeSnapshot>('getfluxnodesnapshot');
    const cumulus = real.nodes.filter((node) => node.tier === 'CUMULUS');
    expect(cumulus.length).toBeGreaterThanOrEqual(2);
    const first = cumulus[0]!;
    const last = cumulus.at(-1)!;
    const key = (node: { txhash: string; outidx: string }) => `${node.txhash}:${node.outidx}`;
    rpcs[0]!.tamper = (snapshot) => ({
      ...snapshot,
      nodes: snapshot.nodes
        .filter((node) => key(node) !== key(last))
        .map((node) => (key(node) === key(first) ? { ...node, ip: WRONG_IP } : node)),
    });
    try {
      const result = await watchers[0]!.check();
      expect(result.ok).toBe(false);
      expect(result.summary).toMatch(/^daemon view 1: delta-built list ≠ snapshot at \d+: 4 differences \(/);
      expect(result.diff).toEqual([
        `view 1: CUMULUS: count: validator ${cumulus.length}, snapshot ${cumulus.length - 1}`,
        `view 1: CUMULUS: ${key(first)}: ip: validator ${JSON.stringify(first.ip)}, snapshot "${WRONG_IP}"`,
        `view 1: CUMULUS: ${key(last)} in validator, not in snapshot`,
        `view 1: CUMULUS: position ${cumulus.length - 1}: validator has ${key(last)}, snapshot has (nothing)`,
      ]);
      const combined = await daemonConsistent(watchers);
      expect(combined.ok).toBe(false);
      expect(combined.summary).toMatch(/^daemon: view 1 inconsistent: daemon view 1: delta-built list ≠ snapshot/);
      expect(combined.diff).toEqual(result.diff);
    } finally {
      rpcs[0]!.tamper = undefined;
    }
    expect((await watchers[0]!.check()).ok).toBe(true);
  });

  it('refuses to start without an initial snapshot, saying why', async () => {
    await control.call({ method: 'POST', path: '/faults/rpc', body: { view: 2, failing: true, mode: 'http503' } });
    try {
      const endpoint = stub.views[1]!;
      const starting = DaemonWatcher.start({ view: 2, zmqEndpoint: endpoint.zmqEndpoint, rpc: viewRpc(2) });
      await expect(starting).rejects.toThrow(DaemonWatcherError);
      await expect(starting).rejects.toThrow(
        `daemon view 2: no initial snapshot: start: getfluxnodesnapshot at ${endpoint.rpcUrl}: HTTP 503, not a JSON-RPC reply: Service Unavailable`,
      );
    } finally {
      await control.call({ method: 'POST', path: '/faults/rpc', body: { view: 2, failing: false } });
    }
  });
});

/**
 * Daemon faults, reorgs and evictions against the daemon stub in this process (loopback): each op
 * must change what the stub serves, and be recorded with a start and an end.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DaemonStubHandle, startDaemonStub } from '../../stubs/daemon/daemon-stub.js';
import { ZmqCollector } from '../../stubs/daemon/zmq-collector.js';
import { DaemonControl } from '../network/daemon-control.js';
import { History, type HistoryEntry } from '../observe/history.js';
import { DaemonFaults } from './daemon-faults.js';
import { EvictNemesis } from './evict.js';
import { FaultLog } from './fault-log.js';
import { ReorgNemesis } from './reorg.js';

const VIEWS = 4;
const RPC_AUTH = `Basic ${Buffer.from('fluxrpc:fluxrpc').toString('base64')}`;

let stub: DaemonStubHandle;
let history: History;
let daemon: DaemonControl;
let log: FaultLog;

beforeAll(async () => {
  stub = await startDaemonStub({ views: VIEWS, fluxnodes: VIEWS, seed: 5 });
});

afterAll(async () => {
  await stub.stop();
});

beforeEach(async () => {
  history = new History();
  daemon = new DaemonControl({ baseUrl: stub.controlUrl!.replace(/\/$/, ''), history });
  log = new FaultLog(history);
  await daemon.reset();
});

function nemesisRecords(): Extract<HistoryEntry, { kind: 'nemesis' }>[] {
  return history.entries().filter((entry) => entry.kind === 'nemesis');
}

/** Each fault id has exactly one start and one end, the end after the start. */
function expectPairedRecords(ops: string[]): void {
  const records = nemesisRecords().filter((entry) => entry.phase !== 'info');
  const ids = new Map<string, string[]>();
  for (const entry of records) {
    const id = (entry.detail as { id: string }).id;
    ids.set(id, [...(ids.get(id) ?? []), `${entry.op}:${entry.phase}`]);
  }
  expect([...ids.values()].map((phases) => phases.join(' '))).toEqual(ops.map((op) => `${op}:start ${op}:end`));
}

async function blockCount(view: number): Promise<number> {
  const response = await fetch(stub.views[view - 1]!.rpcUrl, {
    method: 'POST',
    headers: { authorization: RPC_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'getblockcount', params: [] }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`view ${view}: HTTP ${response.status}`);
  return ((await response.json()) as { result: number }).result;
}

describe('daemon faults', () => {
  it('rpc: the view resets connections, the others answer; restore brings it back', async () => {
    const faults = new DaemonFaults({ daemon, log });
    await faults.rpcFailing({ views: [2] });
    await expect(blockCount(2)).rejects.toThrow();
    expect(await blockCount(1)).toBe(0);
    await faults.rpcFailing({ views: [3], mode: 'http503' });
    await expect(blockCount(3)).rejects.toThrow(/HTTP 503/);
    expect(faults.active()).toEqual([
      { kind: 'rpc', view: 2 },
      { kind: 'rpc', view: 3 },
    ]);
    await faults.restore();
    expect(await blockCount(2)).toBe(0);
    expect(await blockCount(3)).toBe(0);
    expect(faults.active()).toEqual([]);
    expectPairedRecords(['daemon-rpc', 'daemon-rpc']);
  });

  it('zmq: blocks mined while silent are never published on that view', async () => {
    const faults = new DaemonFaults({ daemon, log });
    const quiet = ZmqCollector.connect(stub.views[0]!.zmqEndpoint);
    const loud = ZmqCollector.connect(stub.views[1]!.zmqEndpoint);
    try {
      await stub.waitForSubscriber(1);
      await stub.waitForSubscriber(2);
      await faults.zmqSilent({ views: [1] });
      await daemon.mine({ blocks: 2 });
      await loud.waitForCount('hashblockheight', 2, 5_000);
      await faults.restore({ kind: 'zmq' });
      const { blocks } = await daemon.mine({ blocks: 1 });
      await quiet.waitForCount('hashblockheight', 1, 5_000);
      const first = quiet.messages.find((message) => message.topic === 'hashblockheight');
      expect(first?.seq).toBeGreaterThanOrEqual(2);
      expect((await daemon.state()).views[0]!.height).toBe(blocks[0]!.height);
    } finally {
      quiet.close();
      loud.close();
    }
    expectPairedRecords(['daemon-zmq']);
  });

  it('stall: the view keeps its tip while others move, then catches up', async () => {
    const faults = new DaemonFaults({ daemon, log });
    await faults.tipStalled({ views: [2] });
    await daemon.mine({ blocks: 2 });
    expect(await blockCount(1)).toBe(2);
    expect(await blockCount(2)).toBe(0);
    await faults.stop();
    expect(await blockCount(2)).toBe(2);
    expectPairedRecords(['daemon-stall']);
  });

  it('ibd: the view reports initial block download until restored', async () => {
    const faults = new DaemonFaults({ daemon, log });
    await faults.initialBlockDownload({ views: [4] });
    expect((await daemon.state()).views.map((view) => view.ibd)).toEqual([false, false, false, true]);
    await faults.stop();
    expect((await daemon.state()).views.map((view) => view.ibd)).toEqual([false, false, false, false]);
    expectPairedRecords(['daemon-ibd']);
  });

  it('refuses an empty view list', async () => {
    await expect(new DaemonFaults({ daemon, log }).zmqSilent({ views: [] })).rejects.toThrow(/no views given/);
  });
});

describe('reorgs', () => {
  it('fork: each side mines its own branch; merge makes the heavier one win everywhere', async () => {
    const reorg = new ReorgNemesis({ daemon, log });
    await reorg.fork({
      sides: [
        [1, 2],
        [3, 4],
      ],
      blocks: [1, 3],
    });
    const split = await daemon.state();
    expect(split.groups).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(split.views.map((view) => view.height)).toEqual([1, 1, 3, 3]);
    expect(split.views[0]!.tip).not.toBe(split.views[2]!.tip);
    const tips = await reorg.merge();
    expect(tips.map((tip) => tip.height)).toEqual([3, 3, 3, 3]);
    expect(new Set(tips.map((tip) => tip.hash))).toEqual(new Set([split.views[2]!.tip]));
    expect((await daemon.state()).groups).toBeNull();
    expectPairedRecords(['fork']);
  });

  it('reorg: a deeper branch replaces the tip on every view', async () => {
    const reorg = new ReorgNemesis({ daemon, log });
    await daemon.mine({ blocks: 3 });
    const before = await daemon.state();
    const { branch } = await reorg.reorg({ depth: 2 });
    expect(branch).toHaveLength(3);
    const after = await daemon.state();
    expect(after.views.map((view) => view.height)).toEqual([4, 4, 4, 4]);
    expect(after.views.map((view) => view.tip)).toEqual(Array(VIEWS).fill(branch.at(-1)!.hash));
    expect(after.views[0]!.tip).not.toBe(before.views[0]!.tip);
    expectPairedRecords(['reorg']);
  });

  it('names a bad fork request', async () => {
    const reorg = new ReorgNemesis({ daemon, log });
    await expect(reorg.fork({ sides: [[1, 2]], blocks: [1] })).rejects.toThrow(/at least 2 sides/);
    await expect(reorg.fork({ sides: [[1], [2]], blocks: [1] })).rejects.toThrow(/1 entries for 2 sides/);
    await expect(reorg.reorg({ depth: 0 })).rejects.toThrow(/depth must be an integer >= 1/);
  });
});

describe('evictions', () => {
  const locations = async (node: number) => (await daemon.nodeInfo(node)).locations.map((entry) => entry.location);

  it('expire and remove take nodes off the list in the next block; restore brings them back', async () => {
    const evict = new EvictNemesis({ daemon, log });
    expect(await locations(3)).toEqual(['listed', 'listed', 'listed', 'listed']);
    await evict.expire({ nodes: [3] });
    await evict.remove({ nodes: [4] });
    expect(await locations(3)).toEqual(['none', 'none', 'none', 'none']);
    expect(await locations(4)).toEqual(['none', 'none', 'none', 'none']);
    expect(evict.evicted()).toEqual([
      { node: 3, kind: 'expire' },
      { node: 4, kind: 'remove' },
    ]);
    await evict.stop();
    expect(await locations(3)).toEqual(['listed', 'listed', 'listed', 'listed']);
    expect(await locations(4)).toEqual(['listed', 'listed', 'listed', 'listed']);
    expectPairedRecords(['evict-expire', 'evict-remove']);
  });

  it('lapse stops confirmations; restore resumes them', async () => {
    const evict = new EvictNemesis({ daemon, log });
    await evict.lapse({ nodes: [2] });
    expect((await daemon.nodeInfo(2)).keepAlive).toBe(false);
    await expect(evict.expire({ nodes: [2] })).rejects.toThrow(/node 2 is already evicted \(lapse\)/);
    await evict.restore();
    expect((await daemon.nodeInfo(2)).keepAlive).toBe(true);
    expectPairedRecords(['evict-lapse']);
  });
});

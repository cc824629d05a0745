/**
 * The reference node's view of the deterministic list against the daemon stub: RPC polling alone,
 * ZMQ deltas, a resync after a delta gap, and a node joining through a delta.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDaemonClient } from '../../reference-node/daemon/client.js';
import { type DaemonTip, NodeList } from '../../reference-node/daemon/node-list.js';
import { createLogger } from '../../reference-node/log.js';
import type { Signal } from '../../reference-node/signal.js';
import { type DaemonStubHandle, startDaemonStub } from '../../stubs/daemon/daemon-stub.js';

const keys = JSON.parse(readFileSync(new URL('../../fixtures/keys.json', import.meta.url), 'utf8')) as {
  nodes: { pubkey: string }[];
};
const IPS = ['127.0.0.1:40001', '127.0.0.1:40002'];
const WAIT_MS = 10_000;

let stub: DaemonStubHandle;
let list: NodeList | undefined;

beforeAll(async () => {
  stub = await startDaemonStub({
    views: 1,
    controlPort: null,
    seed: 3,
    manifest: IPS.map((ip, i) => ({ ip, pubkey: keys.nodes[i]!.pubkey, tier: 1 as const })),
  });
});

afterEach(() => list?.stop());
afterAll(async () => stub?.stop());

function nodeList({ zmq, pollMs }: { zmq: boolean; pollMs: number }): NodeList {
  const view = stub.views[0]!;
  list = new NodeList({
    client: createDaemonClient({
      url: view.rpcUrl,
      user: stub.options.rpcUser,
      password: stub.options.rpcPassword,
      timeoutMs: 2_000,
    }),
    zmqEndpoint: zmq ? view.zmqEndpoint : undefined,
    pollMs,
    silenceMs: 2 * pollMs,
    logger: createLogger({ level: 'silent' }),
  });
  list.start();
  return list;
}

/** Resolves once `condition()` holds, checked now and after every emission of `signal`. */
function when<T>(signal: Signal<T>, condition: () => boolean, what: string): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`));
    }, WAIT_MS);
    const off = signal.on(() => {
      if (!condition()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

const tipAt = (nodes: NodeList, height: number) =>
  when<DaemonTip>(nodes.blocksProcessed, () => nodes.tip?.height === height, `tip ${height}`);

describe('NodeList', () => {
  it('follows the chain by RPC polling alone', async () => {
    const nodes = nodeList({ zmq: false, pollMs: 20 });
    await nodes.whenReady();
    const start = stub.chain.view(1).height;
    expect(nodes.tip?.height).toBe(start);
    expect(nodes.peers().sort()).toEqual(IPS);
    expect(nodes.isListed(IPS[0]!, keys.nodes[0]!.pubkey)).toBe(true);
    expect(nodes.isListed(IPS[0]!, keys.nodes[1]!.pubkey)).toBe(false);
    expect(nodes.pubkeyFor(IPS[1]!)).toBe(keys.nodes[1]!.pubkey);
    stub.mine({ blocks: 2 });
    await tipAt(nodes, start + 2);
    expect(nodes.stats).toMatchObject({ zmqMessages: 0, deltasApplied: 0 });
    expect(nodes.stats.polls).toBeGreaterThan(1);
  });

  it('applies ZMQ deltas and resyncs from a snapshot after a gap', async () => {
    const nodes = nodeList({ zmq: true, pollMs: 200 });
    await nodes.whenReady();
    // A SUB socket misses what is published before its subscription reaches the publisher (polling
    // covers those blocks): mine until a delta has come over ZMQ.
    while (nodes.stats.deltasApplied === 0) {
      const next = stub.chain.view(1).height + 1;
      stub.mine({ blocks: 1 });
      await tipAt(nodes, next);
    }
    const start = stub.chain.view(1).height;
    const resyncs = nodes.stats.resyncs;
    const applied = nodes.stats.deltasApplied;

    // Silence and resume within one tick: ZMQ is not silent long enough for polling to step in.
    stub.core.faults(1).zmqSilent = true;
    stub.mine({ blocks: 2 });
    stub.core.faults(1).zmqSilent = false;
    stub.mine({ blocks: 1 });
    await tipAt(nodes, start + 3);
    expect(nodes.stats).toMatchObject({ deltasApplied: applied, resyncs: resyncs + 1, zmqDecodeErrors: 0 });

    const joining = { ip: '127.0.0.1:40003', pubkey: keys.nodes[2]!.pubkey };
    stub.core.addNode({ ...joining, tier: 2 });
    stub.mine({ blocks: 3 });
    await when(nodes.listChanged, () => nodes.isListed(joining.ip, joining.pubkey), 'the joining node in the list');
    expect(nodes.stats.deltasApplied).toBeGreaterThan(applied);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FluxnodeSnapshot } from '../../protocol/fluxd/index.js';
import { type DaemonStubHandle, startDaemonStub } from './daemon-stub.js';
import { callRpc, type RpcCallOptions } from './rpc-client.js';
import { ZmqCollector } from './zmq-collector.js';

/** The control API: validation (400 naming the field), routing (404), and what each call does. */

let stub: DaemonStubHandle;
let rpc1: RpcCallOptions;

beforeAll(async () => {
  stub = await startDaemonStub({ views: 4, fluxnodes: 6, seed: 8 });
  rpc1 = { url: stub.views[0]!.rpcUrl, user: 'fluxrpc', password: 'fluxrpc' };
});

afterAll(async () => {
  await stub?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: each test reads the reply shape of its own route
async function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(new URL(path, stub.controlUrl!), {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

describe('bad input', () => {
  it.each([
    ['POST', '/mine', '{"blocks":', /body: invalid JSON/],
    ['POST', '/mine', { blocks: 'two' }, /body\.blocks: /],
    ['POST', '/mine', { blocks: 1, extra: true }, /extra/],
    ['POST', '/mine', { blocks: 1, views: [1], group: 0 }, /views or group, not both/],
    ['POST', '/mine', { blocks: 1, views: [99] }, /view 99 does not exist/],
    ['POST', '/app-message', { hash: 'xyz' }, /body\.hash: must be a 64-hex message hash/],
    ['POST', '/groups', { groups: [[1, 2], [2]] }, /view 2 is already in another group/],
    ['POST', '/invalidateblock', { view: 1, hash: 'ab'.repeat(32) }, /view 1 knows no block/],
    ['POST', '/reorg', { depth: 0 }, /body\.depth: /],
    ['POST', '/nodes', { ip: '198.19.9.9:16127', pubkey: '05ab', tier: 1 }, /body\.pubkey: must be a CPubKey/],
    ['POST', '/nodes/nosuch/expire', undefined, /node "nosuch": not a registered outpoint key/],
    ['POST', '/nodes/1/explode', undefined, /action must be one of/],
    ['PATCH', '/nodes/1', {}, /give at least one of/],
    ['POST', '/faults/rpc', { view: 1 }, /body\.failing: /],
    ['POST', '/faults/stall', { view: 17, stalled: true }, /view 17 does not exist/],
    ['POST', '/ticker', { running: 'yes' }, /body\.running: /],
  ])('%s %s %j → 400', async (method, path, body, message) => {
    const reply = await control(method, path, body);
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatch(message);
  });

  it('answers an unknown route with 404', async () => {
    const reply = await control('POST', '/nowhere', {});
    expect(reply.status).toBe(404);
    expect(reply.json.error).toBe('no route POST /nowhere');
  });
});

describe('operations', () => {
  it('mines, partitions and heals with a reorg visible over RPC', async () => {
    await control('POST', '/reset');
    const mined = await control('POST', '/mine', { blocks: 3 });
    expect(mined.json.blocks.map((block: { height: number }) => block.height)).toEqual([1, 2, 3]);
    await control('POST', '/groups', { groups: [[1, 2]] });
    const split = await control('POST', '/mine', { blocks: 2 });
    expect(split.json.blocks).toHaveLength(4);
    const losing = await control('POST', '/mine', { blocks: 1, group: 1 });
    expect(losing.status).toBe(200);
    const merged = await control('POST', '/merge');
    expect(new Set(merged.json.tips.map((tip: { hash: string }) => tip.hash)).size).toBe(1);
    const tips = await callRpc<{ status: string; branchlen: number }[]>(rpc1, 'getchaintips');
    expect(tips.map((tip) => tip.status).sort()).toEqual(['active', 'valid-fork']);
  });

  it('adds a node that starts, confirms, expires and comes back', async () => {
    await control('POST', '/reset');
    const added = await control('POST', '/nodes', {
      ip: '198.19.77.1:16127',
      pubkey: `02${'11'.repeat(32)}`,
      tier: 3,
    });
    expect(added.status).toBe(200);
    const key: string = added.json.key;
    const inList = async () =>
      (await callRpc<FluxnodeSnapshot>(rpc1, 'getfluxnodesnapshot')).nodes.some(
        (node) => `${node.txhash}:${node.outidx}` === key,
      );
    await control('POST', '/mine', { blocks: 1 });
    expect((await control('GET', `/nodes/${key}`)).json.locations[0].location).toBe('started');
    await control('POST', '/mine', { blocks: 1 });
    expect(await inList()).toBe(true);
    await control('POST', `/nodes/${key}/expire`);
    await control('POST', '/mine', { blocks: 1 });
    expect(await inList()).toBe(false);
    await control('POST', `/nodes/${key}/restore`);
    await control('POST', '/mine', { blocks: 1 });
    expect(await inList()).toBe(true);
    await control('PATCH', `/nodes/${key}`, { status: 'DOS' });
    await control('POST', '/mine', { blocks: 1 });
    expect((await control('GET', `/nodes/${key}`)).json.locations[0].location).toBe('dos');
  });

  it('puts a queued app message into the next block', async () => {
    await control('POST', '/reset');
    const hash = '9f'.repeat(32);
    await control('POST', '/app-message', { hash: hash.toUpperCase() });
    const [block] = (await control('POST', '/mine', { blocks: 1 })).json.blocks;
    const full = await callRpc<{ tx: { vout: { scriptPubKey: { asm: string } }[] }[] }>(rpc1, 'getblock', [
      block.hash,
      2,
    ]);
    const asms = full.tx.flatMap((tx) => tx.vout.map((out) => out.scriptPubKey.asm));
    expect(asms).toContain(`OP_RETURN ${Buffer.from(hash, 'ascii').toString('hex')}`);
  });

  it('stalls a view (headers run ahead of blocks) and releases it', async () => {
    await control('POST', '/reset');
    await control('POST', '/faults/stall', { view: 2, stalled: true });
    await control('POST', '/mine', { blocks: 2 });
    const rpc2 = { ...rpc1, url: stub.views[1]!.rpcUrl };
    expect(await callRpc<Record<string, number>>(rpc2, 'getblockchaininfo')).toMatchObject({ blocks: 0, headers: 2 });
    await control('POST', '/faults/stall', { view: 2, stalled: false });
    expect(await callRpc<number>(rpc2, 'getblockcount')).toBe(2);
  });

  it('fails RPC on one view and records calls in the journal', async () => {
    await control('POST', '/faults/rpc', { view: 3, failing: true, mode: 'http503' });
    const res = await fetch(stub.views[2]!.rpcUrl, { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    await control('POST', '/faults/rpc', { view: 3, failing: false });
    await callRpc(rpc1, 'getinfo');
    const journal = await control('GET', '/journal?view=1&method=getinfo');
    expect(journal.json.at(-1)).toMatchObject({ view: 1, method: 'getinfo', params: [], error: null });
  });

  it('silences one view on ZMQ while another keeps publishing, and drives the ticker', async () => {
    await control('POST', '/reset');
    const quiet = ZmqCollector.connect(stub.views[0]!.zmqEndpoint);
    const loud = ZmqCollector.connect(stub.views[1]!.zmqEndpoint);
    try {
      await stub.waitForSubscriber(1);
      await stub.waitForSubscriber(2);
      await control('POST', '/faults/zmq', { view: 1, silent: true });
      const started = await control('POST', '/ticker', { running: true, intervalMs: 5 });
      expect(started.json).toEqual({ running: true, intervalMs: 5 });
      await loud.waitForCount('hashblockheight', 3, 5000);
      await control('POST', '/ticker', { running: false });
      await control('POST', '/faults/zmq', { view: 1, silent: false });
      await control('POST', '/mine', { blocks: 1 });
      await quiet.waitForCount('hashblockheight', 1, 5000);
      // The silenced blocks were counted but never sent: the first frame seen is a later seq.
      expect(quiet.messages.find((message) => message.topic === 'hashblockheight')?.seq).toBeGreaterThanOrEqual(3);
      expect((await control('GET', '/state')).json.ticker).toEqual({ running: false, intervalMs: 5 });
    } finally {
      quiet.close();
      loud.close();
    }
  });
});

import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FluxnodeSnapshot, SnapshotNode } from '../../protocol/fluxd/index.js';
import { type DaemonStubHandle, startDaemonStub } from './daemon-stub.js';
import { callRpc, postRpc, type RpcCallOptions } from './rpc-client.js';
import { sha256d } from './serialize.js';

/** The JSON-RPC surface: envelope, errors and HTTP codes (§6), and the shapes of each method. */

const SNAPSHOT_KEYS = [
  'collateral',
  'txhash',
  'outidx',
  'ip',
  'network',
  'added_height',
  'confirmed_height',
  'last_confirmed_height',
  'last_paid_height',
  'tier',
  'payment_address',
  'pubkey',
  'activesince',
  'lastpaid',
  'amount',
  'rank',
];

const APP_HASH = '5a'.repeat(32);

let stub: DaemonStubHandle;
let view1: RpcCallOptions;
let view3: RpcCallOptions;

beforeAll(async () => {
  stub = await startDaemonStub({ views: 3, fluxnodes: 2, seed: 21, controlPort: null, rpcPassword: 'secret' });
  view1 = { url: stub.views[0]!.rpcUrl, user: 'fluxrpc', password: 'secret' };
  view3 = { url: stub.views[2]!.rpcUrl, user: 'fluxrpc', password: 'secret' };
  stub.mine({ blocks: 3 });
  stub.core.queueAppMessage({ hash: APP_HASH });
  stub.mine({ blocks: 1 });
});

afterAll(async () => {
  await stub?.stop();
});

const display = (bytes: Buffer) => Buffer.from(sha256d(bytes)).reverse().toString('hex');

describe('envelope', () => {
  it('answers compact result/error/id in that order plus a newline, without a jsonrpc key', async () => {
    const reply = await postRpc(
      view1,
      JSON.stringify({ jsonrpc: '2.0', id: 'x-1', method: 'getblockcount', params: [] }),
    );
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('{"result":4,"error":null,"id":"x-1"}\n');
  });

  it('answers 401 with WWW-Authenticate on a wrong or missing password', async () => {
    const wrong = await postRpc({ ...view1, password: 'nope' }, '{"id":1,"method":"getblockcount"}');
    expect(wrong.status).toBe(401);
    const missing = await fetch(view1.url, { method: 'POST', body: '{"id":1,"method":"getblockcount"}' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Basic realm="jsonrpc"');
  });

  it('maps parse error to 500, invalid request to 400, unknown method to 404', async () => {
    const parse = await postRpc(view1, '{"id":1,"method":');
    expect([parse.status, parse.text]).toEqual([
      500,
      '{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}\n',
    ]);
    const notObject = await postRpc(view1, '42');
    expect(notObject.status).toBe(400);
    expect(notObject.json).toMatchObject({ error: { code: -32600 } });
    const badParams = await postRpc(view1, '{"id":2,"method":"getblockcount","params":{"a":1}}');
    expect(badParams.status).toBe(400);
    expect(badParams.json).toEqual({
      result: null,
      error: { code: -32600, message: 'Params must be an array' },
      id: 2,
    });
    const unknown = await postRpc(view1, '{"id":3,"method":"nosuchmethod","params":[]}');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ result: null, error: { code: -32601, message: 'Method not found' }, id: 3 });
  });

  it('answers a wrong param count with the help text as error -1, range and type errors with -8 and -3', async () => {
    const count = await postRpc(view1, '{"id":1,"method":"getblockhash","params":[]}');
    expect(count.status).toBe(500);
    const { error } = count.json as { error: { code: number; message: string } };
    expect(error.code).toBe(-1);
    expect(error.message).toMatch(/^getblockhash index\n/);
    const range = await postRpc(view1, '{"id":1,"method":"getblockhash","params":[99]}');
    expect(range.json).toMatchObject({ error: { code: -8, message: 'Block height out of range' } });
    const type = await postRpc(view1, '{"id":1,"method":"getblockhash","params":["1"]}');
    expect(type.json).toMatchObject({ error: { code: -3 } });
    const missing = await postRpc(view1, `{"id":1,"method":"getblockheader","params":["${'00'.repeat(32)}"]}`);
    expect(missing.json).toMatchObject({ error: { code: -5, message: 'Block not found' } });
  });

  it('answers a batch with an array of envelopes in request order, errors included', async () => {
    const reply = await postRpc(
      view1,
      JSON.stringify([
        { id: 1, method: 'getblockcount' },
        { id: 2, method: 'nosuchmethod' },
        { id: 3, method: 'getbestblockhash', params: [] },
      ]),
    );
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual([
      { result: 4, error: null, id: 1 },
      { result: null, error: { code: -32601, message: 'Method not found' }, id: 2 },
      { result: stub.chain.view(1).tip.hash, error: null, id: 3 },
    ]);
  });

  it('rejects non-POST requests', async () => {
    const res = await fetch(view1.url, { method: 'GET' });
    expect(res.status).toBe(405);
  });
});

describe('block methods', () => {
  it('getblock by height at verbosity 2 shows the app message as OP_RETURN with real txids', async () => {
    const block = await callRpc<{
      hash: string;
      tx: { txid: string; hex: string; vout: { scriptPubKey: { asm: string; hex: string; type: string } }[] }[];
    }>(view1, 'getblock', ['4', 2]);
    const app = block.tx.find((tx) => tx.vout.some((out) => out.scriptPubKey.type === 'nulldata'));
    const payload = Buffer.from(APP_HASH, 'ascii').toString('hex');
    expect(app?.vout[1]?.scriptPubKey).toEqual({
      asm: `OP_RETURN ${payload}`,
      hex: `6a40${payload}`,
      type: 'nulldata',
    });
    for (const tx of block.tx) expect(display(Buffer.from(tx.hex, 'hex'))).toBe(tx.txid);
    const raw = await callRpc<string>(view1, 'getblock', [block.hash, 0]);
    expect(display(Buffer.from(raw, 'hex').subarray(0, 141))).toBe(block.hash);
  });

  it('getblockheader, getblockhash, getbestblockhash and getblockchaininfo agree', async () => {
    const best = await callRpc<string>(view1, 'getbestblockhash');
    expect(await callRpc<string>(view1, 'getblockhash', [4])).toBe(best);
    const header = await callRpc<Record<string, unknown>>(view1, 'getblockheader', [best]);
    expect(Object.keys(header)).toEqual([
      'hash',
      'confirmations',
      'height',
      'version',
      'merkleroot',
      'finalsaplingroot',
      'time',
      'type',
      'nonce',
      'solution',
      'bits',
      'difficulty',
      'chainwork',
      'previousblockhash',
    ]);
    expect(header).toMatchObject({ hash: best, confirmations: 1, height: 4, time: 1_700_000_000 + 4 * 30 });
    const rawHeader = await callRpc<string>(view1, 'getblockheader', [best, false]);
    expect(display(Buffer.from(rawHeader, 'hex'))).toBe(best);
    const info = await callRpc<Record<string, unknown>>(view1, 'getblockchaininfo');
    expect(info).toMatchObject({ blocks: 4, headers: 4, bestblockhash: best, chainwork: header.chainwork });
  });

  it('getrawtransaction returns hex and the verbose object with its block', async () => {
    const block = await callRpc<{ hash: string; tx: string[] }>(view1, 'getblock', [4, 1]);
    const txid = block.tx[1]!;
    const hex = await callRpc<string>(view1, 'getrawtransaction', [txid]);
    expect(display(Buffer.from(hex, 'hex'))).toBe(txid);
    const verbose = await callRpc<Record<string, unknown>>(view1, 'getrawtransaction', [txid, 1]);
    expect(verbose).toMatchObject({ txid, hex, blockhash: block.hash, height: 4, confirmations: 1 });
  });

  it('getchaintips lists the active tip and a stale branch; invalidate/reconsider move the tip', async () => {
    const tip = await callRpc<string>(view3, 'getbestblockhash');
    await callRpc(view3, 'invalidateblock', [tip]);
    expect(await callRpc<number>(view3, 'getblockcount')).toBe(3);
    const tips = await callRpc<{ hash: string; status: string; branchlen: number }[]>(view3, 'getchaintips');
    expect(tips).toContainEqual({ height: 4, hash: tip, branchlen: 1, status: 'invalid' });
    await callRpc(view3, 'reconsiderblock', [tip]);
    expect(await callRpc<string>(view3, 'getbestblockhash')).toBe(tip);
  });
});

describe('node-list methods', () => {
  it('getfluxnodesnapshot has fluxd keys in order, string outidx, per-tier ranks and genesis time for never paid', async () => {
    const snapshot = await callRpc<FluxnodeSnapshot>(view1, 'getfluxnodesnapshot');
    expect(snapshot.height).toBe(4);
    expect(snapshot.blockhash).toBe(stub.chain.view(1).tip.hash);
    expect(snapshot.nodes).toHaveLength(2);
    for (const node of snapshot.nodes) {
      expect(Object.keys(node)).toEqual(SNAPSHOT_KEYS);
      expect(typeof node.outidx).toBe('string');
      expect(node.rank).toBe(0);
      expect(node.collateral).toBe(`COutPoint(${node.txhash}, ${node.outidx})`);
    }
    const list = await callRpc<SnapshotNode[]>(view1, 'viewdeterministiczelnodelist');
    expect(list).toEqual(snapshot.nodes);
    const filtered = await callRpc<SnapshotNode[]>(view1, 'listfluxnodes', [snapshot.nodes[1]!.ip]);
    expect(filtered).toEqual([snapshot.nodes[1]]);
  });

  it('getzelnodestatus describes the view node; a view without one gets -1', async () => {
    const status = await callRpc<Record<string, unknown>>(view1, 'getzelnodestatus');
    expect(Object.keys(status)).toEqual(['status', ...SNAPSHOT_KEYS.filter((key) => key !== 'rank')]);
    expect(status).toMatchObject({
      status: 'CONFIRMED',
      collateral: `COutPoint(${stub.views[0]!.ownNode!.replace(':', ', ')})`,
    });
    const none = await postRpc(view3, '{"id":1,"method":"getfluxnodestatus","params":[]}');
    expect(none.json).toMatchObject({ error: { code: -1, message: 'This is not a Flux Node' } });
  });

  it('getfluxnodecount counts the list', async () => {
    expect(await callRpc<Record<string, number>>(view1, 'getfluxnodecount')).toMatchObject({ total: 2, ipv4: 2 });
  });
});

describe('faults', () => {
  it('IBD answers -10 for node-list calls', async () => {
    stub.core.faults(2).ibd = true;
    const view2 = { ...view1, url: stub.views[1]!.rpcUrl };
    const reply = await postRpc(view2, '{"id":1,"method":"getfluxnodesnapshot","params":[]}');
    expect(reply.json).toMatchObject({ error: { code: -10, message: 'Wait until chain is synced closer to tip' } });
    stub.core.faults(2).ibd = false;
  });

  it('a failing RPC drops the connection (reset) or answers 503', async () => {
    const view2 = { ...view1, url: stub.views[1]!.rpcUrl };
    stub.core.faults(2).rpc = 'reset';
    await expect(postRpc(view2, '{"id":1,"method":"getblockcount"}')).rejects.toThrow();
    stub.core.faults(2).rpc = 'http503';
    expect((await postRpc(view2, '{"id":1,"method":"getblockcount"}')).status).toBe(503);
    stub.core.faults(2).rpc = 'none';
    expect(await callRpc<number>(view2, 'getblockcount')).toBe(4);
  });

  it('journals every call with its view, params and error', () => {
    const entries = stub.core.journal.list({ view: 1, method: 'getblockhash' });
    expect(entries).toContainEqual(
      expect.objectContaining({ params: [99], error: { code: -8, message: 'Block height out of range' } }),
    );
    expect(entries).toContainEqual(expect.objectContaining({ params: [4], error: null }));
  });
});

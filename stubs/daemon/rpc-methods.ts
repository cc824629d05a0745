import {
  collateralAmount,
  formatCollateral,
  networkOf,
  type OutPoint,
  TIER_NAMES,
} from '../../protocol/fluxd/index.js';
import type { Block } from './block.js';
import type { NodeIdentity } from './lifecycle.js';
import { IBD_ERROR_MESSAGE, RPC_ERROR, RpcError, runtimeError } from './rpc-errors.js';
import { blockHex, blockJson, chainworkHex, confirmedTxJson, DIFFICULTY, headerJson } from './rpc-json.js';
import type { SnapshotCache } from './snapshot-cache.js';
import type { ChainView } from './view.js';
import type { ViewSet } from './views.js';

/** The JSON-RPC methods of one view's daemon, each with its param count and help text. */

/** A result already serialized (large snapshots), spliced into the envelope as is. */
export class RawJson {
  constructor(readonly text: string) {}
}

export interface RpcContext {
  sim: ViewSet;
  view: ChainView;
  snapshots: SnapshotCache;
  isInitialBlockDownload: boolean;
  /** `stop`: the daemon goes away (the stub stops answering RPC and publishing on this view). */
  stop: () => void;
}

interface MethodSpec {
  /** [min, max] positional params; a count outside it answers the help text as error -1. */
  params: [number, number];
  help: string;
  run: (ctx: RpcContext, params: unknown[]) => unknown;
}

const DAEMON_VERSION = 9000050;
const PROTOCOL_VERSION = 170020;

export function callMethod(ctx: RpcContext, method: string, params: unknown[]): unknown {
  const spec = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (!spec) throw new RpcError(RPC_ERROR.METHOD_NOT_FOUND, 'Method not found');
  const [min, max] = spec.params;
  if (params.length < min || params.length > max) throw runtimeError(spec.help);
  return spec.run(ctx, params);
}

// ---- param parsing (bitcoind's messages) ----

function intParam(params: unknown[], index: number): number {
  const value = params[index];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new RpcError(RPC_ERROR.TYPE_ERROR, 'JSON value is not an integer as expected');
  }
  return value;
}

function hashParam(params: unknown[], index: number, name: string): string {
  const value = params[index];
  if (typeof value !== 'string') throw new RpcError(RPC_ERROR.TYPE_ERROR, 'JSON value is not a string as expected');
  if (!/^[0-9a-fA-F]*$/.test(value)) {
    throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `${name} must be hexadecimal string (not '${value}')`);
  }
  if (value.length !== 64) {
    throw new RpcError(
      RPC_ERROR.INVALID_PARAMETER,
      `${name} must be of length 64 (not ${value.length}, for '${value}')`,
    );
  }
  return value.toLowerCase();
}

/** Verbosity / verbose flags accept numbers and booleans, as fluxd does. */
function levelParam(params: unknown[], index: number, fallback: number, max: number): number {
  const value = params[index];
  if (value === undefined) return fallback;
  const level = typeof value === 'boolean' ? Number(value) : value;
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > max) {
    throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `Verbosity must be in range 0..${max}`);
  }
  return level;
}

function knownBlock(ctx: RpcContext, hash: string): Block {
  const block = ctx.sim.tree.get(hash);
  if (!block || !ctx.view.knows(block)) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'Block not found');
  return block;
}

function activeBlockAt(ctx: RpcContext, height: number): Block {
  const block = height >= 0 ? ctx.view.blockAt(height) : undefined;
  if (!block) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Block height out of range');
  return block;
}

/** getblock takes a hash or a height (number or decimal string), like fluxd's `hash|height`. */
function blockByHashOrHeight(ctx: RpcContext, value: unknown): Block {
  if (typeof value === 'number' && Number.isInteger(value)) return activeBlockAt(ctx, value);
  if (typeof value === 'string' && value.length !== 64 && /^-?\d+$/.test(value)) {
    return activeBlockAt(ctx, Number(value));
  }
  return knownBlock(ctx, hashParam([value], 0, 'blockhash'));
}

function requireSynced(ctx: RpcContext): void {
  if (ctx.isInitialBlockDownload) throw new RpcError(RPC_ERROR.CLIENT_IN_INITIAL_DOWNLOAD, IBD_ERROR_MESSAGE);
}

// ---- node-list helpers ----

function nodeStatusJson(ctx: RpcContext): Record<string, unknown> {
  const key = ctx.view.ownNodeKey;
  const operator = key === undefined ? undefined : ctx.sim.registry.get(key);
  if (!key || !operator) throw runtimeError('This is not a Flux Node');
  const { state } = ctx.view;
  const outpoint = operator.identity.outpoint;
  const listed = state.list.get(key);
  const tracked = state.started.get(key) ?? state.dos.get(key);
  if (!listed && !tracked) return { status: 'expired', collateral: formatCollateral(outpoint) };
  const identity: NodeIdentity = operator.identity;
  const heights = listed ?? {
    addedHeight: tracked!.addedHeight,
    confirmedHeight: 0,
    lastConfirmedHeight: 0,
    lastPaidHeight: 0,
  };
  const ip = listed?.ip ?? identity.ip;
  return {
    status: listed ? 'CONFIRMED' : state.dos.has(key) ? 'DOS' : 'STARTED',
    ...outpointFields(outpoint),
    ip,
    network: networkOf(ip),
    added_height: heights.addedHeight,
    confirmed_height: heights.confirmedHeight,
    last_confirmed_height: heights.lastConfirmedHeight,
    last_paid_height: heights.lastPaidHeight,
    tier: TIER_NAMES[identity.tier - 1],
    payment_address: identity.paymentAddress,
    pubkey: identity.pubkey,
    activesince: String(ctx.sim.blockTime(heights.addedHeight)),
    lastpaid: String(heights.lastPaidHeight > 0 ? ctx.sim.blockTime(heights.lastPaidHeight) : ctx.sim.genesisTime),
    amount: collateralAmount(identity.tier),
  };
}

function outpointFields(outpoint: OutPoint): Record<string, string> {
  return { collateral: formatCollateral(outpoint), txhash: outpoint.txid, outidx: String(outpoint.n) };
}

function nodeList(ctx: RpcContext, params: unknown[]): unknown {
  requireSynced(ctx);
  const filter = params[0];
  if (filter !== undefined && typeof filter !== 'string') {
    throw new RpcError(RPC_ERROR.TYPE_ERROR, 'JSON value is not a string as expected');
  }
  const entry = ctx.snapshots.forView(ctx.view);
  if (!filter) return new RawJson(entry.json);
  return entry
    .nodes()
    .filter((node) =>
      [node.txhash, node.pubkey, node.ip, node.payment_address].some((field) => field.includes(filter)),
    );
}

function nodeCount(ctx: RpcContext): Record<string, number> {
  const nodes = ctx.view.state.list.all();
  const count = (predicate: (network: string) => boolean) =>
    nodes.filter((node) => predicate(networkOf(node.ip))).length;
  return {
    total: nodes.length,
    stable: nodes.length,
    'cumulus-enabled': ctx.view.state.list.tierQueue(1).length,
    'nimbus-enabled': ctx.view.state.list.tierQueue(2).length,
    'stratus-enabled': ctx.view.state.list.tierQueue(3).length,
    ipv4: count((network) => network === 'ipv4'),
    ipv6: count((network) => network === 'ipv6'),
    onion: count((network) => network === 'onion'),
  };
}

function rawTransaction(ctx: RpcContext, params: unknown[]): unknown {
  const txid = hashParam(params, 0, 'parameter 1');
  const verbose = levelParam(params, 1, 0, 1);
  const block = ctx.sim.tree.blocksWithTx(txid).find((holder) => ctx.view.onActiveChain(holder));
  const tx = block?.txs.find((candidate) => candidate.txid === txid);
  if (!block || !tx) {
    throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'No information available about transaction');
  }
  return verbose ? confirmedTxJson(ctx.view, tx, block) : tx.raw.toString('hex');
}

// ---- the table ----

const NODE_LIST_HELP = (name: string) =>
  `${name} ( "filter" )\n\nPrint the list of deterministic fluxnodes in payment order.\n\nArguments:\n1. "filter"    (string, optional) Filter results, partial match by txhash, pubkey, ip or payment address`;
const STATUS_HELP = (name: string) => `${name}\n\nPrint this node's fluxnode status.`;

const METHODS: Record<string, MethodSpec> = {
  getblockcount: {
    params: [0, 0],
    help: 'getblockcount\n\nReturns the number of blocks in the best valid block chain.',
    run: (ctx) => ctx.view.height,
  },
  getbestblockhash: {
    params: [0, 0],
    help: 'getbestblockhash\n\nReturns the hash of the best (tip) block in the longest block chain.',
    run: (ctx) => ctx.view.tip.hash,
  },
  getblockhash: {
    params: [1, 1],
    help: 'getblockhash index\n\nReturns hash of block in best-block-chain at index provided.\n\nArguments:\n1. index         (numeric, required) The block index',
    run: (ctx, params) => activeBlockAt(ctx, intParam(params, 0)).hash,
  },
  getblock: {
    params: [1, 2],
    help: 'getblock "hash|height" ( verbosity )\n\nReturns data for the block.\n\nArguments:\n1. "hash|height"  (string, required) The block hash or height\n2. verbosity      (numeric, optional, default=1) 0 for hex data, 1 for a json object, 2 for json with transaction data',
    run: (ctx, params) => {
      const block = blockByHashOrHeight(ctx, params[0]);
      const verbosity = levelParam(params, 1, 1, 2);
      return verbosity === 0 ? blockHex(block) : blockJson(ctx.view, block, verbosity as 1 | 2);
    },
  },
  getblockheader: {
    params: [1, 2],
    help: 'getblockheader "hash" ( verbose )\n\nReturns information about the block header.\n\nArguments:\n1. "hash"       (string, required) The block hash\n2. verbose      (boolean, optional, default=true)',
    run: (ctx, params) => {
      const block = knownBlock(ctx, hashParam(params, 0, 'hash'));
      return levelParam(params, 1, 1, 1) ? headerJson(ctx.view, block) : block.header.toString('hex');
    },
  },
  getblockchaininfo: {
    params: [0, 0],
    help: 'getblockchaininfo\n\nReturns an object containing various state info regarding block chain processing.',
    run: (ctx) => ({
      chain: 'main',
      blocks: ctx.view.height,
      // The best header it has heard of: above the tip while the view is stalled.
      headers: ctx.view.bestCandidate().height,
      bestblockhash: ctx.view.tip.hash,
      difficulty: DIFFICULTY,
      verificationprogress: 1,
      chainwork: chainworkHex(ctx.view.tip.chainwork),
      pruned: false,
      initialblockdownload: ctx.isInitialBlockDownload,
      commitments: 0,
      softforks: [],
      upgrades: {},
    }),
  },
  getchaintips: {
    params: [0, 0],
    help: 'getchaintips\n\nReturn information about all known tips in the block tree, including the main chain as well as orphaned branches.',
    run: (ctx) => ctx.view.chainTips(),
  },
  getinfo: {
    params: [0, 0],
    help: 'getinfo\n\nReturns an object containing various state info.',
    run: (ctx) => ({
      version: DAEMON_VERSION,
      protocolversion: PROTOCOL_VERSION,
      blocks: ctx.view.height,
      timeoffset: 0,
      connections: ctx.sim.views.length - 1,
      proxy: '',
      difficulty: DIFFICULTY,
      testnet: false,
      relayfee: 0.000001,
      errors: '',
    }),
  },
  getpeerinfo: {
    params: [0, 0],
    help: 'getpeerinfo\n\nReturns data about each connected network node (the stub has none).',
    run: () => [],
  },
  getfluxnodesnapshot: {
    params: [0, 0],
    help: 'getfluxnodesnapshot\n\nReturns the tip height, tip hash and the deterministic fluxnode list, read atomically.',
    run: (ctx) => {
      requireSynced(ctx);
      const { view } = ctx;
      const nodes = ctx.snapshots.forView(view).json;
      return new RawJson(`{"height":${view.height},"blockhash":${JSON.stringify(view.tip.hash)},"nodes":${nodes}}`);
    },
  },
  viewdeterministicfluxnodelist: {
    params: [0, 1],
    help: NODE_LIST_HELP('viewdeterministicfluxnodelist'),
    run: nodeList,
  },
  viewdeterministiczelnodelist: { params: [0, 1], help: NODE_LIST_HELP('viewdeterministiczelnodelist'), run: nodeList },
  listfluxnodes: { params: [0, 1], help: NODE_LIST_HELP('listfluxnodes'), run: nodeList },
  listzelnodes: { params: [0, 1], help: NODE_LIST_HELP('listzelnodes'), run: nodeList },
  getfluxnodestatus: { params: [0, 0], help: STATUS_HELP('getfluxnodestatus'), run: nodeStatusJson },
  getzelnodestatus: { params: [0, 0], help: STATUS_HELP('getzelnodestatus'), run: nodeStatusJson },
  getfluxnodecount: {
    params: [0, 0],
    help: 'getfluxnodecount\n\nGet fluxnode count values.',
    run: nodeCount,
  },
  getrawtransaction: {
    params: [1, 2],
    help: 'getrawtransaction "txid" ( verbose )\n\nReturn the raw transaction data.\n\nArguments:\n1. "txid"      (string, required) The transaction id\n2. verbose     (numeric, optional, default=0) If 0, return a string, other return a json object',
    run: rawTransaction,
  },
  invalidateblock: {
    params: [1, 1],
    help: 'invalidateblock "hash"\n\nPermanently marks a block as invalid, as if it violated a consensus rule.',
    run: (ctx, params) => {
      const block = knownBlock(ctx, hashParam(params, 0, 'blockhash'));
      if (!block.parent) throw runtimeError('Cannot invalidate the genesis block');
      ctx.view.invalidate(block);
      return null;
    },
  },
  reconsiderblock: {
    params: [1, 1],
    help: 'reconsiderblock "hash"\n\nRemoves invalidity status of a block and its descendants, reconsider them for activation.',
    run: (ctx, params) => {
      ctx.view.reconsider(knownBlock(ctx, hashParam(params, 0, 'blockhash')));
      return null;
    },
  },
  generate: {
    params: [1, 1],
    help: 'generate numblocks\n\nMine blocks immediately on this view (they reach its group).',
    run: (ctx, params) => {
      const blocks = intParam(params, 0);
      if (blocks < 0 || blocks > 10_000) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'numblocks must be 0..10000');
      return ctx.sim.mine({ blocks, views: [ctx.view.index] }).map((block) => block.hash);
    },
  },
  stop: {
    params: [0, 0],
    help: 'stop\n\nStop Flux server.',
    run: (ctx) => {
      ctx.stop();
      return 'Flux server stopping';
    },
  },
  help: {
    params: [0, 1],
    help: 'help ( "command" )\n\nList all commands, or get help for a specified command.',
    run: (_ctx, params) => {
      const command = params[0];
      if (command === undefined) return Object.keys(METHODS).sort().join('\n');
      if (typeof command !== 'string')
        throw new RpcError(RPC_ERROR.TYPE_ERROR, 'JSON value is not a string as expected');
      return Object.hasOwn(METHODS, command) ? METHODS[command]!.help : `help: unknown command: ${command}`;
    },
  },
};

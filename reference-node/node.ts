/**
 * startReferenceNode: one FluxOS-compatible node wired from its parts. main.ts runs it from the
 * environment; tests run several in one process. Boot order: database, HTTP API (so /health
 * answers while booting), then the daemon-driven parts in the background.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Db, MongoClient } from 'mongodb';
import { loadFixtureApps } from './apps/fixture-apps.js';
import { AppMessageStore, type StoredSpec } from './apps/message-store.js';
import { Spawner } from './apps/spawner.js';
import { type Clock, systemClock } from './clock.js';
import type { NodeConfig } from './config.js';
import { createDaemonClient, type DaemonClient } from './daemon/client.js';
import { Explorer } from './daemon/explorer.js';
import { NodeList } from './daemon/node-list.js';
import { Announcer } from './gossip/announcer.js';
import { createGossipHandler, type GossipHandler } from './gossip/handlers.js';
import { GossipPipeline } from './gossip/pipeline.js';
import { createRegisterApp } from './http/register-app.js';
import type { HealthReport } from './http/server.js';
import { createApiServer } from './http/server.js';
import { createViewReader } from './location-view-reader.js';
import { createLogger, type Logger } from './log.js';
import { PeerManager } from './peers/manager.js';
import { EventBus } from './sse/event-bus.js';
import { newEpoch } from './sse/event-ids.js';
import { createEventStream, type EventStream } from './sse/stream.js';
import { NodeStatusMonitor } from './status-monitor/monitor.js';
import { openAppStateStore } from './store/app-state-store.js';
import { Sweeper } from './store/sweeper.js';

export const NODE_VERSION = 'fluxnet-reference-node/0.1.0';

export interface ReferenceNodeRuntime {
  clock?: Clock;
  logger?: Logger;
}

export interface ReferenceNode {
  readonly config: NodeConfig;
  readonly epoch: string;
  /** `http://<host>:<port>` the API listens on (host 127.0.0.1 when bound to every interface). */
  readonly url: string;
  readonly bus: EventBus;
  health(): HealthReport;
  stats(): NodeStats;
  /** SIGTERM behaviour: announce `fluxnodesigterm` if apps run, store it, shorten own rows, close. */
  shutdown(): Promise<void>;
  /** Closes everything without announcing anything (teardown, or what a powercut looks like to peers). */
  stop(): Promise<void>;
}

export interface NodeStats {
  gossip: GossipPipeline['counts'];
  handlers: GossipHandler['stats'];
  peers: ReturnType<PeerManager['counts']> & PeerManager['stats'] & { connected: string[] };
  nodeList: NodeList['stats'] & { ready: boolean; height: number | null; listed: number };
  explorer: { scannedHeight: number; ready: boolean; rollbacks: number };
  sseClients: number;
}

interface NodeContext {
  config: NodeConfig;
  clock: Clock;
  logger: Logger;
  bus: EventBus;
}

export async function startReferenceNode(
  config: NodeConfig,
  runtime: ReferenceNodeRuntime = {},
): Promise<ReferenceNode> {
  const ctx: NodeContext = {
    config,
    clock: runtime.clock ?? systemClock,
    logger: runtime.logger ?? createLogger({ level: config.logLevel, bindings: { node: config.ip } }),
    bus: new EventBus({
      enabled: config.testEventStream,
      epoch: newEpoch(Date.now()),
      bufferSize: config.tunables.sseRingSize,
      validate: process.env.NODE_ENV !== 'production',
    }),
  };
  const fixtureSpecs = await loadFixtureApps(config.appsDir);
  const mongo = new MongoClient(config.mongoUri, { serverSelectionTimeoutMS: 10_000, appName: config.ip });
  await mongo.connect();
  try {
    return await assemble({ ctx, mongo, fixtureSpecs });
  } catch (error) {
    await mongo.close();
    throw error;
  }
}

async function openStores(ctx: NodeContext, mongo: MongoClient) {
  const { config, clock, logger, bus } = ctx;
  const { tunables, regressions } = config;
  const onSweepError = (error: unknown): void => logger.warn('sweep failed', { error });
  const store = await openAppStateStore({
    client: mongo,
    prefix: config.dbPrefix,
    clock,
    tunables,
    regressions,
    onSweepError,
  });
  const { databases } = store;
  const messages = new AppMessageStore({
    globalDb: databases.globalApps,
    chainDb: databases.chain,
    clock,
    tunables,
    bus,
    logger,
  });
  await messages.ensureIndexes();
  const temporarySweeper = new Sweeper({
    collections: [messages.temporary],
    clock,
    intervalMs: tunables.sweeperIntervalMs,
    onError: onSweepError,
  });
  return { ...store, messages, sweepers: [store.sweeper, temporarySweeper] };
}

function createDaemonParts(ctx: NodeContext, chainDb: Db) {
  const { config, logger, bus } = ctx;
  const { tunables } = config;
  const client: DaemonClient = createDaemonClient({
    url: config.daemon.rpcUrl,
    user: config.daemon.rpcUser,
    password: config.daemon.rpcPassword,
    timeoutMs: config.daemon.timeoutMs,
    maxConcurrent: tunables.rpcMaxConcurrent,
  });
  const nodeList = new NodeList({
    client,
    zmqEndpoint: config.daemon.zmqEndpoint,
    pollMs: tunables.daemonPollMs,
    // ZMQ counts as silent after two poll periods without a message; polling then takes over.
    silenceMs: 2 * tunables.daemonPollMs,
    logger: logger.child({ part: 'node-list' }),
  });
  const explorer = new Explorer({
    client,
    nodeList,
    chainDb,
    bus,
    logger: logger.child({ part: 'explorer' }),
    startHeight: 0,
    retryMs: tunables.daemonPollMs,
  });
  return { client, nodeList, explorer };
}

type Stores = Awaited<ReturnType<typeof openStores>>;
type DaemonParts = ReturnType<typeof createDaemonParts>;

/** Gossip in and out, peers and the spawner: they call each other, so peers is bound late. */
function createNetworkParts(ctx: NodeContext, stores: Stores, daemon: DaemonParts, fixtureSpecs: StoredSpec[]) {
  const { config, clock, logger, bus } = ctx;
  const { tunables, regressions } = config;
  const { eventLog, locationCache: cache, messages, databases } = stores;
  const identity = { ip: config.ip, privkeyHex: config.privkeyHex, pubkeyHex: config.pubkeyHex };
  const readView = createViewReader({ eventLog, clock, tunables, regressions });
  let peers: PeerManager | undefined;
  const announcer = new Announcer({
    identity,
    clock,
    eventLog,
    cache,
    bus,
    broadcast: (envelope) => peers?.broadcast(envelope) ?? 0,
    regressions,
  });
  const handler = createGossipHandler({
    clock,
    tunables,
    eventLog,
    cache,
    messages,
    readView,
    bus,
    relay: (envelope, exceptPeer) => peers?.broadcast(envelope, { exceptPeer }),
    logger,
    regressions,
  });
  const pipeline = new GossipPipeline({
    clock,
    tunables,
    directory: daemon.nodeList,
    handle: (message) => handler.handle(message),
    logger: logger.child({ part: 'gossip' }),
  });
  const spawner = new Spawner({
    ownIp: config.ip,
    localDb: databases.local,
    clock,
    tunables,
    listedIps: () => daemon.nodeList.peers(),
    messages,
    fixtureSpecs,
    announcer,
    bus,
    logger: logger.child({ part: 'spawner' }),
  });
  peers = new PeerManager({
    identity,
    directory: daemon.nodeList,
    clock,
    tunables,
    bus,
    logger: logger.child({ part: 'peers' }),
    onBroadcast: (envelope, fromPeer) => pipeline.receive(envelope, fromPeer),
    regressions,
    onThresholdReached: () => void spawner.announce().catch((error) => logger.warn('announce failed', { error })),
  });
  return { peers, announcer, handler, pipeline, spawner, readView };
}

type NetworkParts = ReturnType<typeof createNetworkParts>;

function createApi(ctx: NodeContext, stores: Stores, daemon: DaemonParts, network: NetworkParts) {
  const { config, bus, logger } = ctx;
  const { nodeList, explorer, client } = daemon;
  const { peers, pipeline, handler, readView, announcer } = network;
  const eventStream: EventStream | undefined = config.testEventStream
    ? createEventStream({ bus, keepaliveMs: config.tunables.sseKeepaliveMs })
    : undefined;
  const health = (): HealthReport => {
    // The database is connected and indexed before the API listens.
    const checks = { database: true, daemon: nodeList.ready, explorer: explorer.ready };
    return { ready: Object.values(checks).every(Boolean), checks };
  };
  const stats = (): NodeStats => ({
    gossip: pipeline.counts,
    handlers: handler.stats,
    peers: { ...peers.counts(), ...peers.stats, connected: peers.connectedPeers() },
    nodeList: {
      ...nodeList.stats,
      ready: nodeList.ready,
      height: nodeList.tip?.height ?? null,
      listed: nodeList.peers().length,
    },
    explorer: { scannedHeight: explorer.scannedHeight, ready: explorer.ready, rollbacks: explorer.rollbacks },
    sseClients: eventStream?.clientCount ?? 0,
  });
  const server = createApiServer({
    logger,
    handlers: {
      eventStream,
      info: () => ({ ip: config.ip, pubkey: config.pubkeyHex, version: NODE_VERSION, epoch: bus.epoch }),
      stats,
      health,
      cachedLocations: (name) => stores.locationCache.rows(name === undefined ? {} : { appName: name }),
      viewLocations: ({ name, ip }) => readView({ ...(name ? { appName: name } : {}), ...(ip ? { ip } : {}) }),
      registerApp: createRegisterApp({ messages: stores.messages, announcer }),
      daemonNodeStatus: () => client.call('getfluxnodestatus'),
      upgrade: (req, socket, head) => peers.handleUpgrade(req, socket, head),
    },
  });
  return { server, eventStream, health, stats };
}

async function assemble({
  ctx,
  mongo,
  fixtureSpecs,
}: {
  ctx: NodeContext;
  mongo: MongoClient;
  fixtureSpecs: StoredSpec[];
}): Promise<ReferenceNode> {
  const { config, logger, bus } = ctx;
  const stores = await openStores(ctx, mongo);
  const daemon = createDaemonParts(ctx, stores.databases.chain);
  const network = createNetworkParts(ctx, stores, daemon, fixtureSpecs);
  const api = createApi(ctx, stores, daemon, network);
  const { nodeList, explorer } = daemon;
  const { peers, spawner, announcer, pipeline } = network;
  // §4.1 eviction: cache IPs the deterministic list dropped are probed and evicted unless CONFIRMED.
  const statusMonitor = new NodeStatusMonitor({
    tunables: config.tunables,
    isListedIp: (ip) => nodeList.peers().includes(ip),
    cache: stores.locationCache,
    eventLog: stores.eventLog,
    onError: (error) => logger.warn('node status monitor failed', { error }),
  });

  await listen(api.server, config.apiHost, config.apiPort);
  const url = serverUrl(api.server);
  try {
    for (const sweeper of stores.sweepers) sweeper.start();
    await spawner.start();
    nodeList.start();
    await explorer.start();
  } catch (error) {
    nodeList.stop();
    for (const sweeper of stores.sweepers) await sweeper.stop();
    await closeServer(api.server);
    throw error;
  }
  let closing: Promise<void> | undefined;
  const offs = [
    explorer.hashesFound.on((found) => stores.messages.onHashesFound(found.map((row) => row.hash))),
    stores.messages.specStored.on(() => spawner.reconcile()),
    nodeList.listChanged.on(() => {
      if (nodeList.ready) void spawner.reconcile();
    }),
  ];
  // Peers and placement need the deterministic list: start them once the daemon answered.
  void nodeList
    .whenReady()
    .then(() => {
      if (closing) return;
      peers.start();
      statusMonitor.start();
      return spawner.reconcile();
    })
    .catch((error: unknown) => logger.error('boot after daemon ready failed', { error }));
  logger.info('node started', { url, epoch: bus.epoch, ip: config.ip });

  const close = async ({ announce }: { announce: boolean }): Promise<void> => {
    for (const off of offs) off();
    await statusMonitor.stop();
    await spawner.stop();
    if (announce && (await spawner.running()).length > 0) {
      const { peers: reached, shortened } = await announcer.announceSigterm();
      logger.info('sigterm announced', { peers: reached, shortenedRows: shortened });
    }
    await pipeline.stop();
    await peers.stop();
    api.eventStream?.closeAll();
    await closeServer(api.server);
    await explorer.stop();
    nodeList.stop();
    for (const sweeper of stores.sweepers) await sweeper.stop();
    await mongo.close();
    logger.info('node stopped', { announce });
  };
  const once = (announce: boolean): Promise<void> => {
    closing ??= close({ announce });
    return closing;
  };

  return {
    config,
    epoch: bus.epoch,
    url,
    bus,
    health: api.health,
    stats: api.stats,
    shutdown: () => once(true),
    stop: () => once(false),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function serverUrl(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

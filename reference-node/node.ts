/**
 * startReferenceNode: one FluxOS-compatible node wired from its parts. main.ts runs it from the
 * environment; tests run several in one process. Boot order: database, boot context from the last
 * heartbeat (`orchestrator:started`), HTTP API (so /health answers while booting), then the
 * daemon-driven parts, and in the background the boot gates (§9-10) that end in `boot:settled`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Db, MongoClient } from 'mongodb';
import { AppAnnouncements } from './apps/announcements.js';
import { loadFixtureApps } from './apps/fixture-apps.js';
import { AppMessageStore, type StoredSpec } from './apps/message-store.js';
import { Spawner } from './apps/spawner.js';
import { readMachineBootId } from './boot/boot-id.js';
import { type BootContext, readBootContext } from './boot/context.js';
import { Heartbeat } from './boot/heartbeat.js';
import { type DecidedBoot, runBootSequence } from './boot/sequence.js';
import { type Clock, systemClock } from './clock.js';
import type { NodeConfig } from './config.js';
import type { ConfirmationLevels } from './confirmation/levels.js';
import { ConfirmationPoller, type ConfirmationStats } from './confirmation/poller.js';
import { createDaemonClient, type DaemonClient } from './daemon/client.js';
import { Explorer } from './daemon/explorer.js';
import { NodeList } from './daemon/node-list.js';
import { Announcer } from './gossip/announcer.js';
import { createGossipHandler, type GossipHandler } from './gossip/handlers.js';
import { GossipPipeline } from './gossip/pipeline.js';
import { HashRetryOnBlocks } from './hash-sync/block-retry.js';
import { HashSync, type HashSyncStats } from './hash-sync/hash-sync.js';
import { HashRequestResponder, type HashRequestStats } from './hash-sync/responder.js';
import { createRegisterApp } from './http/register-app.js';
import type { HealthReport } from './http/server.js';
import { createApiServer } from './http/server.js';
import { createViewReader } from './location-view-reader.js';
import { createLogger, type Logger } from './log.js';
import { OrchestratorRuntime } from './orchestrator/runtime.js';
import type { OrchestratorSnapshot } from './orchestrator/state-machine.js';
import { PeerManager } from './peers/manager.js';
import { EventBus } from './sse/event-bus.js';
import { newEpoch } from './sse/event-ids.js';
import { createEventStream, type EventStream } from './sse/stream.js';
import { type MonitorStats, NodeStatusMonitor } from './status-monitor/monitor.js';
import { openAppStateStore } from './store/app-state-store.js';
import { CommandCounter } from './store/command-counter.js';
import { Sweeper } from './store/sweeper.js';
import { StateSync, type StateSyncMetrics } from './sync/state-sync.js';
import { WaitAbortedError, within } from './wait.js';

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
  /**
   * SIGTERM behaviour: announce `fluxnodesigterm` if apps run, store it, shorten own rows, record
   * `shutdownReason: 'sigterm'` in the heartbeat, close.
   */
  shutdown(): Promise<void>;
  /** Closes everything without announcing or recording anything: teardown, or a powercut as peers and the next boot see it. */
  stop(): Promise<void>;
}

/** Inputs a node refused, by kind, summed over the gossip pipeline, peer frames and state sync. */
export interface RejectedInputs {
  /** Signature does not verify (gossip envelope, sync request, sync chunk). */
  forgedSignature: number;
  /** Signer not in the deterministic list (gossip, sync request). */
  unknownSigner: number;
  /** Envelope timestamp beyond futureToleranceMs. */
  futureTimestamp: number;
  /** Envelope or sync request too old (gossip `stale`, sync `stale-request`). */
  staleTimestamp: number;
  /** Not JSON, not a known frame or payload, undecodable sync frame or chunk. */
  malformed: number;
  /** Peer frames over the size limit, sync chunks over syncChunkReceiveMaxMessages. */
  oversized: number;
  /** A message seen before (gossip dedup cache) or a sync request inside its throttle window. */
  replayed: number;
}

export interface NodeStats {
  gossip: GossipPipeline['counts'];
  handlers: GossipHandler['stats'];
  peers: ReturnType<PeerManager['counts']> & PeerManager['stats'] & { connected: string[]; discovery: boolean };
  nodeList: NodeList['stats'] & { ready: boolean; height: number | null; listed: number };
  explorer: { scannedHeight: number; ready: boolean; rollbacks: number };
  sync: StateSyncMetrics;
  hashSync: HashSyncStats & { requests: HashRequestStats };
  orchestrator: OrchestratorSnapshot;
  confirmation: ConfirmationLevels & ConfirmationStats;
  boot: { context: BootContext; settled: boolean; decision: DecidedBoot | null };
  statusMonitor: MonitorStats;
  rejected: RejectedInputs;
  /** Database commands sent, `"<command> <db>.<collection>"` -> count. */
  database: Record<string, number>;
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
  const commands = new CommandCounter();
  const mongo = new MongoClient(config.mongoUri, {
    // The database boots beside the node (a machine powers both on at once) and may answer later.
    serverSelectionTimeoutMS: 30_000,
    appName: config.ip,
    monitorCommands: true,
  });
  commands.attach(mongo);
  await mongo.connect();
  try {
    return await assemble({ ctx, mongo, fixtureSpecs, commands });
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
    overlappingPolls: config.regressions.has('overlapping-polls'),
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

/** The previous run's heartbeat read before this run's first beat overwrites it (§10). */
async function readBoot(ctx: NodeContext, stores: Stores) {
  const { config, clock, logger } = ctx;
  const machineBootId = await readMachineBootId({ env: config.bootIdSource });
  const heartbeat = new Heartbeat({
    localDb: stores.databases.local,
    clock,
    machineBootId,
    intervalMs: config.tunables.heartbeatIntervalMs,
    onError: (error) => logger.warn('heartbeat write failed', { error }),
  });
  const context = readBootContext({
    heartbeat: await heartbeat.read(),
    currentBootId: machineBootId,
    now: clock.now(),
  });
  return { heartbeat, context };
}

/**
 * Gossip in and out, state sync, hash sync, peers, the spawner and the orchestrator: they call each
 * other, so the closures below refer to parts created after them (only called once running).
 */
function createNetworkParts(ctx: NodeContext, stores: Stores, daemon: DaemonParts, fixtureSpecs: StoredSpec[]) {
  const { config, clock, logger, bus } = ctx;
  const { tunables, regressions } = config;
  const { eventLog, locationCache: cache, messages, databases } = stores;
  const { nodeList, explorer } = daemon;
  const identity = { ip: config.ip, privkeyHex: config.privkeyHex, pubkeyHex: config.pubkeyHex };
  const readView = createViewReader({ eventLog, clock, tunables, regressions });
  const onError =
    (what: string) =>
    (error: unknown): void =>
      logger.warn(what, { error });
  const announcer = new Announcer({
    identity,
    clock,
    eventLog,
    cache,
    bus,
    broadcast: (envelope) => peers.broadcast(envelope),
    regressions,
  });
  const hashResponder = new HashRequestResponder({
    identity,
    clock,
    tunables,
    messages,
    sendTo: (peer, frame) => peers.sendTo(peer, frame),
    bus,
  });
  const handler = createGossipHandler({
    clock,
    tunables,
    eventLog,
    cache,
    messages,
    readView,
    bus,
    relay: (envelope, exceptPeer) => peers.broadcast(envelope, { exceptPeer }),
    logger,
    regressions,
    onHashRequest: (input) => hashResponder.handle(input),
  });
  const pipeline = new GossipPipeline({
    clock,
    tunables,
    directory: nodeList,
    handle: (message) => handler.handle(message),
    logger: logger.child({ part: 'gossip' }),
  });
  const stateSync = new StateSync({
    identity,
    clock,
    tunables,
    directory: nodeList,
    eventLog,
    cache,
    messages,
    peers: () => peers,
    bus,
    logger: logger.child({ part: 'sync' }),
    onReadinessCompletion: (syncType) => orchestrator.send({ kind: 'syncComplete', syncType }),
  });
  const hashSync = new HashSync({ identity, clock, tunables, messages, peers: () => peers, bus, regressions });
  const spawner = new Spawner({
    ownIp: config.ip,
    localDb: databases.local,
    clock,
    listedIps: () => nodeList.peers(),
    messages,
    fixtureSpecs,
    announcer,
    bus,
    logger: logger.child({ part: 'spawner' }),
    onInstalled: () => announcements.routine(),
  });
  const confirmation = new ConfirmationPoller({
    client: daemon.client,
    clock,
    tunables,
    isListed: () => nodeList.isListed(config.ip, config.pubkeyHex),
    bus,
    overlappingPolls: regressions.has('overlapping-polls'),
    onEvaluated: ({ levels, previous, actions }) => {
      orchestrator.send({ kind: 'canSendMessages', capable: levels.canSendMessages });
      if (levels.canSendMessages !== previous.canSendMessages) {
        announcements.capabilityChanged(levels.canSendMessages);
      }
      if (levels.confirmed && !previous.confirmed) peers.setDiscovery(true);
      for (const action of actions) {
        if (action.kind === 'dropPeers') peers.setDiscovery(false);
        else void spawner.removeAll().catch(onError('removing apps failed'));
      }
    },
    onError: onError('confirmation poll failed'),
  });
  const announcements = new AppAnnouncements({
    tunables,
    regressions,
    canSendMessages: () => confirmation.levels.canSendMessages,
    announce: (request) => spawner.announce(request),
    onError: onError('apprunning broadcast failed'),
  });
  const orchestrator = new OrchestratorRuntime({
    config: { tunables, regressions },
    bus,
    logger: logger.child({ part: 'orchestrator' }),
    handlers: {
      announceApps: () => announcements.peersReady(),
      requestSyncs: () => void stateSync.requestSyncs(),
      runHashSync: (attempt) => hashSync.run({ attempt, height: explorer.scannedHeight }),
      // The permanent messages are this node's app DB: nothing to reindex.
      rebuildDb: async () => {},
      degraded: () => stateSync.receiver.resetSyncState(),
    },
  });
  const peers: PeerManager = new PeerManager({
    identity,
    directory: nodeList,
    clock,
    tunables,
    bus,
    logger: logger.child({ part: 'peers' }),
    onBroadcast: (envelope, fromPeer) => pipeline.receive(envelope, fromPeer),
    onSyncRequest: (input) => stateSync.handleRequestFrame(input),
    onSyncResponse: (input) => stateSync.handleResponseFrame(input),
    regressions,
  });
  const hashRetry = new HashRetryOnBlocks({
    hashSync,
    messages,
    hashSyncDone: () => orchestrator.snapshot.hashSync === 'done',
    nextAttempt: () => hashSync.stats.runs + 1,
    logger: logger.child({ part: 'hash-sync' }),
  });
  // §4.1 eviction: cache IPs the deterministic list dropped are probed and evicted unless CONFIRMED.
  const statusMonitor = new NodeStatusMonitor({
    tunables,
    isListedIp: (ip) => nodeList.peers().includes(ip),
    cache,
    eventLog,
    onError: onError('node status monitor failed'),
  });
  return {
    peers,
    announcer,
    announcements,
    handler,
    pipeline,
    spawner,
    readView,
    stateSync,
    hashSync,
    hashRetry,
    hashResponder,
    confirmation,
    orchestrator,
    statusMonitor,
  };
}

type NetworkParts = ReturnType<typeof createNetworkParts>;

interface BootState {
  context: BootContext;
  settled: boolean;
  decision: DecidedBoot | null;
}

function rejectedInputs(network: NetworkParts): RejectedInputs {
  const gossip = network.pipeline.counts;
  const peers = network.peers.stats;
  const { responder, receiver } = network.stateSync.metrics;
  return {
    forgedSignature: gossip['bad-signature'] + responder.rejected['bad-signature'] + receiver.rejected['bad-signature'],
    unknownSigner: gossip.unlisted + responder.rejected.unlisted,
    futureTimestamp: gossip.future,
    staleTimestamp: gossip.stale + responder.rejected['stale-request'],
    malformed: gossip.malformed + peers.framesRejected + responder.rejected.malformed + receiver.rejected.malformed,
    oversized: peers.framesOversized + receiver.rejected['too-large'],
    replayed: gossip.duplicate + responder.rejected.throttled,
  };
}

function createApi(
  ctx: NodeContext,
  parts: { stores: Stores; daemon: DaemonParts; network: NetworkParts; boot: BootState; commands: CommandCounter },
) {
  const { config, bus, logger } = ctx;
  const { stores, daemon, network, boot, commands } = parts;
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
    peers: { ...peers.counts(), ...peers.stats, connected: peers.connectedPeers(), discovery: peers.discovery },
    nodeList: {
      ...nodeList.stats,
      ready: nodeList.ready,
      height: nodeList.tip?.height ?? null,
      listed: nodeList.peers().length,
    },
    explorer: { scannedHeight: explorer.scannedHeight, ready: explorer.ready, rollbacks: explorer.rollbacks },
    sync: network.stateSync.metrics,
    hashSync: { ...network.hashSync.stats, requests: network.hashResponder.stats },
    orchestrator: network.orchestrator.snapshot,
    confirmation: { ...network.confirmation.levels, ...network.confirmation.stats },
    boot: { ...boot },
    statusMonitor: network.statusMonitor.stats,
    rejected: rejectedInputs(network),
    database: commands.counts,
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

/**
 * manageAppsOnBoot (§10): the gates, each bounded by its boot wait, then the decision applied
 * through the spawner; `boot:settled` in any case, after which placement and the first apprunning
 * broadcast may run.
 */
function runBoot({
  ctx,
  stores,
  daemon,
  network,
  boot,
  signal,
}: {
  ctx: NodeContext;
  stores: Stores;
  daemon: DaemonParts;
  network: NetworkParts;
  boot: BootState;
  signal: AbortSignal;
}): Promise<void> {
  const { config, clock, bus, logger } = ctx;
  const { tunables } = config;
  const { spawner, confirmation, orchestrator, announcements } = network;
  return runBootSequence({
    context: boot.context,
    ownApps: async () => (await spawner.installed()).map((app) => app.name),
    clock,
    tunables,
    gates: {
      daemonReady: () =>
        within(daemon.nodeList.whenReady(), { what: 'daemonReady', timeoutMs: tunables.bootDaemonWaitMs, signal }),
      confirmation: async () => {
        const answered = await within(confirmation.whenConfirmed(), {
          what: 'confirmation',
          timeoutMs: tunables.bootDaemonWaitMs,
          signal,
        });
        return { confirmed: answered && confirmation.levels.confirmed, dos: confirmation.dos };
      },
      dbReady: () =>
        within(orchestrator.whenDbReady(), { what: 'dbReady', timeoutMs: tunables.bootDbReadyWaitMs, signal }),
      cacheRowsForMe: async () =>
        (await stores.locationCache.rows({ ip: config.ip })).map(({ name, expireAt }) => ({ name, expireAt })),
    },
    apply: async (decision) => {
      boot.decision = decision;
      logger.info('boot decision', { step: decision.step, apps: decision.apps });
      for (const app of decision.apps) {
        if (signal.aborted) return;
        if (app.action === 'remove') await spawner.removeApp(app.name, { broadcast: app.broadcast });
        else if (app.action === 'resume') spawner.resume(app.name);
      }
    },
    settle: () => {
      if (signal.aborted) return;
      boot.settled = true;
      bus.publish('boot:settled', {});
      announcements.settleBoot();
      void spawner.startPlacing().catch((error: unknown) => logger.warn('placement failed', { error }));
    },
  }).then(
    () => undefined,
    (error: unknown) => {
      if (!(error instanceof WaitAbortedError)) logger.error('boot sequence failed', { error });
    },
  );
}

async function assemble({
  ctx,
  mongo,
  fixtureSpecs,
  commands,
}: {
  ctx: NodeContext;
  mongo: MongoClient;
  fixtureSpecs: StoredSpec[];
  commands: CommandCounter;
}): Promise<ReferenceNode> {
  const { config, logger, bus } = ctx;
  const stores = await openStores(ctx, mongo);
  const daemon = createDaemonParts(ctx, stores.databases.chain);
  const network = createNetworkParts(ctx, stores, daemon, fixtureSpecs);
  const { heartbeat, context } = await readBoot(ctx, stores);
  const boot: BootState = { context, settled: false, decision: null };
  const api = createApi(ctx, { stores, daemon, network, boot, commands });
  const { nodeList, explorer } = daemon;
  const { peers, spawner, announcer, pipeline, orchestrator, confirmation, announcements, statusMonitor } = network;

  // The machine rebooted: containers do not restart by themselves, boot decides about each app.
  if (context.machineRebooted) await spawner.markAllStopped();
  orchestrator.send({ kind: 'start', bootContext: context });
  await heartbeat.start();
  await listen(api.server, config.apiHost, config.apiPort);
  const url = serverUrl(api.server);
  const bootAbort = new AbortController();
  try {
    for (const sweeper of stores.sweepers) sweeper.start();
    await spawner.start();
    nodeList.start();
    await explorer.start();
  } catch (error) {
    nodeList.stop();
    for (const sweeper of stores.sweepers) await sweeper.stop();
    await heartbeat.stop();
    await closeServer(api.server);
    throw error;
  }
  confirmation.start();
  announcements.start();
  let closing: Promise<void> | undefined;
  const offs = [
    explorer.hashesFound.on(async (found) => {
      const hashes = found.map((row) => row.hash);
      await stores.messages.onHashesFound(hashes);
      const unresolved = new Set(await stores.messages.missingHashes());
      if (hashes.some((hash) => unresolved.has(hash))) network.hashRetry.hashesChanged();
    }),
    explorer.atTip.on(({ height }) => {
      orchestrator.send({ kind: 'blocksProcessed', height });
      void network.hashRetry.onBlock(height);
    }),
    stores.messages.specStored.on(() => spawner.reconcile()),
    nodeList.listChanged.on(() => {
      if (nodeList.ready) void spawner.reconcile();
    }),
    peers.peerCount.on((count) => orchestrator.send({ kind: 'peerCount', count })),
  ];
  // Peers and placement need the deterministic list: start them once the daemon answered.
  void nodeList
    .whenReady()
    .then(() => {
      if (closing) return;
      orchestrator.send({ kind: 'nodeListLoaded' });
      peers.start();
      statusMonitor.start();
      // A boot that settled before the list loaded (step 2 decides at once) found nothing to place.
      void spawner.reconcile().catch((error: unknown) => logger.warn('placement failed', { error }));
    })
    .catch((error: unknown) => logger.error('boot after daemon ready failed', { error }));
  const booting = runBoot({ ctx, stores, daemon, network, boot, signal: bootAbort.signal });
  logger.info('node started', { url, epoch: bus.epoch, ip: config.ip, bootContext: context });

  const close = async ({ announce }: { announce: boolean }): Promise<void> => {
    bootAbort.abort();
    for (const off of offs) off();
    orchestrator.stop();
    confirmation.stop();
    announcements.stop();
    network.hashSync.stop();
    network.hashResponder.stop();
    await booting;
    await statusMonitor.stop();
    await spawner.stop();
    if (announce && (await spawner.running()).length > 0) {
      const { peers: reached, shortened } = await announcer.announceSigterm();
      logger.info('sigterm announced', { peers: reached, shortenedRows: shortened });
    }
    if (announce) await heartbeat.markShutdown('sigterm');
    await pipeline.stop();
    await peers.stop();
    api.eventStream?.closeAll();
    await closeServer(api.server);
    await explorer.stop();
    nodeList.stop();
    for (const sweeper of stores.sweepers) await sweeper.stop();
    await heartbeat.stop();
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

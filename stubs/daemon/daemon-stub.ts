import type { OutPoint } from '../../protocol/fluxd/index.js';
import type { Block } from './block.js';
import { writeConfs } from './conf-out.js';
import { ControlServer } from './control-server.js';
import { DaemonCore } from './daemon-core.js';
import { TipNotifier } from './notifier.js';
import { RpcServer } from './rpc-server.js';
import { type DaemonStubOptions, type ResolvedStubOptions, resolveStubOptions } from './stub-options.js';
import { Ticker } from './ticker.js';
import type { MineTarget, ViewSet } from './views.js';
import { ZmqPublisher } from './zmq-publisher.js';

/**
 * startDaemonStub: the fluxd daemon stub assembled. One view per node, each with its own RPC
 * port (rpcPort + i − 1, or ephemeral) and ZMQ PUB endpoint (tcp://bindHost:(zmqPort + i − 1),
 * or ephemeral), one control port, an optional ticker, and flux-<i>.conf files.
 */

export interface ViewEndpoint {
  view: number;
  rpcPort: number;
  rpcUrl: string;
  zmqEndpoint: string;
  /** Outpoint key of the fluxnode this view runs as, if any. */
  ownNode?: string;
}

export interface DaemonStubHandle {
  readonly options: ResolvedStubOptions;
  readonly views: readonly ViewEndpoint[];
  readonly controlPort: number | null;
  readonly controlUrl: string | null;
  readonly core: DaemonCore;
  /** The current simulated network (a new one after a control reset). */
  readonly chain: ViewSet;
  readonly confFiles: readonly string[];
  mine(options?: { blocks?: number } & MineTarget): Block[];
  /** Resolves once every frame published so far has been handed to its socket. */
  flush(): Promise<void>;
  /**
   * Resolves once view `view`'s socket has at least `count` (default 1) subscriptions, so no
   * frame published afterwards is lost to ZMQ's slow-joiner window. Rejects after `timeoutMs`.
   */
  waitForSubscriber(view: number, options?: { count?: number; timeoutMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface StubRuntime {
  /** One line per mined block and per failure; silent by default. */
  log?: (line: string) => void;
}

export async function startDaemonStub(
  input: DaemonStubOptions = {},
  runtime: StubRuntime = {},
): Promise<DaemonStubHandle> {
  const options = resolveStubOptions(input);
  const log = runtime.log ?? (() => {});
  const publishers: ZmqPublisher[] = [];
  const core = new DaemonCore(
    {
      views: options.views,
      seed: options.seed,
      fluxnodes: options.fluxnodes,
      ...(options.manifest ? { manifest: options.manifest } : {}),
      churn: options.churn,
      genesisTime: options.genesisTime,
      recorder: { updateOfAdded: options.deltaUpdateOfAdded },
      onMined: (block: Block) => log(blockLine(block)),
    },
    { onReset: (sim) => attachPublishers(sim, core, publishers) },
  );
  const closers: (() => Promise<void>)[] = [];
  try {
    for (const view of core.sim.views) {
      const publisher = new ZmqPublisher({
        endpoint: `tcp://${options.bindHost}:${options.zmqPort === 0 ? 0 : options.zmqPort + view.index - 1}`,
        onSendError: (error) => log(`view ${view.index}: zmq send failed: ${error.message}`),
      });
      closers.push(() => publisher.close());
      await publisher.bind();
      publishers.push(publisher);
    }
    attachPublishers(core.sim, core, publishers);
    const rpcServers = await startRpcServers(options, core, closers);
    const ticker = new Ticker({ onTick: (tick) => runTick(core, options, tick, log) });
    closers.push(async () => ticker.stop());
    const control =
      options.controlPort === null
        ? null
        : new ControlServer({
            host: options.bindHost,
            port: options.controlPort,
            core,
            ticker,
            defaultIntervalMs: options.blockIntervalMs || 1000,
          });
    if (control) {
      closers.push(() => control.close());
      await control.listen();
    }
    const views = core.sim.views.map((view, i): ViewEndpoint => {
      const rpcPort = rpcServers[i]!.port;
      return {
        view: view.index,
        rpcPort,
        rpcUrl: `http://${urlHost(options.bindHost)}:${rpcPort}/`,
        zmqEndpoint: publishers[i]!.endpoint,
        ...(view.ownNodeKey === undefined ? {} : { ownNode: view.ownNodeKey }),
      };
    });
    const confFiles = options.confOut
      ? await writeConfs({
          dir: options.confOut,
          rpcUser: options.rpcUser,
          rpcPassword: options.rpcPassword,
          bindHost: options.bindHost,
          views: views.map((view) => ({
            index: view.view,
            rpcPort: view.rpcPort,
            zmqEndpoint: view.zmqEndpoint,
            ...ownOutpoint(core, view.view),
          })),
        })
      : [];
    if (options.blockIntervalMs > 0) ticker.start(options.blockIntervalMs);
    let stopped = false;
    return {
      options,
      views,
      controlPort: control?.port ?? null,
      controlUrl: control ? `http://${urlHost(options.bindHost)}:${control.port}/` : null,
      core,
      get chain() {
        return core.sim;
      },
      confFiles,
      mine: (target = {}) => core.mine({ ...target, blocks: target.blocks ?? 1 }),
      waitForSubscriber: (view, wait = {}) => {
        const publisher = publishers[core.sim.view(view).index - 1]!;
        return publisher.waitForSubscriptions(wait.count ?? 1, wait.timeoutMs ?? 10_000);
      },
      flush: async () => {
        await Promise.all(publishers.map((publisher) => publisher.flush()));
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await closeAll(closers);
      },
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

/** Wires each view's tip events through its notifier to its socket (again after a reset). */
function attachPublishers(sim: ViewSet, core: DaemonCore, publishers: readonly ZmqPublisher[]): void {
  for (const view of sim.views) {
    const publisher = publishers[view.index - 1];
    if (!publisher) continue;
    const own = view.ownNodeKey === undefined ? undefined : sim.registry.get(view.ownNodeKey)?.identity.outpoint;
    const notifier = new TipNotifier({
      view,
      ...(own ? { ownOutpoint: own } : {}),
      isInitialBlockDownload: () => core.faults(view.index).ibd,
    });
    view.onEvent((event) => {
      const messages = notifier.messagesFor(event);
      if (!core.faults(view.index).zmqSilent) publisher.publish(messages);
    });
  }
}

async function startRpcServers(
  options: ResolvedStubOptions,
  core: DaemonCore,
  closers: (() => Promise<void>)[],
): Promise<RpcServer[]> {
  const servers: RpcServer[] = [];
  for (const view of core.sim.views) {
    const server = new RpcServer({
      view: view.index,
      host: options.bindHost,
      port: options.rpcPort === 0 ? 0 : options.rpcPort + view.index - 1,
      user: options.rpcUser,
      password: options.rpcPassword,
      context: () => core.rpcContext(view.index),
      failure: () => core.faults(view.index).rpc,
      journal: core.journal,
    });
    await server.listen();
    closers.push(() => server.close());
    servers.push(server);
  }
  return servers;
}

function runTick(core: DaemonCore, options: ResolvedStubOptions, tick: number, log: (line: string) => void): void {
  try {
    core.mine({ blocks: 1 });
    if (options.reorgEvery > 0 && tick % options.reorgEvery === 0) core.randomReorg();
  } catch (error) {
    log(`tick ${tick} failed: ${(error as Error).message}`);
  }
}

function ownOutpoint(core: DaemonCore, view: number): { ownOutpoint?: OutPoint } {
  const key = core.sim.view(view).ownNodeKey;
  const outpoint = key === undefined ? undefined : core.sim.registry.get(key)?.identity.outpoint;
  return outpoint ? { ownOutpoint: outpoint } : {};
}

function blockLine(block: Block): string {
  const apps = block.txs.filter((tx) => tx.kind === 'app-message').length;
  return `block ${block.height} ${block.hash} txs=${block.txs.length} app-messages=${apps} parent=${block.parentHash.slice(0, 16)}`;
}

/** Where a client on this machine connects when the stub binds every interface. */
function urlHost(bindHost: string): string {
  if (bindHost === '0.0.0.0') return '127.0.0.1';
  return bindHost.includes(':') ? `[${bindHost}]` : bindHost;
}

async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers.splice(0).reverse()) {
    await close().catch(() => {});
  }
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TunableOverrides } from '../../reference-node/tunables.js';
import { ensureImages, type ImageSet } from '../images/ensure-images.js';
import { History } from '../observe/history.js';
import { SseObserver } from '../observe/sse-observer.js';
import { type WaitForOptions, waitForEvent } from '../observe/wait-for.js';
import { writeReport } from '../report/html-report.js';
import { ContainerBuilder, type StartedContainer } from './container.js';
import { DaemonControl } from './daemon-control.js';
import { newRunId, runLabels } from './labels.js';
import { Machine } from './machine.js';
import { DEFAULT_TIME_SCALE, daemonCommand, daemonManifest, NODE_COMMAND, nodeEnvironment } from './machine-config.js';
import { sweepOrphans } from './orphans.js';
import { createRunNetwork, type RunSubnet } from './subnet.js';
import { sweep } from './sweep.js';
import { type AddressPlan, addressPlan, DAEMON_CONTROL_PORT } from './topology.js';
import { HttpWait } from './wait-strategies.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface NodeOverride {
  env?: Record<string, string>;
  /** Field-bug toggles for this node (FLUXNET_REGRESSIONS). */
  regressions?: string[];
}

export interface CreateNetworkOptions {
  /** Names the run (suite or scenario): prefixes the run id and labels the history. */
  name?: string;
  /** Machines in the network, 1..16 (the fixture keys). */
  nodes?: number;
  /** Machines created but not started; start them with `startDeferred(i)`. */
  deferred?: number[];
  /** Node time scale (0.01 = 100× faster) and tunable overrides, passed to every node. */
  timeScale?: number;
  tunables?: TunableOverrides;
  nodeOverrides?: Record<number, NodeOverride>;
  seed?: number;
  /** The image of the system under test (node contract); the reference node by default. */
  nodeImage?: string;
  nodeCommand?: string[];
  /** Run nodes under libfaketime so the clock nemesis can skew them (costs CPU; off by default). */
  clockFaults?: boolean;
  /** Daemon auto-mining interval; 0 = blocks only on control calls. */
  blockIntervalMs?: number;
  runId?: string;
  runsDir?: string;
  startupTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface FluxNetwork {
  readonly runId: string;
  readonly runDir: string;
  /** The run's Docker bridge network. */
  readonly networkName: string;
  readonly subnet: RunSubnet;
  readonly plan: AddressPlan;
  readonly images: ImageSet;
  /** The nodes' time scale: every duration tunable is multiplied by it (0.01 = 100× faster). */
  readonly timeScale: number;
  readonly history: History;
  readonly daemon: DaemonControl;
  readonly machines: readonly Machine[];
  node(index: number): Machine;
  /** Machines whose node container is meant to be up (not deferred, not powered off by a fault). */
  liveIndexes(): number[];
  setLive(index: number, live: boolean): void;
  startDeferred(index: number): Promise<void>;
  waitFor(options: Omit<WaitForOptions, 'nodes'> & { nodes?: readonly number[] }): ReturnType<typeof waitForEvent>;
  teardown(): Promise<void>;
}

export async function createNetwork(options: CreateNetworkOptions = {}): Promise<FluxNetwork> {
  const size = options.nodes ?? 16;
  if (!Number.isInteger(size) || size < 1 || size > 16) {
    throw new Error(`createNetwork: nodes must be 1..16 (the fixture keys), got ${size}`);
  }
  const runId = options.runId ?? newRunId(options.name);
  const runDir = join(options.runsDir ?? join(REPO_ROOT, 'runs'), runId);
  mkdirSync(runDir, { recursive: true });
  const log = progressLog(options.log ?? ((line) => process.stdout.write(`${line}\n`)));
  const history = new History({ jsonlPath: join(runDir, 'history.jsonl') });
  history.append({
    kind: 'action',
    op: 'run-started',
    detail: { name: options.name ?? runId, size, seed: options.seed },
  });

  const images = await ensureImages({ log: (line) => log(`images: ${line}`) });
  const swept = await sweepOrphans();
  if (swept.containers + swept.networks > 0) log(`swept ${swept.containers} containers of dead runs`);
  for (const failure of swept.failures) log(`warning: could not remove a leftover ${failure}`);
  const networkName = `fluxnet-${runId}`;
  const subnet = await createRunNetwork({ name: networkName, labels: runLabels({ runId, role: 'network' }) });
  const plan = addressPlan(subnet);
  log(`network ${networkName} ${subnet.subnet} (database: ${images.dbKind})`);

  const cleanup = new Teardown({ runId, runDir, history, log });
  try {
    // The daemon boots beside the machines: nodes wait for it behind their daemonReady gate.
    const daemonStarted = startDaemon({ options, size, runId, runDir, plan, networkName, images, history }).then(
      (started) => {
        log(`daemon stub ${plan.daemon} (${size} views)`);
        return started;
      },
    );
    const machines = Array.from({ length: size }, (_, i) =>
      createMachine({ index: i + 1, options, runId, runDir, plan, networkName, images, history }),
    );
    const observers = new Map<number, SseObserver>();
    const live = new Set<number>();
    const observe = (machine: Machine) => {
      observers.get(machine.index)?.close();
      observers.set(
        machine.index,
        new SseObserver({
          node: machine.index,
          url: `${machine.apiUrl}/flux/eventstream`,
          history,
        }),
      );
    };
    cleanup.onTeardown(async () => {
      for (const observer of observers.values()) observer.close();
      await Promise.all(
        machines.map((machine) =>
          Promise.all([machine.saveLogs(join(runDir, 'logs')), machine.saveStats(join(runDir, 'stats'))]),
        ),
      );
      await Promise.all(machines.map((machine) => machine.close()));
    });

    const deferred = new Set(options.deferred ?? []);
    const startMachine = async (machine: Machine) => {
      await machine.start().catch(async (error: Error) => {
        const tail = (await machine.logs().catch(() => ({ node: '', db: '' }))).node.split('\n').slice(-15);
        throw new Error(
          `node ${machine.index} did not start: ${error.message}\nlast node log lines:\n${tail.join('\n')}`,
        );
      });
      live.add(machine.index);
      observe(machine);
      log(`node ${machine.index} ready at ${machine.listedIp}`);
    };
    const [daemon] = await Promise.all([
      daemonStarted,
      ...machines.filter((m) => !deferred.has(m.index)).map(startMachine),
    ]);
    log(`${live.size} nodes ready${deferred.size ? `, ${deferred.size} deferred` : ''}`);

    const node = (index: number) => {
      const machine = machines[index - 1];
      if (!machine) throw new Error(`node ${index}: the network has nodes 1..${size}`);
      return machine;
    };
    return {
      runId,
      runDir,
      networkName,
      subnet,
      plan,
      images,
      timeScale: options.timeScale ?? DEFAULT_TIME_SCALE,
      history,
      daemon,
      machines,
      node,
      liveIndexes: () => [...live].sort((a, b) => a - b),
      setLive: (index, isLive) => {
        if (isLive) live.add(index);
        else live.delete(index);
      },
      startDeferred: (index) => startMachine(node(index)),
      waitFor: (waitOptions) => waitForEvent(history, { ...waitOptions, nodes: waitOptions.nodes ?? [...live] }),
      teardown: () => cleanup.run(),
    };
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

function progressLog(write: (line: string) => void): (line: string) => void {
  const started = Date.now();
  return (line) => write(`[fluxnet +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
}

async function startDaemon(args: {
  options: CreateNetworkOptions;
  size: number;
  runId: string;
  runDir: string;
  plan: AddressPlan;
  networkName: string;
  images: ImageSet;
  history: History;
}): Promise<DaemonControl> {
  const { options, size, runId, runDir, plan, networkName, images, history } = args;
  const daemonDir = join(runDir, 'daemon');
  mkdirSync(daemonDir, { recursive: true });
  const manifest = daemonManifest({ size, plan });
  writeFileSync(join(daemonDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const container: StartedContainer = await new ContainerBuilder(images.node)
    .withName(`fluxnet-${runId}-daemon`)
    .withAddress({ network: networkName, ip: plan.daemon })
    .withLabels(runLabels({ runId, role: 'daemon' }))
    .withBind(`${daemonDir}:/fluxnet`)
    .withCommand(daemonCommand({ size, seed: options.seed ?? 1, blockIntervalMs: options.blockIntervalMs ?? 0 }))
    .withWaitStrategy(new HttpWait({ port: DAEMON_CONTROL_PORT, path: '/state' }))
    .withStartupTimeout(options.startupTimeoutMs ?? 60_000)
    .start();
  history.append({ kind: 'action', op: 'daemon-started', detail: { ip: container.ip } });
  return new DaemonControl({ baseUrl: `http://${plan.daemon}:${DAEMON_CONTROL_PORT}`, history });
}

function createMachine(args: {
  index: number;
  options: CreateNetworkOptions;
  runId: string;
  runDir: string;
  plan: AddressPlan;
  networkName: string;
  images: ImageSet;
  history: History;
}): Machine {
  const { index, options, runId, runDir, plan, networkName, images, history } = args;
  const override = options.nodeOverrides?.[index] ?? {};
  const env = nodeEnvironment({
    index,
    plan,
    size: options.nodes ?? 16,
    timeScale: options.timeScale,
    tunables: options.tunables,
    regressions: override.regressions,
    env: override.env,
  });
  return new Machine({
    index,
    network: networkName,
    nodeIp: plan.node(index),
    dbIp: plan.db(index),
    nodeImage: options.nodeImage ?? images.node,
    nodeCommand: options.nodeCommand ?? NODE_COMMAND,
    dbImage: images.db,
    env,
    labels: (role) => runLabels({ runId, role, machine: index }),
    hostDir: join(runDir, 'machines', String(index)),
    clockFaults: options.clockFaults ?? false,
    namePrefix: `fluxnet-${runId}`,
    startupTimeoutMs: options.startupTimeoutMs ?? 90_000,
    history,
  });
}

/** Runs once: on teardown(), on a failed bring-up, and on SIGINT/SIGTERM of the harness. */
class Teardown {
  readonly #steps: (() => Promise<void>)[] = [];
  #done: Promise<void> | undefined;
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.args.log(`${signal}: tearing down run ${this.args.runId}`);
    // A bring-up may have Docker calls in flight when the signal lands; a second sweep after the
    // first removes whatever they created meanwhile.
    void this.run()
      .then(() => sweep({ runId: this.args.runId }))
      .finally(() => process.kill(process.pid, signal));
  };

  constructor(private readonly args: { runId: string; runDir: string; history: History; log: (line: string) => void }) {
    process.once('SIGINT', this.#onSignal);
    process.once('SIGTERM', this.#onSignal);
  }

  onTeardown(step: () => Promise<void>): void {
    this.#steps.push(step);
  }

  run(): Promise<void> {
    this.#done ??= (async () => {
      process.off('SIGINT', this.#onSignal);
      process.off('SIGTERM', this.#onSignal);
      for (const step of this.#steps) await step().catch(() => undefined);
      await sweep({ runId: this.args.runId });
      this.args.history.append({ kind: 'action', op: 'teardown' });
      await this.args.history.close();
      this.#writeReport();
    })();
    return this.#done;
  }

  /** The run report is written from the closed history file; a failure to write it fails nothing. */
  #writeReport(): void {
    try {
      this.args.log(`report: ${writeReport({ runDir: this.args.runDir })}`);
    } catch (error) {
      this.args.log(`report not written: ${(error as Error).message}`);
    }
  }
}

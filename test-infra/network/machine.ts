import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type Docker from 'dockerode';
import { MongoClient } from 'mongodb';
import type { History } from '../observe/history.js';
import { ContainerBuilder, type StartedContainer } from './container.js';
import { DB_PORT, NODE_API_PORT } from './topology.js';
import { HttpWait, PortWait } from './wait-strategies.js';

/** Inside every node container: the harness-controlled files (boot id, clock offset). */
export const MACHINE_DIR_IN_CONTAINER = '/fluxnet';
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

export interface MachineSpec {
  index: number;
  network: string;
  nodeIp: string;
  dbIp: string;
  nodeImage: string;
  nodeCommand: string[];
  dbImage: string;
  env: Record<string, string>;
  labels: (role: string) => Record<string, string>;
  hostDir: string;
  /**
   * Run the node under libfaketime so its wall clock can be skewed at run time. Off by default:
   * with FAKETIME_NO_CACHE every Date.now() reads the offset file (measured ~24 µs a call, 100×
   * the real cost), which slows a whole 16-node network; suites with clock faults turn it on.
   */
  clockFaults: boolean;
  namePrefix: string;
  startupTimeoutMs: number;
  history: History;
}

export interface ExecSession {
  stdin: Writable;
  /** stdout and stderr, interleaved as they arrive. */
  output: Readable;
  ended: Promise<void>;
  close(): void;
}

export interface LogLines {
  node: string;
  db: string;
}

/**
 * A machine: one node container and its database container, sharing a host folder that holds the
 * boot id and the libfaketime offset. Every operation is recorded in the run history.
 */
export class Machine {
  readonly index: number;
  readonly ip: string;
  readonly dbIp: string;
  readonly apiUrl: string;
  /** The node's identity in the deterministic list, `ip:port`. */
  readonly listedIp: string;
  #node: StartedContainer | undefined;
  #db: StartedContainer | undefined;
  #bootId = '';
  #mongo: MongoClient | undefined;

  constructor(private readonly spec: MachineSpec) {
    this.index = spec.index;
    this.ip = spec.nodeIp;
    this.dbIp = spec.dbIp;
    this.apiUrl = `http://${spec.nodeIp}:${NODE_API_PORT}`;
    this.listedIp = `${spec.nodeIp}:${NODE_API_PORT}`;
    mkdirSync(spec.hostDir, { recursive: true });
    this.setClockOffset(0);
  }

  /** The node container exists: false for a deferred machine until it is started. */
  get created(): boolean {
    return this.#node !== undefined;
  }

  get bootId(): string {
    return this.#bootId;
  }

  get mongoUri(): string {
    return `mongodb://${this.dbIp}:${DB_PORT}/?directConnection=true`;
  }

  /**
   * Creates and starts both containers with a fresh boot id, side by side (the node waits for its
   * database itself, as it does on a real machine); resolves when both answer.
   */
  async start(): Promise<void> {
    this.#newBootId();
    const startDb = async (): Promise<void> => {
      this.#db = await this.#dbBuilder().start();
    };
    const startNode = async (): Promise<void> => {
      const builder = this.#nodeBuilder();
      this.#node = await builder.create();
      await this.#node.container.start();
      await builder.waitUntilReady(this.#node);
    };
    await Promise.all([startDb(), startNode()]);
    this.#record('start');
  }

  /** Graceful shutdown: SIGTERM, then SIGKILL after `timeoutS`. */
  async sigterm(options: { timeoutS?: number } = {}): Promise<void> {
    this.#record('sigterm', { timeoutS: options.timeoutS ?? 15 });
    await this.#nodeContainer()
      .stop({ t: options.timeoutS ?? 15 })
      .catch(ignoreNotRunning);
  }

  /** Starts a stopped node again (same boot id: the machine did not reboot). */
  async startNode(): Promise<void> {
    await this.#nodeContainer().start();
    await this.#nodeBuilder().waitUntilReady(this.#node!);
    this.#record('node-started');
  }

  /** Crash: SIGKILL of the node process only; the database survives. */
  async crash(): Promise<void> {
    this.#record('crash');
    await this.#nodeContainer().kill({ signal: 'SIGKILL' }).catch(ignoreNotRunning);
  }

  /**
   * Power cut: SIGKILL node and database together, stay down for `downtimeMs` (the fault's own
   * duration), then boot again with a new boot id and wait until the node answers.
   */
  async powercut(options: { downtimeMs?: number; boot?: boolean } = {}): Promise<void> {
    this.#record('powercut', { downtimeMs: options.downtimeMs ?? 0 });
    await this.#closeMongo();
    await Promise.all([
      this.#nodeContainer().kill({ signal: 'SIGKILL' }).catch(ignoreNotRunning),
      this.#dbContainer().kill({ signal: 'SIGKILL' }).catch(ignoreNotRunning),
    ]);
    if (options.boot === false) return;
    if (options.downtimeMs) await delay(options.downtimeMs);
    await this.boot();
  }

  /** Boots a powered-off machine: new boot id, database and node powered on together. */
  async boot(): Promise<void> {
    this.#newBootId();
    const startDb = async (): Promise<void> => {
      await this.#dbContainer().start();
      await this.#dbBuilder().waitUntilReady(this.#db!);
    };
    await Promise.all([startDb(), this.startNode()]);
    this.#record('booted', { bootId: this.#bootId });
  }

  async restart(): Promise<void> {
    this.#record('restart');
    await this.#nodeContainer().restart({ t: 15 });
    await this.#nodeBuilder().waitUntilReady(this.#node!);
  }

  async pause(): Promise<void> {
    this.#record('pause');
    await this.#nodeContainer().pause();
  }

  async unpause(): Promise<void> {
    this.#record('unpause');
    await this.#nodeContainer().unpause();
  }

  /** libfaketime offset of the node's wall clock, read on every time call (monotonic time stays real). */
  setClockOffset(offsetMs: number): void {
    if (offsetMs !== 0 && !this.spec.clockFaults) {
      throw new Error(
        `machine ${this.index}: clock faults are off for this network (createNetwork({ clockFaults: true }))`,
      );
    }
    const seconds = offsetMs / 1000;
    // Write then rename: libfaketime re-reads the file on every call and must never see it half-written.
    const path = join(this.spec.hostDir, 'faketime');
    writeFileSync(`${path}.next`, `${seconds >= 0 ? '+' : ''}${seconds}s\n`);
    renameSync(`${path}.next`, path);
    if (offsetMs !== 0 || this.#node) this.#record('clock', { offsetMs });
  }

  async exec(cmd: string[]): Promise<{ exitCode: number; output: string }> {
    return this.#exec({ cmd });
  }

  /** Runs `cmd` in the node container with `input` on its stdin, closed after the input (iptables-restore). */
  async execWithInput(args: { cmd: readonly string[]; input: string }): Promise<{ exitCode: number; output: string }> {
    return this.#exec(args);
  }

  /**
   * A long-lived process in the node container: its stdin to write, its stdout and stderr as they
   * arrive. `ended` resolves when the process is gone (it exited, or the container stopped).
   */
  async openExecSession(cmd: readonly string[]): Promise<ExecSession> {
    const exec = await this.#nodeContainer().exec({
      Cmd: [...cmd],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: true });
    const output = new PassThrough({ encoding: 'utf8' });
    stream.on(
      'data',
      createDemuxer((text) => output.write(text)),
    );
    const ended = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    }).then(() => {
      output.end();
    });
    return { stdin: stream, output, ended, close: () => stream.destroy() };
  }

  async #exec(args: { cmd: readonly string[]; input?: string }): Promise<{ exitCode: number; output: string }> {
    const withInput = args.input !== undefined;
    const exec = await this.#nodeContainer().exec({
      Cmd: [...args.cmd],
      AttachStdin: withInput,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: withInput });
    const output = collectDemuxed(stream);
    // Half-closing the hijacked connection closes the process's stdin; its output keeps flowing.
    if (args.input !== undefined) stream.end(args.input);
    const { stdout, stderr } = await output;
    const { ExitCode } = await exec.inspect();
    return { exitCode: ExitCode ?? -1, output: stdout + stderr };
  }

  async logs(): Promise<LogLines> {
    const read = async (container: Docker.Container | undefined) => {
      if (!container) return '';
      const buffer = (await container.logs({ stdout: true, stderr: true, timestamps: true })) as unknown as Buffer;
      const { stdout, stderr } = demux(buffer);
      return stdout + stderr;
    };
    return { node: await read(this.#node?.container), db: await read(this.#db?.container) };
  }

  /** GET on the node's API, unwrapping FluxOS's `{status, data}` envelope; errors name the node and route. */
  async apiGet<T>(path: string): Promise<T> {
    const response = await fetch(`${this.apiUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json().catch(() => undefined)) as { status?: string; data?: T } | undefined;
    if (response.status !== 200 || body?.status !== 'success') {
      throw new Error(`node ${this.index} GET ${path}: HTTP ${response.status} ${JSON.stringify(body)}`);
    }
    return body.data as T;
  }

  /** Writes both containers' logs under `dir` (`node<i>.log`, `db<i>.log`): kept with the run's history. */
  async saveLogs(dir: string): Promise<void> {
    const lines = await this.logs().catch((error: Error) => ({ node: `(logs unavailable: ${error.message})`, db: '' }));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `node${this.index}.log`), lines.node);
    writeFileSync(join(dir, `db${this.index}.log`), lines.db);
  }

  /**
   * Writes the node's `/flux/stats` to `dir/node<i>.json` (sync, peer and hash-sync counters: what
   * a failed run needs to be read after its containers are gone); a node that does not answer is noted.
   */
  async saveStats(dir: string): Promise<void> {
    const stats = this.#node
      ? await fetch(`${this.apiUrl}/flux/stats`, { signal: AbortSignal.timeout(2_000) })
          .then((response) => response.json())
          .catch((error: Error) => ({ unavailable: error.message }))
      : { unavailable: 'never started' };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `node${this.index}.json`), `${JSON.stringify(stats, null, 2)}\n`);
  }

  /** A MongoDB client on this machine's database (the node contract's collections); connects on first use. */
  mongoClient(): MongoClient {
    this.#mongo ??= new MongoClient(this.mongoUri, { serverSelectionTimeoutMS: 10_000 });
    return this.#mongo;
  }

  async close(): Promise<void> {
    await this.#closeMongo();
  }

  async #closeMongo(): Promise<void> {
    const client = this.#mongo;
    this.#mongo = undefined;
    await client?.close(true);
  }

  #newBootId(): void {
    this.#bootId = randomUUID();
    writeFileSync(join(this.spec.hostDir, 'boot-id'), `${this.#bootId}\n`);
  }

  #record(op: string, detail?: unknown): void {
    this.spec.history.append({ kind: 'action', op, node: this.index, detail });
  }

  #nodeContainer(): Docker.Container {
    if (!this.#node) throw new Error(`machine ${this.index}: node container not created yet`);
    return this.#node.container;
  }

  #dbContainer(): Docker.Container {
    if (!this.#db) throw new Error(`machine ${this.index}: database container not created yet`);
    return this.#db.container;
  }

  #clockEnv(): Record<string, string> {
    const env: Record<string, string> = { FLUXNET_BOOT_ID_FILE: `${MACHINE_DIR_IN_CONTAINER}/boot-id` };
    if (!this.spec.clockFaults) return env;
    return {
      ...env,
      LD_PRELOAD: FAKETIME_LIB,
      FAKETIME_TIMESTAMP_FILE: `${MACHINE_DIR_IN_CONTAINER}/faketime`,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
  }

  #dbBuilder(): ContainerBuilder {
    return new ContainerBuilder(this.spec.dbImage)
      .withName(`${this.spec.namePrefix}-db${this.index}`)
      .withAddress({ network: this.spec.network, ip: this.dbIp })
      .withLabels(this.spec.labels('db'))
      .withWaitStrategy(new PortWait({ port: DB_PORT }))
      .withStartupTimeout(this.spec.startupTimeoutMs);
  }

  #nodeBuilder(): ContainerBuilder {
    return new ContainerBuilder(this.spec.nodeImage)
      .withName(`${this.spec.namePrefix}-node${this.index}`)
      .withAddress({ network: this.spec.network, ip: this.ip })
      .withCommand(this.spec.nodeCommand)
      .withLabels(this.spec.labels('node'))
      .withAddedCapabilities('NET_ADMIN')
      .withBind(`${this.spec.hostDir}:${MACHINE_DIR_IN_CONTAINER}`)
      .withEnvironment({ ...this.spec.env, ...this.#clockEnv() })
      .withWaitStrategy(new HttpWait({ port: NODE_API_PORT, path: '/health' }))
      .withStartupTimeout(this.spec.startupTimeoutMs)
      .withStopTimeout(15);
  }
}

function ignoreNotRunning(error: { statusCode?: number }): void {
  if (error.statusCode === 304 || error.statusCode === 409) return;
  throw error;
}

/** Docker multiplexes stdout/stderr in 8-byte-header frames (stream type, size) when there is no TTY. */
function demux(buffer: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const text = buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    if (type === 2) stderr += text;
    else stdout += text;
    offset += 8 + size;
  }
  return { stdout, stderr };
}

/** Incremental demux of a live exec stream: frames may arrive split across chunks. */
function createDemuxer(onText: (text: string, stream: 'stdout' | 'stderr') => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) return;
      onText(pending.subarray(8, 8 + size).toString('utf8'), pending[0] === 2 ? 'stderr' : 'stdout');
      pending = pending.subarray(8 + size);
    }
  };
}

function collectDemuxed(stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(demux(Buffer.concat(chunks))));
  });
}

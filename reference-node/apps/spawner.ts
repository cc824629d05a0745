/**
 * A simulated app spawner: no containers, only the state FluxOS would keep. Each registered app
 * (fixture or on-chain) is placed on its `instances` nodes (placement.ts); this node "installs" the
 * apps placed on it, keeps them in `zelfluxlocal.localapps`, and announces what it runs: after an
 * install, when the peer threshold is reached, and every `apprunningIntervalMs` (FluxOS: hourly).
 */
import type { Collection, Db } from 'mongodb';
import type { RunningApp } from '../../protocol/gossip/messages.js';
import type { Clock } from '../clock.js';
import type { Announcer } from '../gossip/announcer.js';
import type { Logger } from '../log.js';
import type { EventBus } from '../sse/event-bus.js';
import { type PeriodicTask, startPeriodic } from '../timers.js';
import type { Tunables } from '../tunables.js';
import type { AppMessageStore, StoredSpec } from './message-store.js';
import { placeApp } from './placement.js';

export interface LocalAppDoc {
  name: string;
  hash: string;
  /** Epoch ms (numbers, like every stored time: FerretDB mangles top-level dates in `$set`). */
  installedAt: number;
  runningSince: number;
}

export interface SpawnerOptions {
  ownIp: string;
  localDb: Db;
  clock: Clock;
  tunables: Pick<Tunables, 'apprunningIntervalMs'>;
  /** Every listed IP (this node's included). */
  listedIps(): string[];
  messages: AppMessageStore;
  fixtureSpecs: readonly StoredSpec[];
  announcer: Announcer;
  bus: EventBus;
  logger: Logger;
}

export const LOCAL_APPS_COLLECTION = 'localapps';
const NO_ID = { projection: { _id: 0 } } as const;

export class Spawner {
  readonly #options: SpawnerOptions;
  readonly #localApps: Collection<LocalAppDoc>;
  #announcer: PeriodicTask | undefined;
  #reconciling: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: SpawnerOptions) {
    this.#options = options;
    this.#localApps = options.localDb.collection<LocalAppDoc>(LOCAL_APPS_COLLECTION);
  }

  async start(): Promise<void> {
    await this.#localApps.createIndex({ name: 1 }, { unique: true });
    this.#announcer = startPeriodic({
      intervalMs: this.#options.tunables.apprunningIntervalMs,
      run: () => this.announce(),
      onError: (error) => this.#options.logger.warn('apprunning broadcast failed', { error }),
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#announcer?.stop();
    await this.#reconciling;
  }

  async running(): Promise<LocalAppDoc[]> {
    return this.#localApps.find({}, NO_ID).sort({ name: 1 }).toArray();
  }

  /** Broadcasts our running apps (nothing when none run: an empty v2 is never sent, as in later FluxOS). */
  async announce(): Promise<void> {
    if (this.#stopped) return;
    const apps = (await this.running()).map(
      (app): RunningApp => ({ name: app.name, hash: app.hash, runningSince: app.runningSince }),
    );
    if (apps.length === 0) return;
    const { peers } = await this.#options.announcer.announceRunning(apps);
    this.#options.logger.debug('apprunning broadcast', { apps: apps.length, peers });
  }

  /** Installs what is placed here and not running, removes what runs but is no longer placed here. */
  reconcile(): Promise<void> {
    if (this.#reconciling) {
      this.#again = true;
      return this.#reconciling;
    }
    this.#reconciling = this.#reconcileLoop().finally(() => {
      this.#reconciling = undefined;
    });
    return this.#reconciling;
  }

  async #reconcileLoop(): Promise<void> {
    do {
      this.#again = false;
      await this.#reconcileOnce();
    } while (this.#again && !this.#stopped);
  }

  async #reconcileOnce(): Promise<void> {
    const specs = await this.#specs();
    const ips = this.#options.listedIps();
    if (!ips.includes(this.#options.ownIp)) return;
    const wanted = specs.filter((spec) =>
      placeApp({ appName: spec.name, instances: spec.spec.instances, ips }).includes(this.#options.ownIp),
    );
    const running = await this.running();
    const runningHash = new Map(running.map((app) => [app.name, app.hash]));
    const wantedNames = new Set(wanted.map((spec) => spec.name));
    let installed = 0;
    for (const spec of wanted) {
      if (this.#stopped) return;
      // A different hash is an update of the spec: reinstall under the new hash.
      if (runningHash.get(spec.name) !== spec.hash) {
        await this.#install(spec);
        installed += 1;
      }
    }
    for (const app of running) {
      if (!wantedNames.has(app.name)) await this.#remove(app);
    }
    if (installed > 0) await this.announce();
  }

  /** Fixture apps, overridden by on-chain registrations of the same name. */
  async #specs(): Promise<StoredSpec[]> {
    const byName = new Map<string, StoredSpec>();
    for (const spec of this.#options.fixtureSpecs) byName.set(spec.name.toLowerCase(), spec);
    for (const spec of await this.#options.messages.registeredSpecs()) byName.set(spec.name.toLowerCase(), spec);
    return [...byName.values()];
  }

  async #install(spec: StoredSpec): Promise<void> {
    const now = this.#options.clock.now();
    await this.#localApps.updateOne(
      { name: spec.name },
      { $set: { name: spec.name, hash: spec.hash, installedAt: now, runningSince: now } },
      { upsert: true },
    );
    this.#options.logger.info('app installed', { name: spec.name, hash: spec.hash });
    this.#options.bus.publish('app:installed', { name: spec.name, hash: spec.hash });
  }

  async #remove(app: LocalAppDoc): Promise<void> {
    await this.#localApps.deleteOne({ name: app.name });
    this.#options.announcer.announceRemoved(app.name);
    this.#options.logger.info('app removed', { name: app.name });
    this.#options.bus.publish('app:removed', { name: app.name });
  }
}

/**
 * A simulated app spawner: no containers, only the state FluxOS would keep. Each registered app
 * (fixture or on-chain) is placed on its `instances` nodes (placement.ts); this node "installs" the
 * apps placed on it and keeps them in `zelfluxlocal.localapps`. Containers are not restarted by the
 * OS (restart policy `no`): after a machine reboot every installed app is stopped until the boot
 * reconcile resumes or removes it (§10). Placement starts once boot has settled. When to announce
 * is announcements.ts's business; `onInstalled` tells it an install happened.
 */
import type { Collection, Db } from 'mongodb';
import type { RunningApp } from '../../protocol/gossip/messages.js';
import type { Clock } from '../clock.js';
import type { Announcer } from '../gossip/announcer.js';
import type { Logger } from '../log.js';
import type { EventBus } from '../sse/event-bus.js';
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
  /** Every listed IP (this node's included). */
  listedIps(): string[];
  messages: AppMessageStore;
  fixtureSpecs: readonly StoredSpec[];
  announcer: Announcer;
  bus: EventBus;
  logger: Logger;
  /** Apps were installed by a reconcile (FluxOS announces after an install). */
  onInstalled?(): void;
}

export const LOCAL_APPS_COLLECTION = 'localapps';
const NO_ID = { projection: { _id: 0 } } as const;

export class Spawner {
  readonly #options: SpawnerOptions;
  readonly #localApps: Collection<LocalAppDoc>;
  /** Installed apps whose containers are down since the machine rebooted. */
  readonly #stoppedApps = new Set<string>();
  #reconciling: Promise<void> | undefined;
  #again = false;
  #placing = false;
  #stopped = false;

  constructor(options: SpawnerOptions) {
    this.#options = options;
    this.#localApps = options.localDb.collection<LocalAppDoc>(LOCAL_APPS_COLLECTION);
  }

  async start(): Promise<void> {
    await this.#localApps.createIndex({ name: 1 }, { unique: true });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#reconciling;
  }

  /** Every installed app, running or not. */
  async installed(): Promise<LocalAppDoc[]> {
    return this.#localApps.find({}, NO_ID).sort({ name: 1 }).toArray();
  }

  /** Installed apps whose containers run. */
  async running(): Promise<LocalAppDoc[]> {
    return (await this.installed()).filter((app) => !this.#stoppedApps.has(app.name));
  }

  /** The machine rebooted: every installed app is stopped until resumed (restart policy `no`). */
  async markAllStopped(): Promise<void> {
    for (const app of await this.installed()) this.#stoppedApps.add(app.name);
  }

  /** Boot reconcile (§10 step 6): start the app's containers again. */
  resume(name: string): void {
    this.#stoppedApps.delete(name);
    this.#options.logger.info('app resumed', { name });
  }

  /**
   * Uninstalls an app. `broadcast`: also announce `fluxappremoved` (boot steps 2-5 and placement
   * moves); boot step 6 removes locally only.
   */
  async removeApp(name: string, { broadcast }: { broadcast: boolean }): Promise<void> {
    await this.#localApps.deleteOne({ name });
    this.#stoppedApps.delete(name);
    if (broadcast) this.#options.announcer.announceRemoved(name);
    this.#options.logger.info('app removed', { name, broadcast });
    this.#options.bus.publish('app:removed', { name });
  }

  /** Removes every installed app, announcing each removal (daemon stale or expired, §9). */
  async removeAll(): Promise<void> {
    for (const app of await this.installed()) await this.removeApp(app.name, { broadcast: true });
  }

  /**
   * Broadcasts our running apps. An empty list is sent only when `allowEmpty` (v8.13.0's first
   * run, field bug 12's path); otherwise nothing goes out, as in later FluxOS.
   */
  async announce({ allowEmpty = false }: { allowEmpty?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    const apps = (await this.running()).map(
      (app): RunningApp => ({ name: app.name, hash: app.hash, runningSince: app.runningSince }),
    );
    if (apps.length === 0 && !allowEmpty) return;
    const { peers } = await this.#options.announcer.announceRunning(apps);
    this.#options.logger.debug('apprunning broadcast', { apps: apps.length, peers });
  }

  /** Boot has settled: placement may install and remove from now on. */
  startPlacing(): Promise<void> {
    this.#placing = true;
    return this.reconcile();
  }

  /** Installs what is placed here and not running, removes what runs but is no longer placed here. */
  reconcile(): Promise<void> {
    if (!this.#placing || this.#stopped) return Promise.resolve();
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
    const running = await this.installed();
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
      if (!wantedNames.has(app.name)) await this.removeApp(app.name, { broadcast: true });
    }
    if (installed > 0) this.#options.onInstalled?.();
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
    this.#stoppedApps.delete(spec.name);
    await this.#localApps.updateOne(
      { name: spec.name },
      { $set: { name: spec.name, hash: spec.hash, installedAt: now, runningSince: now } },
      { upsert: true },
    );
    this.#options.logger.info('app installed', { name: spec.name, hash: spec.hash });
    this.#options.bus.publish('app:installed', { name: spec.name, hash: spec.hash });
  }
}

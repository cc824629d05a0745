/**
 * Eviction (fluxos-node.md §4.1, `nodeStatusMonitor.monitorNodeStatus`): every nodeStatusIntervalMs,
 * each IP in the location cache that the deterministic list no longer holds is asked for its status
 * (`GET http://<ip>/daemon/getfluxnodestatus`, evictionProbeTimeoutMs). Anything but CONFIRMED, or
 * no answer, evicts it: an `evicted` event in the log and its cache rows deleted. Local only: nothing
 * is gossiped or published (FluxOS publishes nothing either).
 */
import type { EventLog } from '../store/event-log.js';
import type { LocationCache } from '../store/location-cache.js';
import { type PeriodicTask, startPeriodic } from '../timers.js';
import type { Tunables } from '../tunables.js';

export type ProbeResult = { reachable: true; status: string | undefined } | { reachable: false; error: string };

/** Asks the node at `ip` (`host:port`) for its fluxnode status. */
export type StatusProbe = (ip: string, options: { timeoutMs: number }) => Promise<ProbeResult>;

export interface MonitorRunResult {
  probed: string[];
  evicted: string[];
}

export interface NodeStatusMonitorOptions {
  tunables: Pick<Tunables, 'nodeStatusIntervalMs' | 'evictionProbeTimeoutMs'>;
  /** Whether the deterministic list holds this IP (`host:port`). */
  isListedIp(ip: string): boolean;
  cache: Pick<LocationCache, 'all' | 'deleteByIp'>;
  eventLog: Pick<EventLog, 'storeEvicted'>;
  probe?: StatusProbe;
  onError: (error: unknown) => void;
}

/** The node API answers `{status:'success', data:<getfluxnodestatus result>}`. */
export const httpStatusProbe: StatusProbe = async (ip, { timeoutMs }) => {
  try {
    const response = await fetch(`http://${ip}/daemon/getfluxnodestatus`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { reachable: false, error: `HTTP ${response.status}` };
    const body = (await response.json()) as { status?: unknown; data?: { status?: unknown } };
    const status = body.status === 'success' ? body.data?.status : undefined;
    return { reachable: true, status: typeof status === 'string' ? status : undefined };
  } catch (error) {
    return { reachable: false, error: (error as Error).message };
  }
};

export interface MonitorStats {
  runs: number;
  probed: number;
  evicted: number;
}

export class NodeStatusMonitor {
  readonly #options: NodeStatusMonitorOptions;
  readonly #probe: StatusProbe;
  readonly #stats: MonitorStats = { runs: 0, probed: 0, evicted: 0 };
  #task: PeriodicTask | undefined;
  #inFlight: Promise<unknown> | undefined;

  constructor(options: NodeStatusMonitorOptions) {
    this.#options = options;
    this.#probe = options.probe ?? httpStatusProbe;
  }

  get stats(): MonitorStats {
    return { ...this.#stats };
  }

  start(): void {
    this.#task ??= startPeriodic({
      intervalMs: this.#options.tunables.nodeStatusIntervalMs,
      run: async () => {
        this.#inFlight = this.runOnce();
        await this.#inFlight;
      },
      onError: this.#options.onError,
    });
  }

  /** Stops scheduling and waits for a pass in progress (so it never outlives the database client). */
  async stop(): Promise<void> {
    this.#task?.stop();
    this.#task = undefined;
    await this.#inFlight?.catch(() => undefined);
  }

  /** One pass; unlisted IPs are probed concurrently. */
  async runOnce(): Promise<MonitorRunResult> {
    const { cache, isListedIp, tunables } = this.#options;
    const ips = new Set((await cache.all()).map((row) => row.ip));
    const unlisted = [...ips].filter((ip) => !isListedIp(ip)).sort();
    const verdicts = await Promise.all(
      unlisted.map(async (ip) => ({
        ip,
        result: await this.#probe(ip, { timeoutMs: tunables.evictionProbeTimeoutMs }),
      })),
    );
    const evicted: string[] = [];
    for (const { ip, result } of verdicts) {
      if (result.reachable && result.status === 'CONFIRMED') continue;
      await this.#options.eventLog.storeEvicted({ ip });
      await cache.deleteByIp(ip);
      evicted.push(ip);
    }
    this.#stats.runs += 1;
    this.#stats.probed += unlisted.length;
    this.#stats.evicted += evicted.length;
    return { probed: unlisted, evicted };
  }
}

import type { DaemonControl } from '../network/daemon-control.js';
import type { ActiveFault, FaultLog } from './fault-log.js';

/** rpc: a view's RPC fails; zmq: its publisher is silent; stall: its tip stops; ibd: it reports initial download. */
export type DaemonFaultKind = 'rpc' | 'zmq' | 'stall' | 'ibd';

/** What daemon faults need of the stub's control API (DaemonControl has it). */
export type DaemonFaultControl = Pick<DaemonControl, 'rpcFault' | 'zmqFault' | 'stallFault' | 'ibdFault'>;

export class DaemonFaultError extends Error {
  override readonly name = 'DaemonFaultError';
}

/**
 * Faults of the daemon a node talks to, through the daemon stub's control API. View i is node i's
 * daemon. Each (kind, view) is one fault, from the call that sets it to the one that restores it.
 */
export class DaemonFaults {
  readonly #active = new Map<string, { kind: DaemonFaultKind; view: number; fault: ActiveFault }>();

  constructor(private readonly deps: { daemon: DaemonFaultControl; log: FaultLog }) {}

  /** The views' RPC fails: connection reset unanswered (default) or HTTP 503. */
  rpcFailing(args: { views: readonly number[]; mode?: 'reset' | 'http503' }): Promise<void> {
    const mode = args.mode ?? 'reset';
    return this.#start({ kind: 'rpc', views: args.views, detail: { mode } }, (view) =>
      this.deps.daemon.rpcFault({ view, failing: true, mode }),
    );
  }

  /** The views publish no ZMQ frames (sequence numbers still advance, as if frames were lost). */
  zmqSilent(args: { views: readonly number[] }): Promise<void> {
    return this.#start({ kind: 'zmq', views: args.views, detail: {} }, (view) =>
      this.deps.daemon.zmqFault({ view, silent: true }),
    );
  }

  /** The views' tips stop moving; on restore they catch up. */
  tipStalled(args: { views: readonly number[] }): Promise<void> {
    return this.#start({ kind: 'stall', views: args.views, detail: {} }, (view) =>
      this.deps.daemon.stallFault({ view, stalled: true }),
    );
  }

  /** The views report initial block download. */
  initialBlockDownload(args: { views: readonly number[] }): Promise<void> {
    return this.#start({ kind: 'ibd', views: args.views, detail: {} }, (view) =>
      this.deps.daemon.ibdFault({ view, ibd: true }),
    );
  }

  /** Active faults, optionally only some views or one kind. */
  active(
    filter: { views?: readonly number[]; kind?: DaemonFaultKind } = {},
  ): { kind: DaemonFaultKind; view: number }[] {
    return [...this.#active.values()]
      .filter((entry) => (filter.views?.includes(entry.view) ?? true) && (filter.kind ?? entry.kind) === entry.kind)
      .map(({ kind, view }) => ({ kind, view }));
  }

  /** Ends the matching faults (all of them by default). */
  async restore(filter: { views?: readonly number[]; kind?: DaemonFaultKind } = {}): Promise<void> {
    const ending = this.active(filter);
    const results = await Promise.allSettled(
      ending.map(async ({ kind, view }) => {
        await this.#undo(kind, view);
        const key = keyOf(kind, view);
        const entry = this.#active.get(key);
        this.#active.delete(key);
        if (entry) this.deps.log.end(entry.fault);
      }),
    );
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected'
        ? [`${ending[i]!.kind} on view ${ending[i]!.view}: ${(result.reason as Error)?.message}`]
        : [],
    );
    if (failures.length > 0) throw new DaemonFaultError(`daemon fault restore failed:\n  ${failures.join('\n  ')}`);
  }

  stop(): Promise<void> {
    return this.restore();
  }

  async #start(
    args: { kind: DaemonFaultKind; views: readonly number[]; detail: Record<string, unknown> },
    act: (view: number) => Promise<unknown>,
  ): Promise<void> {
    if (args.views.length === 0) throw new DaemonFaultError(`daemon ${args.kind} fault: no views given`);
    for (const view of args.views) {
      if (!Number.isInteger(view) || view < 1)
        throw new DaemonFaultError(`daemon ${args.kind} fault: bad view ${view}`);
    }
    for (const view of args.views) {
      const key = keyOf(args.kind, view);
      const existing = this.#active.get(key);
      if (existing) this.deps.log.info(`daemon-${args.kind}`, { id: existing.fault.id, view, ...args.detail });
      else {
        this.#active.set(key, {
          kind: args.kind,
          view,
          fault: this.deps.log.start(`daemon-${args.kind}`, { view, ...args.detail }),
        });
      }
      await act(view);
    }
  }

  #undo(kind: DaemonFaultKind, view: number): Promise<unknown> {
    const { daemon } = this.deps;
    if (kind === 'rpc') return daemon.rpcFault({ view, failing: false });
    if (kind === 'zmq') return daemon.zmqFault({ view, silent: false });
    if (kind === 'stall') return daemon.stallFault({ view, stalled: false });
    return daemon.ibdFault({ view, ibd: false });
  }
}

function keyOf(kind: DaemonFaultKind, view: number): string {
  return `${kind}:${view}`;
}

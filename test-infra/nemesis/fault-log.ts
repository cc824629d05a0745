import type { History } from '../observe/history.js';

/** A fault in effect: its id pairs the history's `start` record with its `end`. */
export interface ActiveFault {
  readonly id: string;
  readonly op: string;
  readonly detail: Record<string, unknown>;
}

/**
 * Writes nemesis records into the run history. A fault's `start` is written before the harness
 * acts and its `end` after the fault is fully undone, so the window between them covers every
 * moment the fault may have been in effect; `info` records what happened in between.
 */
export class FaultLog {
  #next = 1;

  constructor(private readonly history: History) {}

  start(op: string, detail: Record<string, unknown> = {}): ActiveFault {
    const fault = { id: `f${this.#next++}`, op, detail };
    this.history.append({ kind: 'nemesis', op, phase: 'start', detail: { id: fault.id, ...detail } });
    return fault;
  }

  end(fault: ActiveFault, detail: Record<string, unknown> = {}): void {
    this.history.append({ kind: 'nemesis', op: fault.op, phase: 'end', detail: { id: fault.id, ...detail } });
  }

  info(op: string, detail: Record<string, unknown>): void {
    this.history.append({ kind: 'nemesis', op, phase: 'info', detail });
  }

  /** Runs `action` between a start and an end record: for faults that are over when it returns. */
  async instant<T>(op: string, detail: Record<string, unknown>, action: () => Promise<T>): Promise<T> {
    const fault = this.start(op, detail);
    try {
      const result = await action();
      this.end(fault);
      return result;
    } catch (error) {
      this.end(fault, { error: (error as Error).message });
      throw error;
    }
  }
}

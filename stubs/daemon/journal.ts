/** Every RPC call the stub answered, for tests and the control API (`GET /journal`). */

export interface JournalEntry {
  view: number;
  method: string;
  params: unknown;
  /** ISO time the call was answered. */
  time: string;
  /** null on success. */
  error: { code: number; message: string } | null;
}

/** Oldest entries are dropped beyond this, so a long run cannot grow without bound. */
const CAPACITY = 50_000;

export class RpcJournal {
  private entries: JournalEntry[] = [];

  record(entry: JournalEntry): void {
    this.entries.push(entry);
    if (this.entries.length > CAPACITY) this.entries = this.entries.slice(-CAPACITY / 2);
  }

  list(filter: { view?: number; method?: string } = {}): JournalEntry[] {
    return this.entries.filter(
      (entry) =>
        (filter.view === undefined || entry.view === filter.view) &&
        (filter.method === undefined || entry.method === filter.method),
    );
  }
}

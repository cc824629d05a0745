import { EventSource } from 'eventsource';
import type { History } from './history.js';

export interface SseObserverOptions {
  node: number;
  url: string;
  /** Event names to listen for: the SSE catalogue from protocol/. */
  eventNames: readonly string[];
  history: History;
  /** Parses and validates one payload; throws on a payload that breaks the catalogue. */
  parse: (name: string, data: string) => unknown;
  /** Delay before recreating a client that failed fatally (e.g. the node was down). */
  recreateDelayMs?: number;
}

/**
 * One SSE client per node. Every event lands in the run history once: ids carry the node's process
 * epoch (`<epoch>-<n>`), so replays after a reconnect or restart are recognised and dropped.
 */
export class SseObserver {
  readonly #options: SseObserverOptions;
  readonly #seen = new Set<string>();
  #source: EventSource | undefined;
  #recreateTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #malformed = 0;

  constructor(options: SseObserverOptions) {
    this.#options = options;
    this.#open();
  }

  get malformedCount(): number {
    return this.#malformed;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#recreateTimer);
    this.#source?.close();
  }

  #open(): void {
    const source = new EventSource(this.#options.url);
    this.#source = source;
    for (const name of this.#options.eventNames) {
      source.addEventListener(name, (event) => this.#receive(name, event.data, event.lastEventId));
    }
    source.addEventListener('error', () => {
      // eventsource retries network errors itself; a CLOSED source (HTTP error) needs a new client.
      if (this.#closed || source.readyState !== EventSource.CLOSED) return;
      this.#recreateTimer = setTimeout(() => {
        if (!this.#closed) this.#open();
      }, this.#options.recreateDelayMs ?? 250);
    });
  }

  #receive(name: string, data: string, id: string): void {
    if (id && this.#seen.has(id)) return;
    if (id) this.#seen.add(id);
    const { node, history } = this.#options;
    try {
      const payload = this.#options.parse(name, data);
      history.append({ kind: 'event', node, name, id, payload });
    } catch (error) {
      this.#malformed += 1;
      history.append({
        kind: 'check',
        check: 'sse-catalogue',
        ok: false,
        detail: { node, name, id, error: (error as Error).message, data: data.slice(0, 500) },
      });
    }
  }
}

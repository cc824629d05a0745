import { EventSource } from 'eventsource';
import { FLUX_EVENT_NAMES, parseFluxEvent } from '../../protocol/events.js';
import type { History } from './history.js';

/** An id from no real process: on its first connect the node replays everything it buffered. */
const REPLAY_ALL_ID = '0-0';

export interface SseObserverOptions {
  node: number;
  url: string;
  history: History;
  /** Delay before recreating a client that failed fatally (e.g. the node was down). */
  recreateDelayMs?: number;
}

/**
 * One SSE client per node, typed by the catalogue in protocol/events.ts. The first connect asks for
 * the node's whole replay buffer, so boot events published before the harness connected are not
 * missed. Every event lands in the run history once: ids carry the node's process epoch
 * (`<epoch>-<n>`), so replays after a reconnect or a restart are recognised and dropped.
 */
export class SseObserver {
  readonly #options: SseObserverOptions;
  readonly #seen = new Set<string>();
  readonly #malformed: string[] = [];
  #source: EventSource | undefined;
  #recreateTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: SseObserverOptions) {
    this.#options = options;
    this.#open();
  }

  /** Frames that broke the catalogue; a healthy node has none. */
  get malformed(): readonly string[] {
    return this.#malformed;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#recreateTimer);
    this.#source?.close();
  }

  #open(): void {
    const source = new EventSource(this.#options.url, { fetch: fetchWithReplayAll });
    this.#source = source;
    for (const name of FLUX_EVENT_NAMES) {
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
    const parsed = parseFluxEvent(name, data);
    if (parsed.ok) {
      history.append({ kind: 'event', node, name, id, payload: parsed.data });
      return;
    }
    this.#malformed.push(`node ${node} ${name} ${id}: ${parsed.error}`);
    history.append({
      kind: 'check',
      check: 'sse-catalogue',
      ok: false,
      detail: { node, name, id, error: parsed.error },
    });
  }
}

const fetchWithReplayAll: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  if (!headers.has('last-event-id')) headers.set('last-event-id', REPLAY_ALL_ID);
  return fetch(input, { ...init, headers });
};

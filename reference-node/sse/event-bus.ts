/**
 * The node's SSE event bus (FluxOS `fluxEventBus`): typed by the shared catalogue, numbered with the
 * process epoch, kept in a ring buffer for `Last-Event-ID` replay. Disabled (no test event stream)
 * means `publish` is a no-op, as in FluxOS.
 */
import { FLUX_EVENTS, type FluxEvent, type FluxEventName, type FluxEventPayload } from '../../protocol/events.js';
import { formatZodError } from '../../protocol/validation.js';
import { formatEventId, parseEventId } from './event-ids.js';
import { RingBuffer } from './ring-buffer.js';

export interface BusEvent {
  id: string;
  name: FluxEventName;
  /** JSON of the payload, exactly what goes on the `data:` line. */
  data: string;
}

export interface EventBusOptions {
  enabled: boolean;
  epoch: string;
  bufferSize: number;
  /** Check every payload against the catalogue before publishing (dev/test); a mismatch throws. */
  validate: boolean;
}

type Listener = (event: BusEvent) => void;

export class CatalogueViolationError extends Error {
  constructor(name: string, detail: string) {
    super(`SSE event ${name} breaks the catalogue: ${detail}`);
    this.name = 'CatalogueViolationError';
  }
}

export class EventBus {
  readonly enabled: boolean;
  readonly epoch: string;
  readonly #validate: boolean;
  readonly #buffer: RingBuffer<BusEvent>;
  readonly #listeners = new Set<Listener>();
  #counter = 0;

  constructor(options: EventBusOptions) {
    this.enabled = options.enabled;
    this.epoch = options.epoch;
    this.#validate = options.validate;
    this.#buffer = new RingBuffer(options.bufferSize);
  }

  publish<N extends FluxEventName>(name: N, payload: FluxEventPayload<N>): void {
    if (!this.enabled) return;
    if (this.#validate) checkPayload(name, payload);
    this.#counter += 1;
    const event: BusEvent = { id: formatEventId(this.epoch, this.#counter), name, data: JSON.stringify(payload) };
    this.#buffer.push(event);
    for (const listener of this.#listeners) listener(event);
  }

  /** One `{name, data}` event as the pure modules (orchestrator, confirmation) return them. */
  publishEvent(event: FluxEvent): void {
    // The union pairs each name with its payload; publish's generic cannot see that pairing.
    this.publish(event.name, event.data as FluxEventPayload<typeof event.name>);
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Buffered events a client with `lastEventId` has not seen: after n for our epoch, everything for
   * an id from another process (a restart) or an unparsable one, nothing without an id.
   */
  replayAfter(lastEventId: string | undefined): BusEvent[] {
    if (lastEventId === undefined || lastEventId === '') return [];
    const parsed = parseEventId(lastEventId);
    const events = this.#buffer.toArray();
    if (!parsed || parsed.epoch !== this.epoch) return [...events];
    return events.filter((event) => (parseEventId(event.id)?.n ?? 0) > parsed.n);
  }
}

function checkPayload(name: FluxEventName, payload: unknown): void {
  if (!Object.hasOwn(FLUX_EVENTS, name)) return;
  const schema = FLUX_EVENTS[name as keyof typeof FLUX_EVENTS];
  const result = schema.safeParse(payload);
  if (!result.success) throw new CatalogueViolationError(name, formatZodError(result.error));
}

/**
 * A typed single-event emitter: components announce facts (new tip, list changed) without knowing
 * who listens. A throwing listener is reported, never allowed to break the emitter's caller.
 */
export class Signal<T> {
  readonly #listeners = new Set<(value: T) => void | Promise<void>>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  on(listener: (value: T) => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(value: T): void {
    for (const listener of this.#listeners) {
      try {
        const result = listener(value);
        if (result instanceof Promise) result.catch(this.#onError);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}

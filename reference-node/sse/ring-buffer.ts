/** A bounded FIFO: keeps the newest `capacity` items (the SSE replay window). */
export class RingBuffer<T> {
  readonly #capacity: number;
  readonly #items: T[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length > this.#capacity) this.#items.shift();
  }

  toArray(): readonly T[] {
    return this.#items;
  }
}

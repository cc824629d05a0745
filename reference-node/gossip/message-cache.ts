/**
 * The receive pipeline's dedup cache (fluxos-node.md §5.3 step 2): at most `maxEntries` keys, each
 * forgotten `ttlMs` after it was added; the oldest goes first when full.
 */
export class MessageCache {
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  /** key -> expiry; Map keeps insertion order, so the first entry is the oldest. */
  readonly #entries = new Map<string, number>();

  constructor({ maxEntries, ttlMs }: { maxEntries: number; ttlMs: number }) {
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: string, now: number): boolean {
    const expiry = this.#entries.get(key);
    if (expiry === undefined) return false;
    if (expiry > now) return true;
    this.#entries.delete(key);
    return false;
  }

  add(key: string, now: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, now + this.#ttlMs);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}

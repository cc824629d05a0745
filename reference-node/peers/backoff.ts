/** Exponential reconnect backoff per peer: min, 2·min, 4·min … capped at max; reset on success. */
export class Backoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #attempts = new Map<string, number>();
  readonly #notBefore = new Map<string, number>();

  constructor({ minMs, maxMs }: { minMs: number; maxMs: number }) {
    this.#minMs = minMs;
    this.#maxMs = maxMs;
  }

  /** Records a failed or lost connection; returns the delay before the next attempt. */
  failed(peer: string, now: number): number {
    const attempts = (this.#attempts.get(peer) ?? 0) + 1;
    this.#attempts.set(peer, attempts);
    const delay = Math.min(this.#maxMs, this.#minMs * 2 ** (attempts - 1));
    this.#notBefore.set(peer, now + delay);
    return delay;
  }

  succeeded(peer: string): void {
    this.#attempts.delete(peer);
    this.#notBefore.delete(peer);
  }

  ready(peer: string, now: number): boolean {
    return (this.#notBefore.get(peer) ?? 0) <= now;
  }
}

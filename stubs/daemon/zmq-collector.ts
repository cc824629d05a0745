import { Subscriber } from 'zeromq';
import { decodeZmqMessage, type ZmqMessage, type ZmqTopic } from '../../protocol/fluxd/index.js';

/**
 * A ZMQ subscriber that decodes every message into a buffer and lets callers wait on it
 * (buffer first, then future messages, so nothing is missed). For tests and the bench.
 */

type Listener = (message: ZmqMessage, index: number) => void;

interface Waiter {
  test: () => boolean;
  resolve: () => void;
}

export class ZmqCollector {
  readonly messages: ZmqMessage[] = [];
  /** Frames that did not decode, with the reason. */
  readonly errors: string[] = [];
  private readonly socket = new Subscriber({ linger: 0 });
  private readonly listeners: Listener[] = [];
  private waiters: Waiter[] = [];
  private readonly counts = new Map<ZmqTopic, number>();

  /** Connects and subscribes (default: every topic); messages are collected from then on. */
  static connect(endpoint: string, topics: readonly string[] = ['']): ZmqCollector {
    const collector = new ZmqCollector();
    collector.socket.connect(endpoint);
    for (const topic of topics) collector.socket.subscribe(topic);
    void collector.receive();
    return collector;
  }

  /** Called synchronously for each message, in arrival order. */
  onMessage(listener: Listener): void {
    this.listeners.push(listener);
  }

  count(topic: ZmqTopic): number {
    return this.counts.get(topic) ?? 0;
  }

  /** Resolves once `topic` has been received at least `count` times. */
  waitForCount(topic: ZmqTopic, count: number, timeoutMs: number): Promise<void> {
    return this.waitUntil(
      () => this.count(topic) >= count,
      timeoutMs,
      () => `${count} × ${topic}`,
    );
  }

  /** Resolves once `test` holds (checked now and after every message); rejects after `timeoutMs`. */
  waitUntil(test: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(new Error(`zmq collector: no ${describe()} after ${timeoutMs} ms; ${this.summary()}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.socket.close();
  }

  private summary(): string {
    const last = this.messages.at(-1);
    const counts = [...this.counts].map(([topic, n]) => `${topic}=${n}`).join(' ');
    return `received ${this.messages.length} (${counts}), last ${last ? `${last.topic}#${last.seq}` : 'none'}`;
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.socket) this.accept(frames);
    } catch {
      // Closed.
    }
  }

  private accept(frames: Buffer[]): void {
    let message: ZmqMessage;
    try {
      message = decodeZmqMessage(frames);
    } catch (error) {
      this.errors.push((error as Error).message);
      return;
    }
    const index = this.messages.push(message) - 1;
    this.counts.set(message.topic, this.count(message.topic) + 1);
    for (const listener of this.listeners) {
      try {
        listener(message, index);
      } catch (error) {
        // A failing listener must not stop the receive loop; the test sees it in `errors`.
        this.errors.push(`listener on ${message.topic}#${message.seq}: ${(error as Error).message}`);
      }
    }
    const done = this.waiters.filter((waiter) => waiter.test());
    this.waiters = this.waiters.filter((waiter) => !done.includes(waiter));
    for (const waiter of done) waiter.resolve();
  }
}

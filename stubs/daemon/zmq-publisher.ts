import { XPublisher } from 'zeromq';
import { encodeZmqMessage, type ZmqMessage } from '../../protocol/fluxd/index.js';

/**
 * One view's ZMQ publishing socket. Messages are encoded when the tip event happens (so the
 * frames match the state at that instant) and sent strictly one at a time: zeromq allows a
 * single send in flight per socket. It is an XPUB, which subscribers cannot tell from fluxd's
 * PUB, so the stub sees subscriptions arrive and callers can wait for a subscriber instead of
 * guessing how long ZMQ's subscription handshake takes.
 */

export interface ZmqPublisherOptions {
  /** `tcp://host:port`; port 0 binds an ephemeral port. */
  endpoint: string;
  onSendError?: (error: Error) => void;
}

interface SubscriptionWaiter {
  count: number;
  resolve: () => void;
}

export class ZmqPublisher {
  private readonly socket = new XPublisher({ linger: 0 });
  private readonly queue: [Buffer, Buffer, Buffer][] = [];
  private pumping: Promise<void> | null = null;
  private boundEndpoint = '';
  private readonly requested: string;
  private readonly onSendError: (error: Error) => void;
  private subscriptionCount = 0;
  private waiters: SubscriptionWaiter[] = [];

  constructor(options: ZmqPublisherOptions) {
    this.requested = options.endpoint;
    this.onSendError = options.onSendError ?? (() => {});
    this.socket.verbosity = 'allSubsUnsubs';
  }

  /** Binds the socket; the resolved endpoint has the real port. */
  async bind(): Promise<string> {
    const endpoint = this.requested.replace(/:0$/, ':*');
    try {
      await this.socket.bind(endpoint);
    } catch (error) {
      throw new Error(`zmq bind ${this.requested}: ${(error as Error).message}`);
    }
    this.boundEndpoint = this.socket.lastEndpoint ?? endpoint;
    void this.readSubscriptions();
    return this.boundEndpoint;
  }

  get endpoint(): string {
    return this.boundEndpoint;
  }

  /** Resolves once at least `count` subscriptions are active; rejects after `timeoutMs`. */
  waitForSubscriptions(count: number, timeoutMs: number): Promise<void> {
    if (this.subscriptionCount >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: SubscriptionWaiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(
          new Error(
            `${this.boundEndpoint}: ${this.subscriptionCount} subscription(s) after ${timeoutMs} ms, waited for ${count}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Queues the messages. With no subscription nothing is encoded: a PUB socket drops them
   * anyway, and 16 views × a large delta is most of a block's cost.
   */
  publish(messages: readonly ZmqMessage[]): void {
    if (this.socket.closed || this.subscriptionCount === 0) return;
    for (const message of messages) this.queue.push(encodeZmqMessage(message));
    this.pumping ??= this.pump();
  }

  /** Resolves once every queued message has been handed to the socket. */
  async flush(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  async close(): Promise<void> {
    await this.flush();
    this.socket.close();
  }

  private async pump(): Promise<void> {
    try {
      for (let frames = this.queue.shift(); frames; frames = this.queue.shift()) {
        try {
          await this.socket.send(frames);
        } catch (error) {
          this.onSendError(error as Error);
        }
      }
    } finally {
      this.pumping = null;
    }
  }

  /** XPUB delivers `[0x01 | 0x00, prefix…]` for each subscribe / unsubscribe. */
  private async readSubscriptions(): Promise<void> {
    try {
      for await (const [frame] of this.socket) {
        if (frame?.[0] === 1) this.subscriptionCount += 1;
        else if (frame?.[0] === 0) this.subscriptionCount = Math.max(0, this.subscriptionCount - 1);
        const ready = this.waiters.filter((waiter) => this.subscriptionCount >= waiter.count);
        this.waiters = this.waiters.filter((waiter) => this.subscriptionCount < waiter.count);
        for (const waiter of ready) waiter.resolve();
      }
    } catch {
      // The socket was closed: nothing more will arrive.
    }
  }
}

import {
  DELTA_FLAG_REORG,
  NODE_STATUS,
  type NodeStatusBody,
  type OutPoint,
  outpointKey,
  type ZmqMessage,
  type ZmqTopic,
} from '../../protocol/fluxd/index.js';
import type { Block } from './block.js';
import type { ChainView, ViewEvent } from './view.js';

/**
 * fluxd's ZMQ notifiers for one daemon, without the socket: turns a view's tip events into the
 * messages fluxd would publish, in its order (§3, §5.3): `chainreorg` inside the step, then the
 * UpdatedBlockTip batch `fluxnodelistdelta`, `fluxnodestatus`, `hashblock`, `hashblockheight`.
 */

export interface NotifierOptions {
  view: ChainView;
  /** The configured collateral (`-zelnodeoutpoint`) when the view runs as a fluxnode. */
  ownOutpoint?: OutPoint;
  /** IBD: no UpdatedBlockTip batch at all (chainreorg still fires). */
  isInitialBlockDownload: () => boolean;
}

type StatusFields = Omit<NodeStatusBody, 'height' | 'outpoint'>;

export class TipNotifier {
  private readonly view: ChainView;
  private readonly ownOutpoint: OutPoint | undefined;
  private readonly isIbd: () => boolean;
  private readonly seq = new Map<ZmqTopic, number>();
  private sawFirstTip = false;
  private lastDeltaHeight = 0;
  /** The latest chainreorg's old tip; only building the next delta clears it (Q6). */
  private reorgOldTip: Block | null = null;
  /** fluxd removes a notifier whose send failed; the delta one fails when from_height left the chain (§5.3.8). */
  private deltaRemoved = false;
  private lastStatus: StatusFields | null = null;

  constructor(options: NotifierOptions) {
    this.view = options.view;
    this.ownOutpoint = options.ownOutpoint;
    this.isIbd = options.isInitialBlockDownload;
  }

  /** The messages for one view event, sequence numbers assigned. */
  messagesFor(event: ViewEvent): ZmqMessage[] {
    if (event.type === 'reorg') return [this.chainReorg(event)];
    if (this.isIbd()) return [];
    const messages: ZmqMessage[] = [];
    const delta = this.delta(event.tip);
    if (delta) messages.push(delta);
    const status = this.status(event.tip);
    if (status) messages.push(status);
    messages.push({ topic: 'hashblock', seq: this.next('hashblock'), body: { hash: event.tip.hash } });
    messages.push({
      topic: 'hashblockheight',
      seq: this.next('hashblockheight'),
      body: { hash: event.tip.hash, height: event.tip.height },
    });
    this.sawFirstTip = true;
    return messages;
  }

  private chainReorg(event: Extract<ViewEvent, { type: 'reorg' }>): ZmqMessage {
    this.reorgOldTip = event.oldTip;
    return {
      topic: 'chainreorg',
      seq: this.next('chainreorg'),
      body: {
        oldHash: event.oldTip.hash,
        oldHeight: event.oldTip.height,
        newHash: event.newTip.hash,
        newHeight: event.newTip.height,
        forkHash: event.fork.hash,
        forkHeight: event.fork.height,
      },
    };
  }

  private delta(tip: Block): ZmqMessage | undefined {
    const { recorder } = this.view;
    if (!this.sawFirstTip || this.deltaRemoved) {
      // The first batch after start only primes the notifier; clients bootstrap from a snapshot.
      recorder.clear();
      this.lastDeltaHeight = tip.height;
      return undefined;
    }
    const fromHeight = this.lastDeltaHeight;
    const reorgOld = this.reorgOldTip;
    this.reorgOldTip = null;
    const fromHash = reorgOld?.hash ?? this.view.blockAt(fromHeight)?.hash;
    const sections = recorder.take();
    this.lastDeltaHeight = tip.height;
    if (fromHash === undefined) {
      this.deltaRemoved = true;
      return undefined;
    }
    return {
      topic: 'fluxnodelistdelta',
      seq: this.next('fluxnodelistdelta'),
      body: {
        fromHeight,
        toHeight: tip.height,
        fromHash,
        toHash: tip.hash,
        flags: reorgOld ? DELTA_FLAG_REORG : 0,
        ...sections,
      },
    };
  }

  private status(tip: Block): ZmqMessage | undefined {
    if (!this.ownOutpoint) return undefined;
    const fields = this.statusFields();
    if (this.lastStatus && sameStatus(this.lastStatus, fields)) return undefined;
    this.lastStatus = fields;
    return {
      topic: 'fluxnodestatus',
      seq: this.next('fluxnodestatus'),
      body: { height: tip.height, ...fields, outpoint: this.ownOutpoint },
    };
  }

  private statusFields(): StatusFields {
    const key = outpointKey(this.ownOutpoint!);
    const { state } = this.view;
    const listed = state.list.get(key);
    if (listed) {
      return {
        status: NODE_STATUS.CONFIRMED,
        tier: listed.tier,
        confirmedHeight: listed.confirmedHeight,
        lastConfirmedHeight: listed.lastConfirmedHeight,
        lastPaidHeight: listed.lastPaidHeight,
        ip: listed.ip,
      };
    }
    const tracked = state.started.get(key) ?? state.dos.get(key);
    return {
      status: state.statusOf(key),
      tier: tracked?.identity.tier ?? 0,
      confirmedHeight: 0,
      lastConfirmedHeight: 0,
      lastPaidHeight: 0,
      ip: '',
    };
  }

  /** Per-topic u32 counter from 0, +1 per message, wrapping at 2^32 (§2). */
  private next(topic: ZmqTopic): number {
    const current = this.seq.get(topic) ?? 0;
    this.seq.set(topic, (current + 1) >>> 0);
    return current;
  }
}

function sameStatus(a: StatusFields, b: StatusFields): boolean {
  return (
    a.status === b.status &&
    a.tier === b.tier &&
    a.confirmedHeight === b.confirmedHeight &&
    a.lastConfirmedHeight === b.lastConfirmedHeight &&
    a.lastPaidHeight === b.lastPaidHeight &&
    a.ip === b.ip
  );
}

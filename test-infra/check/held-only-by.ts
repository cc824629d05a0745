/**
 * A "sometimes" probe for faults that split the nodes: fails (a divergence sample) when every
 * holder has an event, same key and content, that none of the lacking nodes has. Recorded with
 * recordDivergence, `sometimes(history, {predicate: diverged(name)})` can then require that a
 * partition or a skewed clock really kept the groups apart. Natural gossip lag seldom passes for
 * it: every holder must already agree on the event.
 */
import { type AppStateEventDoc, eventAt } from '../../protocol/appstate/documents.js';
import type { CheckResult } from './check-result.js';
import { canonicalJson } from './diff-format.js';
import { comparableEvent, describeEvent, eventKey } from './event-log-check.js';
import type { PerNodeState } from './node-state.js';

export interface HeldOnlyByOptions {
  /** The check's name in the history (diverged(name) finds its failing samples). */
  name: string;
  holders: readonly number[];
  lacking: readonly number[];
  /** Only events broadcast (evictions: created) at or after this epoch ms count. */
  sinceWall: number;
  /** Only events this IP speaks for (e.g. a skewed node's own announcements). */
  ip?: string;
}

const MAX_DIFF_LINES = 5;

function fingerprint(doc: AppStateEventDoc): string {
  return `${eventKey(doc)} ${canonicalJson(comparableEvent(doc))}`;
}

export function heldOnlyBy(states: readonly PerNodeState[], options: HeldOnlyByOptions): CheckResult {
  const byNode = new Map(states.map(({ node, state }) => [node, state.events] as const));
  const who = `nodes ${options.holders.join(', ')} vs ${options.lacking.join(', ')}`;
  const unread = [...options.holders, ...options.lacking].filter((node) => !byNode.has(node));
  if (options.holders.length === 0 || unread.length > 0) {
    const reason = unread.length > 0 ? `no state for node(s) ${unread.join(', ')}` : 'no holders';
    return { name: options.name, ok: true, summary: `${who}: not comparable, ${reason}`, diff: [] };
  }
  const lackingPrints = new Set(options.lacking.flatMap((node) => byNode.get(node)!.map(fingerprint)));
  const [first, ...rest] = options.holders.map((node) => byNode.get(node)!);
  const restPrints = rest.map((events) => new Set(events.map(fingerprint)));
  const shared = first!.filter((doc) => {
    const print = fingerprint(doc);
    return (
      eventAt(doc) >= options.sinceWall &&
      (options.ip === undefined || doc.ip === options.ip) &&
      restPrints.every((prints) => prints.has(print)) &&
      !lackingPrints.has(print)
    );
  });
  if (shared.length === 0) {
    return { name: options.name, ok: true, summary: `${who}: nothing held by the holders only`, diff: [] };
  }
  return {
    name: options.name,
    ok: false,
    summary: `${who}: ${shared.length} event(s) held by every holder and by no lacking node`,
    diff: shared.slice(0, MAX_DIFF_LINES).map((doc) => `${eventKey(doc)}: ${describeEvent(doc)}`),
  };
}

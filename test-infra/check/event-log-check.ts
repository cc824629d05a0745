/**
 * Event-log convergence: every live node holds the same app-state events, keyed `{ip, type, dedupKey}`
 * (fluxos-node.md §2), with the same content.
 *
 * Left out as node-local: `_id`, `receivedAt` (when this node heard it; the sync path keeps the
 * sender's), and for evicted events `createdAt` and `expireAt`, which each node stamps with its own
 * clock (a synced eviction is re-stamped on arrival, §4.2). An eviction is compared by presence.
 * Signed events keep `expireAt`: it is `broadcastedAt` + the event TTL on every node.
 */
import { COLLECTION_NAMES } from '../../protocol/appstate/collections.js';
import type { AppStateEventDoc } from '../../protocol/appstate/documents.js';
import { type CheckResult, capDiff, notComparable } from './check-result.js';
import { crossNodeDiff, nodesLabel } from './diff-format.js';
import type { PerNodeState } from './node-state.js';

export const EVENT_LOG_CHECK = 'event-log-converged';
/** Names the collection, so a diff says where to look. */
const SUBJECT = `event log (${COLLECTION_NAMES.appStateEvents})`;

const MAX_APP_NAMES = 6;
const NODE_LOCAL_FIELDS = new Set(['_id', 'receivedAt']);
const NODE_LOCAL_EVICTION_FIELDS = new Set(['createdAt', 'expireAt']);

export function eventKey(doc: Pick<AppStateEventDoc, 'type' | 'ip' | 'dedupKey'>): string {
  return `${doc.type} ${doc.ip} ${doc.dedupKey}`;
}

/** The event as compared across nodes: node-local fields left out. */
export function comparableEvent(doc: AppStateEventDoc): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(doc).filter(
      ([field]) => !NODE_LOCAL_FIELDS.has(field) && !(doc.type === 'evicted' && NODE_LOCAL_EVICTION_FIELDS.has(field)),
    ),
  );
}

/** `broadcastedAt=… apps=[web, db]` and the like: what a person needs to tell two versions apart. */
export function describeEvent(doc: AppStateEventDoc): string {
  if (doc.type === 'evicted') return 'an eviction';
  const at = `broadcastedAt=${doc.broadcastedAt}`;
  switch (doc.type) {
    case 'apprunning':
      return doc.data.version === 2
        ? `${at} apps=[${appNames(doc.data.apps.map((app) => app.name))}]`
        : `${at} hash=${doc.data.hash}`;
    case 'ipchanged':
      return `${at} newIP=${doc.data.newIP}`;
    default:
      return at;
  }
}

function appNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_APP_NAMES).join(', ');
  return names.length > MAX_APP_NAMES ? `${shown}, +${names.length - MAX_APP_NAMES} more` : shown;
}

export function eventLogConverged(
  states: readonly PerNodeState[],
  options: { maxDiffLines?: number } = {},
): CheckResult {
  if (states.length === 0) return notComparable(EVENT_LOG_CHECK, 'no live node states to compare');
  const perNode = states.map(({ node, state }) => ({
    node,
    items: new Map(state.events.map((doc) => [eventKey(doc), doc] as const)),
  }));
  const diff = crossNodeDiff({ perNode, comparable: comparableEvent, describe: describeEvent, keyLabel: (key) => key });
  const nodes = nodesLabel(states.map(({ node }) => node));
  if (diff.differing === 0) {
    return {
      name: EVENT_LOG_CHECK,
      ok: true,
      summary: `${SUBJECT}: the same ${diff.keys} events on ${nodes}`,
      diff: [],
    };
  }
  return {
    name: EVENT_LOG_CHECK,
    ok: false,
    summary: `${SUBJECT}: ${diff.differing} of ${diff.keys} event keys differ across ${nodes}`,
    diff: capDiff(diff.lines, options.maxDiffLines),
  };
}

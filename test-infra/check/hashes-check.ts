/**
 * Hash sync (fluxos-node.md §6): every app-message hash referenced on the active chain is resolved on
 * every live node. Resolved means both halves of FluxOS's promotion: the body is in
 * `zelappsmessages` and a `zelappshashes` row for the hash says `message: true`. Either half alone
 * is reported, since it is a promotion caught half-way or a store out of step.
 */
import { type CheckResult, capDiff, notComparable } from './check-result.js';
import { nodesLabel } from './diff-format.js';
import type { AppHashState, NodeState, PerNodeState } from './node-state.js';

export const HASHES_CHECK = 'hashes-converged';

export interface HashesCheckOptions {
  /** Hashes in app-message transactions of the active chain (e.g. from the daemon stub). */
  referencedHashes: readonly string[];
  maxDiffLines?: number;
}

interface HashIndex {
  rows: ReadonlyMap<string, AppHashState[]>;
  bodies: ReadonlySet<string>;
}

function indexHashes(state: NodeState): HashIndex {
  const rows = new Map<string, AppHashState[]>();
  for (const row of state.hashes) rows.set(row.hash, [...(rows.get(row.hash) ?? []), row]);
  return { rows, bodies: new Set(state.permanentMessages) };
}

/** Why a node has not resolved a hash, or undefined when it has. */
function unresolvedReason(index: HashIndex, hash: string): string | undefined {
  const rows = index.rows.get(hash) ?? [];
  const hasBody = index.bodies.has(hash);
  const marked = rows.some((row) => row.message);
  if (marked && hasBody) return undefined;
  const body = hasBody ? 'body in zelappsmessages' : 'no body in zelappsmessages';
  if (rows.length === 0) return `no zelappshashes row, ${body}`;
  return `${rows.map(describeRow).join(', ')}, ${body}`;
}

function describeRow(row: AppHashState): string {
  const notFound = row.messageNotFound ? ' messageNotFound=true' : '';
  return `row at height ${row.height} message=${row.message}${notFound}`;
}

export function hashesConverged(states: readonly PerNodeState[], options: HashesCheckOptions): CheckResult {
  if (states.length === 0) return notComparable(HASHES_CHECK, 'no live node states to compare');
  const hashes = [...new Set(options.referencedHashes)];
  const indexed = states.map(({ node, state }) => ({ node, index: indexHashes(state) }));
  const lines: string[] = [];
  for (const hash of hashes) {
    const unresolved: string[] = [];
    const resolved: number[] = [];
    for (const { node, index } of indexed) {
      const reason = unresolvedReason(index, hash);
      if (reason === undefined) resolved.push(node);
      else unresolved.push(`node ${node} (${reason})`);
    }
    if (unresolved.length === 0) continue;
    const resolvedPart = resolved.length > 0 ? `; resolved on ${nodesLabel(resolved)}` : '; resolved nowhere';
    lines.push(`hash ${hash}: unresolved on ${unresolved.join(', ')}${resolvedPart}`);
  }
  const nodes = nodesLabel(states.map(({ node }) => node));
  if (lines.length === 0) {
    return {
      name: HASHES_CHECK,
      ok: true,
      summary: `hashes: all ${hashes.length} referenced hashes resolved on ${nodes}`,
      diff: [],
    };
  }
  return {
    name: HASHES_CHECK,
    ok: false,
    summary: `hashes: ${lines.length} of ${hashes.length} referenced hashes unresolved somewhere on ${nodes}`,
    diff: capDiff(lines, options.maxDiffLines),
  };
}

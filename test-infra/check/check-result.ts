/** What every checker returns: a verdict, one line for the report, and a per-key diff for a person. */
export interface CheckResult {
  name: string;
  ok: boolean;
  summary: string;
  /** Empty when ok. One readable line per differing key, capped (see capDiff). */
  diff: string[];
}

export const DEFAULT_MAX_DIFF_LINES = 40;

/** Keeps the first `max` lines and says how many were left out, so a huge divergence stays readable. */
export function capDiff(lines: readonly string[], max = DEFAULT_MAX_DIFF_LINES): string[] {
  if (lines.length <= max) return [...lines];
  return [...lines.slice(0, max), `… and ${lines.length - max} more`];
}

/** A failed check for states that cannot be compared at all (no live node, unreadable input). */
export function notComparable(name: string, reason: string): CheckResult {
  return { name, ok: false, summary: `${name}: ${reason}`, diff: [reason] };
}

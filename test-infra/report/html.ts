/**
 * Escaping for everything a report or dashboard prints: node payloads, event names and diffs are
 * untrusted (a node under test may send anything), so every value goes through `escapeHtml`.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element text and in quoted attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

/** `+12.34 s` from milliseconds; `+850 ms` below a second. */
export function formatOffset(ms: number): string {
  return ms < 1_000 && ms > -1_000 ? `+${Math.round(ms)} ms` : `+${(ms / 1_000).toFixed(2)} s`;
}

/** `1.23 s` / `850 ms`: a duration, not a point in time. */
export function formatDuration(ms: number): string {
  return Math.abs(ms) < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(2)} s`;
}

/** Compact JSON of an untrusted value, cut to `max` characters (never throws on cycles or bigints). */
export function shortJson(value: unknown, max = 160): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, inner) => (typeof inner === 'bigint' ? inner.toString() : inner)) ?? '';
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

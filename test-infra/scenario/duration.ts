/**
 * Durations in scenario files: a number of milliseconds (`1500`) or a number with a unit (`500ms`,
 * `2s`, `1.5s`, `7min`, `1h`). Signed durations (`-30s`) only where a field allows them (clock offsets).
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, min: 60_000, h: 3_600_000 };
const DURATION = /^([+-]?)(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)$/;

export const DURATION_HINT = 'a number of ms or a number with a unit: 500ms, 2s, 7min, 1h';

/** Milliseconds (rounded to whole ms), or undefined when `value` is not a duration. */
export function parseDuration(value: unknown, { signed = false }: { signed?: boolean } = {}): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (!signed && value < 0)) return undefined;
    return Math.round(value);
  }
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const [, sign, amount, unit] = match;
  if (sign === '-' && !signed) return undefined;
  const ms = Math.round(Number(amount) * UNIT_MS[unit!]!);
  return sign === '-' ? -ms : ms;
}

/** `1500` -> `1.5 s`, for summaries. */
export function formatMs(ms: number): string {
  if (Math.abs(ms) < 1_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1_000).toFixed(1)} s`;
}

const HASH_HEX = /^[0-9a-f]{64}$/;
const EVEN_HEX = /^(?:[0-9a-f]{2})*$/;

/** 32-byte hash as 64 lowercase hex chars, the only spelling the API uses. */
export function isHashHex(value: unknown): value is string {
  return typeof value === 'string' && HASH_HEX.test(value);
}

/** Any whole number of bytes as lowercase hex ('' is zero bytes). */
export function isLowerHex(value: unknown): value is string {
  return typeof value === 'string' && EVEN_HEX.test(value);
}

/** Short printable form of a bad input for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
    return `${JSON.stringify(shown)} (${value.length} chars)`;
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return typeof value;
}

import { describeValue, isHashHex } from './hex.js';
import type { OutPoint } from './types.js';

/**
 * fluxd's `COutPoint <` (spec §1): memcmp over the INTERNAL txid bytes (display hex reversed),
 * then n. Comparing display hex directly gives the wrong order. Returns <0, 0 or >0.
 */
export function compareOutpoints(a: OutPoint, b: OutPoint): number {
  assertOutpoint(a, 'a');
  assertOutpoint(b, 'b');
  // Walk the display hex from its last byte (internal byte 0) forwards; for lowercase hex,
  // comparing the two chars of a byte in order is the same as comparing the byte values.
  for (let i = 62; i >= 0; i -= 2) {
    const diff = a.txid.charCodeAt(i) - b.txid.charCodeAt(i) || a.txid.charCodeAt(i + 1) - b.txid.charCodeAt(i + 1);
    if (diff !== 0) return diff;
  }
  return a.n - b.n;
}

/**
 * Outpoint objects already checked. Sorting and binary search compare the same objects many times
 * (the node list stores frozen entries), so each is validated once rather than on every comparison.
 */
const checked = new WeakSet<OutPoint>();

function assertOutpoint(op: OutPoint, label: string): void {
  if (checked.has(op)) return;
  if (!isHashHex(op.txid)) {
    throw new RangeError(
      `compareOutpoints: ${label}.txid must be 64 lowercase hex chars, got ${describeValue(op.txid)}`,
    );
  }
  if (!Number.isInteger(op.n) || op.n < 0 || op.n > 0xffff_ffff) {
    throw new RangeError(`compareOutpoints: ${label}.n must be an integer 0..4294967295, got ${describeValue(op.n)}`);
  }
  if (Object.isFrozen(op)) checked.add(op);
}

/**
 * Reads app-message hashes out of a `getblock <hash> 2` result: a tx whose OP_RETURN pushes the
 * 64 ASCII hex characters of a message hash (fluxos-node.md §6). FluxOS decodes the asm data as hex
 * and then as text, so the same is done here.
 */

export interface AppHashInBlock {
  txid: string;
  hash: string;
  /** FLUX paid by the tx's largest non-OP_RETURN output (the registration fee). */
  value: number;
}

interface VoutLike {
  value?: unknown;
  scriptPubKey?: { asm?: unknown; type?: unknown };
}

interface TxLike {
  txid?: unknown;
  vout?: unknown;
}

const APP_HASH = /^[0-9a-f]{64}$/;

export function appHashesInBlock(block: { tx?: unknown }): AppHashInBlock[] {
  if (!Array.isArray(block.tx)) return [];
  const found: AppHashInBlock[] = [];
  for (const tx of block.tx as TxLike[]) {
    if (typeof tx !== 'object' || tx === null || typeof tx.txid !== 'string' || !Array.isArray(tx.vout)) continue;
    const outputs = tx.vout as VoutLike[];
    const hash = outputs.map(opReturnText).find((text) => text !== undefined && APP_HASH.test(text));
    if (hash === undefined) continue;
    const paid = outputs.filter((out) => opReturnText(out) === undefined).map((out) => Number(out.value) || 0);
    found.push({ txid: tx.txid, hash, value: Math.max(0, ...paid) });
  }
  return found;
}

function opReturnText(out: VoutLike): string | undefined {
  const asm = out.scriptPubKey?.asm;
  if (typeof asm !== 'string' || !asm.startsWith('OP_RETURN ')) return undefined;
  const data = asm.slice('OP_RETURN '.length).trim();
  if (!/^([0-9a-fA-F]{2})+$/.test(data)) return undefined;
  return Buffer.from(data, 'hex').toString('latin1');
}

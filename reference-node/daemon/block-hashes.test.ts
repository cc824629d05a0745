import { describe, expect, it } from 'vitest';
import { appHashesInBlock } from './block-hashes.js';

const HASH = 'ab'.repeat(32);
const opReturn = (text: string) => ({
  value: 0,
  scriptPubKey: { asm: `OP_RETURN ${Buffer.from(text, 'latin1').toString('hex')}`, type: 'nulldata' },
});
const pay = (value: number) => ({ value, scriptPubKey: { asm: 'OP_DUP OP_HASH160 00 OP_EQUALVERIFY OP_CHECKSIG' } });

describe('appHashesInBlock', () => {
  it('finds the 64-hex ASCII OP_RETURN hash and the fee paid', () => {
    const block = {
      tx: [
        { txid: 'coinbase', vout: [pay(9)] },
        { txid: 'app', vout: [pay(1.5), opReturn(HASH)] },
        { txid: 'other-data', vout: [pay(1), opReturn('hello')] },
        { txid: 'upper-case', vout: [opReturn(HASH.toUpperCase())] },
      ],
    };
    expect(appHashesInBlock(block)).toEqual([{ txid: 'app', hash: HASH, value: 1.5 }]);
  });

  it('tolerates malformed blocks', () => {
    expect(appHashesInBlock({})).toEqual([]);
    expect(
      appHashesInBlock({
        tx: ['abc', null, { txid: 1 }, { txid: 'x', vout: [{ scriptPubKey: { asm: 'OP_RETURN zz' } }] }],
      }),
    ).toEqual([]);
  });
});

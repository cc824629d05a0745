import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { appHashesOfBlock, appHashOfAsm } from './chain-hashes.js';

const HASH = 'ab'.repeat(32);
const pushed = (text: string) => `OP_RETURN ${Buffer.from(text, 'latin1').toString('hex')}`;

describe('appHashOfAsm', () => {
  it('reads the 64 ASCII hex characters an app-message OP_RETURN pushes', () => {
    expect(appHashOfAsm(pushed(HASH))).toBe(HASH);
  });

  it('ignores other scripts and other OP_RETURN payloads', () => {
    expect(appHashOfAsm('OP_DUP OP_HASH160 00 OP_EQUALVERIFY OP_CHECKSIG')).toBeUndefined();
    expect(appHashOfAsm(pushed('not a hash'))).toBeUndefined();
    expect(appHashOfAsm(`OP_RETURN ${HASH}`)).toBeUndefined();
    expect(appHashOfAsm('OP_RETURN zz')).toBeUndefined();
    expect(appHashOfAsm(undefined)).toBeUndefined();
  });
});

describe('appHashesOfBlock', () => {
  it('lists one entry per app-message tx with its txid and the given height', () => {
    const block = {
      tx: [
        { txid: 'coinbase', vout: [{ scriptPubKey: { asm: 'OP_DUP OP_HASH160 00 OP_EQUALVERIFY OP_CHECKSIG' } }] },
        { txid: 'app', vout: [{ scriptPubKey: { asm: 'OP_DUP' } }, { scriptPubKey: { asm: pushed(HASH) } }] },
      ],
    };
    expect(appHashesOfBlock(block, 7)).toEqual([{ hash: HASH, height: 7, txid: 'app' }]);
  });

  it('reads a block without transactions as none', () => {
    expect(appHashesOfBlock({}, 3)).toEqual([]);
  });
});

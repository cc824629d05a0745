import { createHash, createPublicKey, verify as opensslVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import { magicHash, publicKeyFromPrivate, recoverMessageSigner, signMessage, verifyMessage } from './signing.js';

const node1 = keys.nodes[0]!;
const node2 = keys.nodes[1]!;

/** SPKI DER of a secp256k1 public key, so OpenSSL can check signatures without our code. */
function opensslKey(pubkeyHex: string) {
  const prefix =
    pubkeyHex.length === 66
      ? '3036301006072a8648ce3d020106052b8104000a032200'
      : '3056301006072a8648ce3d020106052b8104000a034200';
  return createPublicKey({ key: Buffer.from(prefix + pubkeyHex, 'hex'), format: 'der', type: 'spki' });
}

/** The signed-message preimage built by hand, independent of signing.ts. */
function preimageByHand(message: string): Buffer {
  const magic = Buffer.from('Bitcoin Signed Message:\n', 'utf8');
  const body = Buffer.from(message, 'utf8');
  const length =
    body.length < 0xfd ? Buffer.from([body.length]) : Buffer.from([0xfd, body.length & 0xff, body.length >> 8]);
  return Buffer.concat([Buffer.from([magic.length]), magic, length, body]);
}

/** OpenSSL verifies ECDSA over sha256(input); feeding sha256(preimage) makes that sha256d(preimage). */
function opensslAccepts({ message, pubkeyHex, signature }: { message: string; pubkeyHex: string; signature: string }) {
  const once = createHash('sha256').update(preimageByHand(message)).digest();
  const rs = Buffer.from(signature, 'base64').subarray(1);
  return opensslVerify('sha256', once, { key: opensslKey(pubkeyHex), dsaEncoding: 'ieee-p1363' }, rs);
}

describe('Bitcoin signed-message signatures', () => {
  it('reproduces the widely published bitcoinjs-message example (key sha256(""), RFC 6979)', () => {
    const privkeyHex = createHash('sha256').update('').digest('hex');
    const signature = signMessage({ message: 'This is an example of a signed message.', privkeyHex });
    expect(signature).toBe('H9L5yLFjti0QTHhPyFrZCT1V/MMnBtXKmoiKDZ78NDBjERki6ZTQZdSMCtkgoNmp17By9ItJr8o7ChX0XxY91nk=');
  });

  it.each([
    [
      'an envelope string',
      '1{"type":"fluxnodesigterm","version":1,"ip":"198.18.0.3","broadcastedAt":1700000000000}1700000000000',
    ],
    ['unicode', 'apprunning ✓ für alle 🚀'],
    ['a 300-byte message (3-byte length prefix)', 'x'.repeat(300)],
    ['an empty message', ''],
  ])('signs %s so that OpenSSL verifies it against a hand-built digest', (_label, message) => {
    const signature = signMessage({ message, privkeyHex: node1.privkey });
    expect(Buffer.from(signature, 'base64')).toHaveLength(65);
    expect(opensslAccepts({ message, pubkeyHex: node1.pubkey, signature })).toBe(true);
    expect(opensslAccepts({ message, pubkeyHex: node2.pubkey, signature })).toBe(false);
    expect(Buffer.from(magicHash(message)).toString('hex')).toBe(
      createHash('sha256')
        .update(createHash('sha256').update(preimageByHand(message)).digest())
        .digest('hex'),
    );
  });

  it('uses header 31/32 for compressed keys and recovers the signer', () => {
    const signature = signMessage({ message: 'hello', privkeyHex: node1.privkey });
    expect([31, 32]).toContain(Buffer.from(signature, 'base64')[0]);
    expect(recoverMessageSigner({ message: 'hello', signature })).toBe(node1.pubkey);
    expect(verifyMessage({ message: 'hello', pubkeyHex: node1.pubkey, signature })).toBe(true);
    expect(verifyMessage({ message: 'hello', pubkeyHex: node1.pubkey.toUpperCase(), signature })).toBe(true);
  });

  it('signs for the uncompressed key when asked (header 27/28)', () => {
    const signature = signMessage({ message: 'hello', privkeyHex: node1.privkey, compressed: false });
    const uncompressed = recoverMessageSigner({ message: 'hello', signature })!;
    expect([27, 28]).toContain(Buffer.from(signature, 'base64')[0]);
    expect(uncompressed).toMatch(/^04[0-9a-f]{128}$/);
    expect(opensslAccepts({ message: 'hello', pubkeyHex: uncompressed, signature })).toBe(true);
    expect(verifyMessage({ message: 'hello', pubkeyHex: uncompressed, signature })).toBe(true);
    // bitcoinjs-message compares addresses: the compressed key's address differs, so this must fail.
    expect(verifyMessage({ message: 'hello', pubkeyHex: node1.pubkey, signature })).toBe(false);
  });

  it('derives the fixture public keys from the fixture private keys', () => {
    for (const node of keys.nodes) expect(publicKeyFromPrivate(node.privkey)).toBe(node.pubkey);
  });

  describe('tampering and garbage', () => {
    const message = 'fluxnet tamper test';
    const signature = signMessage({ message, privkeyHex: node1.privkey });
    const bytes = Buffer.from(signature, 'base64');
    const withByte = (index: number, value: number) => {
      const copy = Buffer.from(bytes);
      copy[index] = value;
      return copy.toString('base64');
    };

    it.each([
      ['another message', { message: `${message}!`, pubkeyHex: node1.pubkey, signature }],
      ['another key', { message, pubkeyHex: node2.pubkey, signature }],
      ['a flipped r byte', { message, pubkeyHex: node1.pubkey, signature: withByte(5, bytes[5]! ^ 0x01) }],
      ['a flipped s byte', { message, pubkeyHex: node1.pubkey, signature: withByte(60, bytes[60]! ^ 0x80) }],
      [
        'the other recovery id',
        { message, pubkeyHex: node1.pubkey, signature: withByte(0, bytes[0] === 31 ? 32 : 31) },
      ],
      ['header 26 (out of range)', { message, pubkeyHex: node1.pubkey, signature: withByte(0, 26) }],
      ['header 35 (out of range)', { message, pubkeyHex: node1.pubkey, signature: withByte(0, 35) }],
      [
        'a truncated signature',
        { message, pubkeyHex: node1.pubkey, signature: bytes.subarray(0, 64).toString('base64') },
      ],
      ['an empty signature', { message, pubkeyHex: node1.pubkey, signature: '' }],
      ['non-base64 text', { message, pubkeyHex: node1.pubkey, signature: 'not base64 at all!!' }],
      [
        'r = 0',
        {
          message,
          pubkeyHex: node1.pubkey,
          signature: Buffer.concat([bytes.subarray(0, 1), Buffer.alloc(64)]).toString('base64'),
        },
      ],
      [
        'r, s = 0xff..ff',
        {
          message,
          pubkeyHex: node1.pubkey,
          signature: Buffer.concat([bytes.subarray(0, 1), Buffer.alloc(64, 0xff)]).toString('base64'),
        },
      ],
      ['a garbage public key', { message, pubkeyHex: 'zz', signature }],
    ])('rejects %s without throwing', (_label, input) => {
      expect(verifyMessage(input)).toBe(false);
    });

    it('rejects non-string inputs without throwing', () => {
      expect(verifyMessage({ message, pubkeyHex: node1.pubkey, signature: 42 as unknown as string })).toBe(false);
      expect(verifyMessage({ message: undefined as unknown as string, pubkeyHex: node1.pubkey, signature })).toBe(
        false,
      );
      expect(verifyMessage({ message, pubkeyHex: null as unknown as string, signature })).toBe(false);
    });
  });
});

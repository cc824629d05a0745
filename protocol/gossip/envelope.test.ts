import { describe, expect, it } from 'vitest';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import {
  broadcastSignedString,
  canonicalJson,
  messageCacheKey,
  parseSignedBroadcast,
  signBroadcast,
  verifyBroadcast,
} from './envelope.js';
import { verifyMessage } from './signing.js';

const node1 = keys.nodes[0]!;
const node2 = keys.nodes[1]!;
const data = { type: 'fluxnodesigterm', version: 1, ip: '198.18.0.1', broadcastedAt: 1_700_000_000_000 };
const timestamp = 1_700_000_000_123;

describe('signed broadcast envelope', () => {
  const envelope = signBroadcast({ data, privkeyHex: node1.privkey, pubkeyHex: node1.pubkey, timestamp });

  it('has FluxOS fields and signs "1" + JSON.stringify(data) + timestamp', () => {
    expect(Object.keys(envelope)).toEqual(['version', 'timestamp', 'pubKey', 'signature', 'data']);
    expect(envelope).toMatchObject({ version: 1, timestamp, pubKey: node1.pubkey, data });
    const expected = `1${JSON.stringify(data)}${timestamp}`;
    expect(broadcastSignedString({ data, timestamp })).toBe(expected);
    expect(verifyMessage({ message: expected, pubkeyHex: node1.pubkey, signature: envelope.signature })).toBe(true);
    expect(verifyBroadcast(envelope)).toBe(true);
  });

  it('survives a JSON round trip (what a peer receives)', () => {
    expect(verifyBroadcast(JSON.parse(JSON.stringify(envelope)))).toBe(true);
  });

  it.each([
    ['changed data', { ...envelope, data: { ...data, broadcastedAt: data.broadcastedAt + 1 } }],
    [
      'reordered data keys',
      { ...envelope, data: { version: 1, type: 'fluxnodesigterm', ip: data.ip, broadcastedAt: data.broadcastedAt } },
    ],
    ['changed timestamp', { ...envelope, timestamp: timestamp + 1 }],
    ['another pubKey', { ...envelope, pubKey: node2.pubkey }],
    ['another version', { ...envelope, version: 2 as 1 }],
    ['a garbage signature', { ...envelope, signature: 'AAAA' }],
  ])('rejects %s', (_label, forged) => {
    expect(verifyBroadcast(forged)).toBe(false);
  });

  it('parses well-formed envelopes and names the bad field otherwise', () => {
    expect(parseSignedBroadcast(JSON.parse(JSON.stringify(envelope)))).toEqual({ ok: true, envelope });
    const bad = parseSignedBroadcast({ ...envelope, timestamp: 'soon' });
    expect(bad).toMatchObject({ ok: false });
    expect(!bad.ok && bad.error).toMatch(/^timestamp: /);
    const noData = parseSignedBroadcast({ version: 1, timestamp, pubKey: node1.pubkey, signature: 'x' });
    expect(!noData.ok && noData.error).toMatch(/^data: /);
  });
});

describe('messageCacheKey', () => {
  it('ignores key order at every depth', () => {
    const a = { ip: '1.2.3.4', apps: [{ name: 'a', hash: 'h' }], nested: { x: 1, y: 2 } };
    const b = { nested: { y: 2, x: 1 }, apps: [{ hash: 'h', name: 'a' }], ip: '1.2.3.4' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(messageCacheKey(a)).toBe(messageCacheKey(b));
    expect(messageCacheKey(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('distinguishes values and array order', () => {
    const base = { apps: ['a', 'b'], ip: '1.2.3.4' };
    expect(messageCacheKey(base)).not.toBe(messageCacheKey({ ...base, ip: '1.2.3.5' }));
    expect(messageCacheKey(base)).not.toBe(messageCacheKey({ ...base, apps: ['b', 'a'] }));
    expect(messageCacheKey(1)).not.toBe(messageCacheKey('1'));
  });
});

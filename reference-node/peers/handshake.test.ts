import { describe, expect, it } from 'vitest';
import { publicKeyFromPrivate } from '../../protocol/gossip/signing.js';
import { joinHostPort, splitHostPort } from './address.js';
import { Backoff } from './backoff.js';
import { checkHello, createHello } from './handshake.js';

const KEY = 'ab718710738ba9d08d4a82bfdf952efef26067bfdec5665f7351aee6c996d655';
const OTHER_KEY = 'db3058df3f4e3f9ecc9ed9810ef9bfcc96cd9a388eb1268b6d16f5a5c73d3272';
const identity = { ip: '198.19.0.13:16137', privkeyHex: KEY, pubkeyHex: publicKeyFromPrivate(KEY) };
const list = { isListed: (ip: string, pubkey: string) => ip === identity.ip && pubkey === identity.pubkeyHex };
const NOW = 1_700_000_000_000;

describe('peer handshake', () => {
  const base = { list, now: NOW, maxSkewMs: 120_000, ownIp: '198.19.0.11:16127' };

  it('accepts a fresh hello from the listed key at that address', () => {
    const hello = createHello({ identity, now: NOW });
    expect(hello).toMatchObject({ kind: 'hello', ip: '198.19.0.13', port: 16137 });
    expect(checkHello({ ...base, hello, remoteHost: '198.19.0.13' })).toEqual({ ok: true, peer: identity.ip });
    expect(checkHello({ ...base, hello, expectedPeer: identity.ip })).toEqual({ ok: true, peer: identity.ip });
  });

  it.each([
    ['stale', { now: NOW + 120_001 }, /ms off/],
    ['wrong source address', { remoteHost: '198.19.0.99' }, /comes from 198.19.0.99/],
    ['not the dialled node', { expectedPeer: '198.19.0.14:16127' }, /dialled/],
    ['our own address', { ownIp: identity.ip }, /this node/],
  ])('rejects: %s', (_name, override, reason) => {
    const verdict = checkHello({ ...base, hello: createHello({ identity, now: NOW }), ...override });
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toMatch(reason);
  });

  it('rejects an unlisted key and a signature by another key', () => {
    const impostor = { ...identity, privkeyHex: OTHER_KEY, pubkeyHex: publicKeyFromPrivate(OTHER_KEY) };
    const unlisted = checkHello({ ...base, hello: createHello({ identity: impostor, now: NOW }) });
    expect(!unlisted.ok && unlisted.reason).toMatch(/not listed/);
    const forged = { ...createHello({ identity: impostor, now: NOW }), pubKey: identity.pubkeyHex };
    const bad = checkHello({ ...base, hello: forged });
    expect(!bad.ok && bad.reason).toMatch(/bad signature/);
  });
});

describe('addresses and backoff', () => {
  it('splits and joins host:port, IPv6 and port-less forms', () => {
    expect(splitHostPort('1.2.3.4:16137')).toEqual({ host: '1.2.3.4', port: 16137 });
    expect(splitHostPort('1.2.3.4')).toEqual({ host: '1.2.3.4', port: 16127 });
    expect(splitHostPort('[2001:db8::1]:16137')).toEqual({ host: '2001:db8::1', port: 16137 });
    expect(joinHostPort({ host: '2001:db8::1', port: 1 })).toBe('[2001:db8::1]:1');
  });

  it('doubles the reconnect delay up to the cap and resets on success', () => {
    const backoff = new Backoff({ minMs: 100, maxMs: 350 });
    expect([1, 2, 3, 4].map(() => backoff.failed('p', 0))).toEqual([100, 200, 350, 350]);
    expect(backoff.ready('p', 349)).toBe(false);
    backoff.succeeded('p');
    expect(backoff.ready('p', 0)).toBe(true);
    expect(backoff.failed('p', 0)).toBe(100);
  });
});

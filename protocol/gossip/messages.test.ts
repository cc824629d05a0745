import { describe, expect, it } from 'vitest';
import { parseGossipPayload, payloadSignerIp } from './messages.js';

const at = 1_700_000_000_000;
const hash = 'ab'.repeat(32);

const valid = {
  'apprunning v2': {
    type: 'fluxapprunning',
    version: 2,
    apps: [{ name: 'web', hash: 'h1', runningSince: at - 5000 }],
    ip: '198.18.0.2',
    broadcastedAt: at,
    osUptime: 1234,
    staticIp: false,
  },
  'apprunning v2, empty': { type: 'fluxapprunning', version: 2, apps: [], ip: '198.18.0.2', broadcastedAt: at },
  'apprunning v1': { type: 'fluxapprunning', version: 1, name: 'web', hash: 'h1', ip: '198.18.0.2', broadcastedAt: at },
  sigterm: { type: 'fluxnodesigterm', version: 1, ip: '198.18.0.2', broadcastedAt: at },
  appremoved: { type: 'fluxappremoved', version: 1, ip: '198.18.0.2', appName: 'web', broadcastedAt: at },
  ipchanged: { type: 'fluxipchanged', version: 1, oldIP: '198.18.0.2', newIP: '198.18.0.9', broadcastedAt: at },
  'app register': {
    type: 'fluxappregister',
    version: 1,
    appSpecifications: { name: 'web', owner: 't1abc' },
    hash,
    timestamp: at,
    signature: 'sig',
  },
  'legacy app update': {
    type: 'zelappupdate',
    version: 1,
    appSpecifications: { name: 'web' },
    hash,
    timestamp: at,
    signature: 'sig',
  },
  'hash request': { type: 'fluxapprequest', version: 2, hashes: [hash] },
} as const;

describe('parseGossipPayload', () => {
  it.each(Object.entries(valid))('accepts %s unchanged', (_label, payload) => {
    expect(parseGossipPayload(JSON.parse(JSON.stringify(payload)))).toEqual({ ok: true, payload });
  });

  it.each([
    ['a string', 'hello', /^\(root\): expected an object, got string$/],
    ['null', null, /^\(root\): expected an object, got null$/],
    ['an array', [], /^\(root\): expected an object/],
    ['no type', { version: 1 }, /^type: expected a string, got undefined$/],
    ['an unknown type', { type: 'fluxwhatever' }, /^type: unknown gossip type "fluxwhatever"$/],
    [
      'a numeric app hash',
      {
        ...valid['apprunning v2'],
        apps: [
          { name: 'a', hash: 'h' },
          { name: 'b', hash: 7 },
        ],
      },
      /^apps\[1\]\.hash: /,
    ],
    ['apps not an array', { ...valid['apprunning v2'], apps: {} }, /^apps: /],
    ['a missing ip', { ...valid.sigterm, ip: undefined }, /^ip: /],
    ['a string broadcastedAt', { ...valid.appremoved, broadcastedAt: '1700000000000' }, /^broadcastedAt: /],
    ['a fractional broadcastedAt', { ...valid.appremoved, broadcastedAt: 1.5 }, /^broadcastedAt: /],
    ['a v3 apprunning', { ...valid['apprunning v2'], version: 3 }, /^version: /],
    ['v1 without name', { ...valid['apprunning v1'], name: undefined }, /^name: /],
    ['an ipchanged without newIP', { ...valid.ipchanged, newIP: '' }, /^newIP: /],
    ['a short message hash', { ...valid['app register'], hash: 'abc' }, /^hash: expected 64 lowercase hex/],
    ['501 requested hashes', { ...valid['hash request'], hashes: Array(501).fill(hash) }, /^hashes: /],
    ['an empty hash request', { ...valid['hash request'], hashes: [] }, /^hashes: /],
    ['a bad requested hash', { ...valid['hash request'], hashes: [hash, 'nope'] }, /^hashes\[1\]: /],
    ['appSpecifications not an object', { ...valid['app register'], appSpecifications: 'x' }, /^appSpecifications: /],
  ])('rejects %s, naming the field', (_label, input, error) => {
    const result = parseGossipPayload(input);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(error);
  });

  it('lists every failing field', () => {
    const result = parseGossipPayload({ type: 'fluxnodesigterm', version: 1 });
    expect(!result.ok && result.error).toMatch(/ip: .*; broadcastedAt: /);
  });

  it('accepts exactly 500 requested hashes', () => {
    expect(parseGossipPayload({ ...valid['hash request'], hashes: Array(500).fill(hash) }).ok).toBe(true);
  });
});

describe('payloadSignerIp', () => {
  it('is oldIP for ipchanged, ip otherwise, none for a hash request', () => {
    expect(payloadSignerIp(valid.ipchanged)).toBe('198.18.0.2');
    expect(payloadSignerIp(valid.sigterm)).toBe('198.18.0.2');
    expect(payloadSignerIp(valid['hash request'] as never)).toBeUndefined();
  });
});

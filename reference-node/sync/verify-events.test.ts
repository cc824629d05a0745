import { describe, expect, it } from 'vitest';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import { signBroadcast } from '../../protocol/gossip/envelope.js';
import { verifySyncedEvents } from './verify-events.js';

const node = (index: number, ip: string) => ({
  ip,
  privkey: keys.nodes[index]!.privkey,
  pubkey: keys.nodes[index]!.pubkey,
});
const NODE_A = node(0, '198.18.0.1:16127');
const NODE_B = node(1, '198.18.0.2:16127');
/** Has a key, is not listed. */
const OUTSIDER = node(8, '198.18.0.9:16127');
const directory = {
  isListed: (ip: string, pubkey: string) => [NODE_A, NODE_B].some((n) => n.ip === ip && n.pubkey === pubkey),
};

const T = 1_700_000_000_000;

/** An event document as a responder serves it. */
function served(node: typeof NODE_A, type: string, data: Record<string, unknown>) {
  const { data: signed, ...envelope } = signBroadcast({
    data,
    privkeyHex: node.privkey,
    pubkeyHex: node.pubkey,
    timestamp: T,
  });
  return {
    ip: (data.ip ?? data.oldIP) as string,
    type,
    dedupKey: 'k',
    broadcastedAt: T,
    expireAt: T + 1,
    data: signed,
    envelope,
  };
}

const running = (ip: string) => ({
  type: 'fluxapprunning',
  version: 2,
  apps: [{ name: 'a', hash: 'h', runningSince: T }],
  ip,
  broadcastedAt: T,
  osUptime: 5,
  staticIp: false,
});
const sigterm = (ip: string) => ({ type: 'fluxnodesigterm', version: 1, ip, broadcastedAt: T });
const removed = (ip: string) => ({ type: 'fluxappremoved', version: 1, ip, appName: 'a', broadcastedAt: T });
const moved = (oldIP: string) => ({
  type: 'fluxipchanged',
  version: 1,
  oldIP,
  newIP: '198.18.0.7:16127',
  broadcastedAt: T,
});

describe('verifySyncedEvents (§4.2 step 1)', () => {
  it('accepts properly signed events of listed nodes and unsigned evictions, in order', () => {
    const messages = [
      served(NODE_A, 'apprunning', running(NODE_A.ip)),
      served(NODE_B, 'sigterm', sigterm(NODE_B.ip)),
      served(NODE_A, 'appremoved', removed(NODE_A.ip)),
      served(NODE_B, 'ipchanged', moved(NODE_B.ip)),
      { ip: NODE_A.ip, type: 'evicted', dedupKey: 'evicted', createdAt: T, expireAt: T + 1 },
    ];
    const { events, rejected } = verifySyncedEvents({ messages, directory });
    expect(events.map((event) => event.type)).toEqual(['apprunning', 'sigterm', 'appremoved', 'ipchanged', 'evicted']);
    expect(events[4]).toEqual({ type: 'evicted', ip: NODE_A.ip });
    expect(Object.values(rejected).every((count) => count === 0)).toBe(true);
  });

  it('keeps the data exactly as served (key order, extra fields) so it re-verifies later', () => {
    const data = { ip: NODE_A.ip, type: 'fluxnodesigterm', broadcastedAt: T, version: 1, extra: 'x' };
    const message = served(NODE_A, 'sigterm', data);
    const [event] = verifySyncedEvents({ messages: [message], directory }).events;
    expect(event && event.type !== 'evicted' ? JSON.stringify(event.data) : '').toBe(JSON.stringify(data));
  });

  it.each([
    ['malformed', { ip: NODE_A.ip, type: 'sigterm', data: sigterm(NODE_A.ip) }],
    ['malformed', 'not an object'],
    ['malformed', { ...served(NODE_A, 'sigterm', sigterm(NODE_A.ip)), data: { ip: NODE_A.ip, broadcastedAt: T } }],
    ['type-mismatch', { ...served(NODE_A, 'sigterm', running(NODE_A.ip)) }],
    ['unlisted', served(OUTSIDER, 'sigterm', sigterm(OUTSIDER.ip))],
    ['unlisted', served(NODE_B, 'sigterm', sigterm(NODE_A.ip))],
    ['unlisted', served(NODE_A, 'ipchanged', moved(NODE_B.ip))],
    [
      'bad-signature',
      (() => {
        const message = served(NODE_A, 'apprunning', running(NODE_A.ip));
        return { ...message, data: { ...message.data, osUptime: 6 } };
      })(),
    ],
  ])('rejects as %s: %j', (reason, message) => {
    const { events, rejected } = verifySyncedEvents({ messages: [message], directory });
    expect(events).toEqual([]);
    expect(rejected[reason as keyof typeof rejected]).toBe(1);
  });
});

/**
 * Peer handshake: each side's first frame is a signed hello (`protocol/gossip/wire.ts`). A hello is
 * accepted only from a node the deterministic list holds at that `ip:port` with that pubkey, with a
 * fresh timestamp and a valid signature; the dialled side answers with its own hello, so both
 * directions are authenticated.
 */
import { signMessage, verifyMessage } from '../../protocol/gossip/signing.js';
import { type HelloFrame, helloSignedString } from '../../protocol/gossip/wire.js';
import { joinHostPort, splitHostPort } from './address.js';

export interface Identity {
  /** Listed address `host:port`. */
  ip: string;
  privkeyHex: string;
  pubkeyHex: string;
}

export interface ListLookup {
  isListed(ip: string, pubkey: string): boolean;
}

export function createHello({
  identity,
  now,
  uptimeMs,
}: {
  identity: Identity;
  now: number;
  /** This node's uptime, told to the peer for its choice of sync peers. */
  uptimeMs?: number;
}): HelloFrame {
  const { host, port } = splitHostPort(identity.ip);
  const timestamp = now;
  const signature = signMessage({
    message: helloSignedString({ ip: host, port, timestamp }),
    privkeyHex: identity.privkeyHex,
  });
  const hello: HelloFrame = { kind: 'hello', ip: host, port, pubKey: identity.pubkeyHex, timestamp, signature };
  return uptimeMs === undefined ? hello : { ...hello, uptimeMs };
}

export type HelloCheck = { ok: true; peer: string } | { ok: false; reason: string };

export interface CheckHelloOptions {
  hello: HelloFrame;
  list: ListLookup;
  now: number;
  /** Accepted clock difference either way. */
  maxSkewMs: number;
  /** The TCP peer address: the claimed host must be it (inbound only). */
  remoteHost?: string;
  /** The address we dialled: the answering node must be it (outbound only). */
  expectedPeer?: string;
  ownIp: string;
}

export function checkHello(options: CheckHelloOptions): HelloCheck {
  const { hello, now } = options;
  const peer = joinHostPort({ host: hello.ip, port: hello.port });
  if (Math.abs(now - hello.timestamp) > options.maxSkewMs) {
    return { ok: false, reason: `hello from ${peer}: timestamp ${hello.timestamp} is ${now - hello.timestamp} ms off` };
  }
  if (peer === options.ownIp) return { ok: false, reason: `hello from ${peer}: that is this node` };
  if (options.expectedPeer !== undefined && peer !== options.expectedPeer) {
    return { ok: false, reason: `hello from ${peer}: dialled ${options.expectedPeer}` };
  }
  if (options.remoteHost !== undefined && options.remoteHost !== hello.ip) {
    return { ok: false, reason: `hello from ${peer}: connection comes from ${options.remoteHost}` };
  }
  if (!options.list.isListed(peer, hello.pubKey)) {
    return { ok: false, reason: `hello from ${peer}: not listed with pubkey ${hello.pubKey}` };
  }
  const message = helloSignedString({ ip: hello.ip, port: hello.port, timestamp: hello.timestamp });
  if (!verifyMessage({ message, pubkeyHex: hello.pubKey, signature: hello.signature })) {
    return { ok: false, reason: `hello from ${peer}: bad signature` };
  }
  return { ok: true, peer };
}

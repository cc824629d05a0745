/**
 * Writes fixtures/keys.json: 16 node keys and 4 app-owner keys, each derived from sha256 of a fixed
 * label so the file is reproducible. Test keys only: they are public by construction.
 * Run: npx tsx scripts/generate-keys.ts
 */
import { writeFileSync } from 'node:fs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { base58check } from '@scure/base';

const NODE_COUNT = 16;
const OWNER_NAMES = ['alice', 'bob', 'carol', 'dave'] as const;
/** Flux (Zcash-family) mainnet P2PKH version bytes: addresses start with "t1". */
const P2PKH_PREFIX = Uint8Array.of(0x1c, 0xb8);

/** Hashes the label until the result is a valid secret key (the first try virtually always is). */
function privkeyFromLabel(label: string): Uint8Array {
  let candidate = sha256(utf8ToBytes(label));
  while (!secp256k1.utils.isValidSecretKey(candidate)) candidate = sha256(candidate);
  return candidate;
}

function p2pkhAddress(pubkey: Uint8Array): string {
  return base58check(sha256).encode(concatBytes(P2PKH_PREFIX, ripemd160(sha256(pubkey))));
}

function keyPair(label: string): { privkey: string; pubkey: string; pubkeyBytes: Uint8Array } {
  const priv = privkeyFromLabel(label);
  const pubkeyBytes = secp256k1.getPublicKey(priv, true);
  return { privkey: bytesToHex(priv), pubkey: bytesToHex(pubkeyBytes), pubkeyBytes };
}

const nodes = Array.from({ length: NODE_COUNT }, (_unused, i) => {
  const index = i + 1;
  const { privkey, pubkey } = keyPair(`fluxnet fixture node key ${index}`);
  return { index, privkey, pubkey };
});

const owners = OWNER_NAMES.map((name) => {
  const { privkey, pubkey, pubkeyBytes } = keyPair(`fluxnet fixture app owner ${name}`);
  return { name, privkey, pubkey, address: p2pkhAddress(pubkeyBytes) };
});

const target = new URL('../fixtures/keys.json', import.meta.url);
writeFileSync(target, `${JSON.stringify({ nodes, owners }, null, 2)}\n`);
console.log(`wrote ${target.pathname}: ${nodes.length} nodes, ${owners.length} owners`);

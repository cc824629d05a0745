/**
 * Deterministic placement: every node computes the same answer from the same list. Nodes are
 * ranked by sha256(appName + ip) and the first `instances` run the app.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export function placeApp({
  appName,
  instances,
  ips,
}: {
  appName: string;
  instances: number;
  ips: readonly string[];
}): string[] {
  return [...new Set(ips)]
    .map((ip) => ({ ip, rank: bytesToHex(sha256(utf8ToBytes(`${appName}${ip}`))) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .slice(0, instances)
    .map((entry) => entry.ip);
}

import { outpointKey, paymentAddressFor, type TierValue } from '../../protocol/fluxd/index.js';
import type { NodeIdentity } from './lifecycle.js';
import { hashId, sha256 } from './serialize.js';

/**
 * Every node the stub knows, with what its operator does outside the chain: how soon it
 * confirms after a START and whether it keeps sending keep-alive confirms. Chain state lives in
 * the views; this registry is global, like the operators it stands for.
 */

export interface ManifestNode {
  ip: string;
  pubkey: string;
  collateralPubkey?: string;
  tier: TierValue;
  txid?: string;
  n?: number;
}

export interface Operator {
  identity: NodeIdentity;
  /** Blocks after START until its INITIAL_CONFIRM is mined; null = never confirms (ends in DoS). */
  confirmDelay: number | null;
  /** false = stops sending keep-alives, so the node expires after the expiry window. */
  keepAlive: boolean;
}

export const DEFAULT_NODE_PORT = 16127;

export class NodeRegistry {
  private readonly operators = new Map<string, Operator>();
  private readonly order: string[] = [];
  private readonly seed: number;
  private generated = 0;

  constructor(options: { seed: number }) {
    this.seed = options.seed;
  }

  get size(): number {
    return this.order.length;
  }

  get(key: string): Operator | undefined {
    return this.operators.get(key);
  }

  /** The key registered `index` places after the first (registration order). */
  keyAt(index: number): string | undefined {
    return this.order[index];
  }

  keys(): readonly string[] {
    return this.order;
  }

  register(identity: NodeIdentity, behaviour: { confirmDelay?: number | null; keepAlive?: boolean } = {}): Operator {
    const key = outpointKey(identity.outpoint);
    const existing = this.operators.get(key);
    if (existing) throw new RegistryError(`node ${key} is already registered`);
    const operator: Operator = {
      identity,
      confirmDelay: behaviour.confirmDelay === undefined ? 1 : behaviour.confirmDelay,
      keepAlive: behaviour.keepAlive ?? true,
    };
    this.operators.set(key, operator);
    this.order.push(key);
    return operator;
  }

  /** The operator moves its collateral to another tier's amount; same outpoint and keys. */
  retier(key: string, tier: TierValue): NodeIdentity {
    const operator = this.operators.get(key);
    if (!operator) throw new RegistryError(`node ${key} is not registered`);
    operator.identity = { ...operator.identity, tier };
    return operator.identity;
  }

  /** A fresh identity derived from the seed: nth generated node, same every run. */
  generateIdentity(tier?: TierValue): NodeIdentity {
    const index = this.generated++;
    const tag = `fluxnet-node:${this.seed}:${index}`;
    const collateralPubkey = `02${sha256(Buffer.from(`${tag}:collateral`)).toString('hex')}`;
    return {
      outpoint: { txid: hashId(Buffer.from(`${tag}:collateral-tx`)), n: index % 4 },
      collateralPubkey,
      pubkey: `03${sha256(Buffer.from(`${tag}:node`)).toString('hex')}`,
      ip: generatedIp(index),
      tier: tier ?? (((index % 3) + 1) as TierValue),
      paymentAddress: paymentAddressFor(collateralPubkey),
    };
  }

  identityFromManifest(entry: ManifestNode, index: number): NodeIdentity {
    const tag = `fluxnet-manifest:${this.seed}:${index}`;
    const collateralPubkey = entry.collateralPubkey ?? `02${sha256(Buffer.from(`${tag}:collateral`)).toString('hex')}`;
    return {
      outpoint: { txid: entry.txid ?? hashId(Buffer.from(`${tag}:collateral-tx`)), n: entry.n ?? 0 },
      collateralPubkey,
      pubkey: entry.pubkey,
      ip: entry.ip,
      tier: entry.tier,
      paymentAddress: paymentAddressFor(collateralPubkey),
    };
  }
}

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

/**
 * Generated nodes live in 198.19.0.0/16 (benchmarking range, RFC 2544), away from the run
 * network's 198.18.0.0/16 addresses so a fake node never shadows a real container.
 */
function generatedIp(index: number): string {
  const host = index + 1;
  return `198.19.${(host >>> 8) & 0xff}.${host & 0xff}:${DEFAULT_NODE_PORT}`;
}

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TunableOverrides } from '../../reference-node/tunables.js';
import { NODE_BUNDLE_PATH } from '../images/app-layout.js';
import {
  type AddressPlan,
  DAEMON_CONTROL_PORT,
  DAEMON_RPC_BASE_PORT,
  DAEMON_RPC_PASSWORD,
  DAEMON_RPC_USER,
  DAEMON_ZMQ_BASE_PORT,
  DB_PORT,
  daemonEndpointsFor,
  NODE_API_PORT,
  tierFor,
} from './topology.js';

/**
 * What each container of a network runs with, derived from the address plan alone: used by
 * createNetwork and by the compose generator, so both describe the same network.
 */
export const DEFAULT_TIME_SCALE = 0.01;
export const NODE_COMMAND = ['node', NODE_BUNDLE_PATH];
export const MANIFEST_PATH_IN_DAEMON = '/fluxnet/manifest.json';
const REPO_ROOT = resolve(import.meta.dirname, '../..');

/**
 * Count tunables sized to the network, under any the caller sets. Production values hold for 16
 * nodes; smaller networks lower the peer and sync counts to what they can reach. Sync peers need no
 * minimum uptime: in a freshly started network no node has FluxOS's 125 minutes (75 s scaled) yet,
 * and without eligible sync peers a node could only reach READY through the 250-block timer.
 */
export function networkSizedTunables(size: number): TunableOverrides {
  const peers = Math.max(1, size - 1);
  return {
    syncPeerMinUptimeMs: 0,
    appSyncPeerThreshold: Math.min(12, peers),
    appSyncDegradedThreshold: Math.min(4, Math.max(1, Math.floor(peers / 3))),
    syncPeerCount: Math.min(3, peers),
    minSyncCompletions: Math.min(3, peers),
  };
}

export interface NodeEnvironmentOptions {
  index: number;
  plan: AddressPlan;
  /** Machines in the network (sizes the count tunables). */
  size: number;
  timeScale?: number;
  tunables?: TunableOverrides;
  regressions?: readonly string[];
  env?: Record<string, string>;
}

/** The node contract's environment for machine `index` (docs/node-contract.md). */
export function nodeEnvironment(options: NodeEnvironmentOptions): Record<string, string> {
  const { index, plan } = options;
  const daemon = daemonEndpointsFor({ daemonIp: plan.daemon, view: index });
  return {
    FLUXNET_NODE_IP: `${plan.node(index)}:${NODE_API_PORT}`,
    FLUXNET_NODE_KEY: String(index),
    FLUXNET_MONGO_URI: `mongodb://${plan.db(index)}:${DB_PORT}/?directConnection=true`,
    FLUXNET_DAEMON_RPC_URL: daemon.rpcUrl,
    FLUXNET_DAEMON_RPC_USER: DAEMON_RPC_USER,
    FLUXNET_DAEMON_RPC_PASSWORD: DAEMON_RPC_PASSWORD,
    FLUXNET_DAEMON_ZMQ: daemon.zmq,
    FLUXNET_TEST_EVENT_STREAM: '1',
    FLUXNET_TIME_SCALE: String(options.timeScale ?? DEFAULT_TIME_SCALE),
    FLUXNET_TUNABLES: JSON.stringify({ ...networkSizedTunables(options.size), ...options.tunables }),
    ...(options.regressions?.length ? { FLUXNET_REGRESSIONS: options.regressions.join(',') } : {}),
    ...options.env,
  };
}

export interface ManifestNode {
  ip: string;
  pubkey: string;
  tier: 1 | 2 | 3;
}

/** The daemon stub's deterministic list: the fixture node keys at the plan's addresses. */
export function daemonManifest(args: { size: number; plan: AddressPlan }): ManifestNode[] {
  const keys = JSON.parse(readFileSync(resolve(REPO_ROOT, 'fixtures/keys.json'), 'utf8')) as {
    nodes: { pubkey: string }[];
  };
  return Array.from({ length: args.size }, (_, i) => ({
    ip: `${args.plan.node(i + 1)}:${NODE_API_PORT}`,
    pubkey: keys.nodes[i]!.pubkey,
    tier: tierFor(i + 1),
  }));
}

export function daemonCommand(args: { size: number; seed: number; blockIntervalMs: number }): string[] {
  return [
    'node',
    'dist/stubs/daemon/cli.js',
    `--views=${args.size}`,
    `--rpc-port=${DAEMON_RPC_BASE_PORT}`,
    `--zmq-port=${DAEMON_ZMQ_BASE_PORT}`,
    `--control-port=${DAEMON_CONTROL_PORT}`,
    `--rpc-user=${DAEMON_RPC_USER}`,
    `--rpc-password=${DAEMON_RPC_PASSWORD}`,
    `--fluxnodes=${args.size}`,
    `--manifest=${MANIFEST_PATH_IN_DAEMON}`,
    `--seed=${args.seed}`,
    `--block-interval-ms=${args.blockIntervalMs}`,
    '--bind=0.0.0.0',
  ];
}

import type { RunSubnet } from './subnet.js';

/** Fixed ports: every machine has its own address, so every node listens on FluxOS's default API port. */
export const NODE_API_PORT = 16127;
export const DB_PORT = 27017;
export const DAEMON_RPC_BASE_PORT = 26124;
export const DAEMON_ZMQ_BASE_PORT = 28332;
export const DAEMON_CONTROL_PORT = 26200;
export const DAEMON_RPC_USER = 'fluxrpc';
export const DAEMON_RPC_PASSWORD = 'fluxnet';

/** Fixed addresses inside the run's /24: daemon .2, flood peer .3, node i at .(10+i), its database at .(100+i). */
export interface AddressPlan {
  daemon: string;
  floodPeer: string;
  node(index: number): string;
  db(index: number): string;
}

export function addressPlan(subnet: RunSubnet): AddressPlan {
  return {
    daemon: `${subnet.prefix}.2`,
    floodPeer: `${subnet.prefix}.3`,
    node: (index) => `${subnet.prefix}.${10 + index}`,
    db: (index) => `${subnet.prefix}.${100 + index}`,
  };
}

export function daemonEndpointsFor(args: { daemonIp: string; view: number }): { rpcUrl: string; zmq: string } {
  return {
    rpcUrl: `http://${args.daemonIp}:${DAEMON_RPC_BASE_PORT + args.view - 1}`,
    zmq: `tcp://${args.daemonIp}:${DAEMON_ZMQ_BASE_PORT + args.view - 1}`,
  };
}

/** Tiers spread over the fixture nodes so every tier has a payment queue. */
export function tierFor(index: number): 1 | 2 | 3 {
  return (((index - 1) % 3) + 1) as 1 | 2 | 3;
}

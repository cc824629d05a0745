import { stringify } from 'yaml';
import type { ImageSet } from '../images/ensure-images.js';
import {
  daemonCommand,
  daemonManifest,
  MANIFEST_PATH_IN_DAEMON,
  NODE_COMMAND,
  nodeEnvironment,
} from './machine-config.js';
import { subnetFor } from './subnet.js';
import { addressPlan } from './topology.js';

/** The compose network's fixed /24 (the harness's own runs take 198.18.16.0/24 upwards, up to .249). */
const COMPOSE_SUBNET_THIRD_OCTET = 250;

export interface ComposeOptions {
  nodes: number;
  images: Pick<ImageSet, 'node' | 'db'>;
  seed?: number;
  blockIntervalMs?: number;
}

/**
 * A docker compose file describing the same network createNetwork builds (same addresses, same
 * node environment, same daemon flags), for people who want `docker compose up` without the harness.
 * The daemon's manifest travels inline as a compose config, so the file stands alone.
 */
export function composeFile(options: ComposeOptions): string {
  const subnet = subnetFor(COMPOSE_SUBNET_THIRD_OCTET);
  const plan = addressPlan(subnet);
  const manifest = daemonManifest({ size: options.nodes, plan });
  const services: Record<string, unknown> = {
    daemon: {
      image: options.images.node,
      command: daemonCommand({
        size: options.nodes,
        seed: options.seed ?? 1,
        blockIntervalMs: options.blockIntervalMs ?? 30_000,
      }),
      configs: [{ source: 'manifest', target: MANIFEST_PATH_IN_DAEMON }],
      networks: { fluxnet: { ipv4_address: plan.daemon } },
    },
  };
  for (let index = 1; index <= options.nodes; index += 1) {
    services[`db${index}`] = {
      image: options.images.db,
      volumes: [`db${index}:/data`],
      networks: { fluxnet: { ipv4_address: plan.db(index) } },
    };
    services[`node${index}`] = {
      image: options.images.node,
      command: NODE_COMMAND,
      environment: nodeEnvironment({ index, plan, size: options.nodes }),
      depends_on: ['daemon', `db${index}`],
      cap_add: ['NET_ADMIN'],
      stop_grace_period: '15s',
      networks: { fluxnet: { ipv4_address: plan.node(index) } },
    };
  }
  const volumes = Object.fromEntries(Array.from({ length: options.nodes }, (_, i) => [`db${i + 1}`, {}]));
  return stringify({
    name: 'fluxnet',
    services,
    networks: { fluxnet: { ipam: { config: [{ subnet: subnet.subnet, gateway: subnet.gateway }] } } },
    volumes,
    configs: { manifest: { content: JSON.stringify(manifest, null, 2) } },
  });
}

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeFile } from './compose.js';

describe('compose file', () => {
  const file = parse(composeFile({ nodes: 16, images: { node: 'fluxnet/node:abc', db: 'fluxnet/nx-27017:0.8.1' } }));

  it('has the daemon, 16 nodes and 16 databases, each at its fixed address inside 198.18.0.0/15', () => {
    const services = file.services as Record<string, { networks: { fluxnet: { ipv4_address: string } } }>;
    expect(Object.keys(services)).toHaveLength(33);
    const addresses = Object.values(services).map((service) => service.networks.fluxnet.ipv4_address);
    expect(new Set(addresses).size).toBe(33);
    for (const address of addresses) expect(address).toMatch(/^198\.18\.250\.\d+$/);
    expect(file.networks.fluxnet.ipam.config[0].subnet).toBe('198.18.250.0/24');
  });

  it('points every node at its own database and its own daemon view', () => {
    const env = file.services.node7.environment as Record<string, string>;
    expect(env.FLUXNET_NODE_IP).toBe('198.18.250.17:16127');
    expect(env.FLUXNET_MONGO_URI).toContain('198.18.250.107:27017');
    expect(env.FLUXNET_DAEMON_RPC_URL).toBe('http://198.18.250.2:26130');
    expect(env.FLUXNET_DAEMON_ZMQ).toBe('tcp://198.18.250.2:28338');
  });

  it('carries the deterministic list the daemon serves: the 16 fixture keys at the node addresses', () => {
    const manifest = JSON.parse(file.configs.manifest.content) as { ip: string; pubkey: string }[];
    expect(manifest).toHaveLength(16);
    expect(manifest[6]?.ip).toBe('198.18.250.17:16127');
    expect(file.services.daemon.command).toContain('--manifest=/fluxnet/manifest.json');
  });
});

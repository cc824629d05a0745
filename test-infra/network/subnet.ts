import { docker } from './docker-client.js';

/**
 * Every run network is a /24 inside 198.18.0.0/15 (RFC 2544 benchmarking space), so test traffic
 * never touches 10/8, 172.16/12 or 192.168/16. 198.18.0.0/24 is the engine's own bridge (--bip);
 * 198.19.0.0/16 is its default address pool; runs take 198.18.16.0/24 upwards.
 */
export interface RunSubnet {
  subnet: string;
  gateway: string;
  prefix: string;
}

export function subnetFor(third: number): RunSubnet {
  const prefix = `198.18.${third}`;
  return { subnet: `${prefix}.0/24`, gateway: `${prefix}.1`, prefix };
}

async function pickFreeSubnet(tried: ReadonlySet<string>): Promise<RunSubnet> {
  const used = new Set<string>(tried);
  for (const network of await docker().listNetworks()) {
    for (const config of network.IPAM?.Config ?? []) if (config.Subnet) used.add(config.Subnet);
  }
  for (let third = 16; third < 255; third += 1) {
    const candidate = subnetFor(third);
    if (!used.has(candidate.subnet)) return candidate;
  }
  throw new Error('no free /24 left in 198.18.16.0-198.18.254.0: sweep old fluxnet networks (npx fluxnet sweep)');
}

/**
 * Creates the run's bridge network on a free /24. Runs in parallel processes (vitest files) may pick
 * the same free subnet at the same moment; the engine refuses the second ("overlaps"), which then
 * takes the next one.
 */
export async function createRunNetwork(args: { name: string; labels: Record<string, string> }): Promise<RunSubnet> {
  const tried = new Set<string>();
  for (;;) {
    const subnet = await pickFreeSubnet(tried);
    try {
      await docker().createNetwork({
        Name: args.name,
        Driver: 'bridge',
        Labels: args.labels,
        IPAM: { Config: [{ Subnet: subnet.subnet, Gateway: subnet.gateway }] },
      });
      return subnet;
    } catch (error) {
      if (!/overlap/i.test((error as Error).message)) throw error;
      tried.add(subnet.subnet);
    }
  }
}

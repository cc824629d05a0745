import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureImages, type ImageSet } from '../images/ensure-images.js';
import { newRunId, runLabels } from '../network/labels.js';
import { Machine } from '../network/machine.js';
import { sweepOrphans } from '../network/orphans.js';
import { createRunNetwork, type RunSubnet } from '../network/subnet.js';
import { sweep } from '../network/sweep.js';
import { type AddressPlan, addressPlan } from '../network/topology.js';
import { History } from '../observe/history.js';
import { PROBE_SERVER_COMMAND, ProbeClient } from './probe-server.js';

/** A run network of machines whose node container is the probe server: the nemesis's test bed. */
export interface ProbeNetwork {
  readonly runId: string;
  readonly subnet: RunSubnet;
  readonly plan: AddressPlan;
  readonly images: ImageSet;
  readonly history: History;
  readonly machines: readonly Machine[];
  probe(index: number): ProbeClient;
  teardown(): Promise<void>;
}

/**
 * Same shape as createNetwork (labelled run network in a free 198.18.x.0/24, fixed addresses,
 * Machine with database, libfaketime and NET_ADMIN), without the daemon and the node under test.
 */
export async function startProbeNetwork(args: { nodes: number; log: (line: string) => void }): Promise<ProbeNetwork> {
  const runId = newRunId();
  const hostDir = mkdtempSync(join(tmpdir(), `fluxnet-nemesis-${runId}-`));
  const history = new History();
  const teardown = async () => {
    await sweep({ runId });
    rmSync(hostDir, { recursive: true, force: true });
    await history.close();
  };
  try {
    const images = await ensureImages({ log: (line) => args.log(`images: ${line}`) });
    await sweepOrphans();
    const network = `fluxnet-${runId}`;
    const subnet = await createRunNetwork({ name: network, labels: runLabels({ runId, role: 'network' }) });
    const plan = addressPlan(subnet);
    const machines = Array.from(
      { length: args.nodes },
      (_, i) =>
        new Machine({
          index: i + 1,
          network,
          nodeIp: plan.node(i + 1),
          dbIp: plan.db(i + 1),
          nodeImage: images.node,
          nodeCommand: PROBE_SERVER_COMMAND,
          dbImage: images.db,
          env: {},
          labels: (role) => runLabels({ runId, role, machine: i + 1 }),
          hostDir: join(hostDir, String(i + 1)),
          clockFaults: true,
          namePrefix: `fluxnet-${runId}`,
          startupTimeoutMs: 60_000,
          history,
        }),
    );
    await Promise.all(machines.map((machine) => machine.start()));
    args.log(`probe network ${subnet.subnet}: ${machines.length} machines up`);
    const probes = machines.map((machine) => new ProbeClient(machine.ip));
    return {
      runId,
      subnet,
      plan,
      images,
      history,
      machines,
      probe: (index) => {
        const probe = probes[index - 1];
        if (!probe) throw new Error(`probe network: no machine ${index} (1..${machines.length})`);
        return probe;
      },
      teardown,
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}

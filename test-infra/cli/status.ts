import { docker } from '../network/docker-client.js';
import { MACHINE_LABEL, PROJECT_LABEL, ROLE_LABEL, RUN_LABEL } from '../network/labels.js';
import { NODE_API_PORT } from '../network/topology.js';

interface NodeRow {
  run: string;
  machine: string;
  ip: string;
  container: string;
  state: string;
  orchestrator: string;
  tip: string;
  peers: string;
}

interface StatsReply {
  data?: {
    orchestrator?: { state?: string };
    nodeList?: { height?: number | null };
    peers?: { connected?: unknown[] };
  };
}

async function nodeStats(ip: string): Promise<Pick<NodeRow, 'orchestrator' | 'tip' | 'peers'>> {
  try {
    const response = await fetch(`http://${ip}:${NODE_API_PORT}/flux/stats`, { signal: AbortSignal.timeout(3_000) });
    const { data } = (await response.json()) as StatsReply;
    return {
      orchestrator: data?.orchestrator?.state ?? '?',
      tip: String(data?.nodeList?.height ?? '?'),
      peers: String(data?.peers?.connected?.length ?? '?'),
    };
  } catch (error) {
    return { orchestrator: `unreachable (${(error as Error).message})`, tip: '-', peers: '-' };
  }
}

/** `fluxnet status`: every fluxnet node container on this engine with orchestrator state, tip and peers. */
export async function printStatus(write: (line: string) => void): Promise<number> {
  const containers = await docker().listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${PROJECT_LABEL}=fluxnet`, `${ROLE_LABEL}=node`] }),
  });
  if (containers.length === 0) {
    write('no fluxnet network is running (start one with: npx fluxnet up --nodes 16)');
    return 0;
  }
  const rows: NodeRow[] = await Promise.all(
    containers.map(async (container) => {
      const ip = Object.values(container.NetworkSettings?.Networks ?? {})[0]?.IPAMConfig?.IPv4Address ?? '';
      const running = container.State === 'running';
      return {
        run: container.Labels[RUN_LABEL] ?? '?',
        machine: container.Labels[MACHINE_LABEL] ?? '?',
        ip,
        container: container.State,
        state: container.Status,
        ...(running && ip ? await nodeStats(ip) : { orchestrator: '-', tip: '-', peers: '-' }),
      };
    }),
  );
  rows.sort((a, b) => a.run.localeCompare(b.run) || Number(a.machine) - Number(b.machine));
  write('run | node | address | container | orchestrator | tip | peers');
  for (const row of rows) {
    write(
      `${row.run} | ${row.machine} | ${row.ip}:${NODE_API_PORT} | ${row.container} | ${row.orchestrator} | ${row.tip} | ${row.peers}`,
    );
  }
  return 0;
}

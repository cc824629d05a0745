import { hostname } from 'node:os';

/** Every container, network and volume the harness creates carries these labels. */
export const PROJECT_LABEL = 'fluxnet.project';
export const RUN_LABEL = 'fluxnet.run';
export const ROLE_LABEL = 'fluxnet.role';
export const MACHINE_LABEL = 'fluxnet.machine';
export const OWNER_PID_LABEL = 'fluxnet.owner-pid';
export const OWNER_HOST_LABEL = 'fluxnet.owner-host';

/** Labels naming the harness process that owns a run, so a later run can tell leftovers from live runs. */
export function ownerLabels(): Record<string, string> {
  return { [OWNER_PID_LABEL]: String(process.pid), [OWNER_HOST_LABEL]: hostname() };
}

export function runLabels(args: { runId: string; role: string; machine?: number }): Record<string, string> {
  const labels: Record<string, string> = {
    [PROJECT_LABEL]: 'fluxnet',
    [RUN_LABEL]: args.runId,
    [ROLE_LABEL]: args.role,
    ...ownerLabels(),
  };
  if (args.machine !== undefined) labels[MACHINE_LABEL] = String(args.machine);
  return labels;
}

/** Docker-name-safe and sortable: `<name>-<utc stamp>-<random>`. */
export function newRunId(name?: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const prefix = name
    ? `${name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .slice(0, 32)}-`
    : '';
  return `${prefix}${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

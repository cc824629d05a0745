/** Every container, network and volume the harness creates carries these labels. */
export const PROJECT_LABEL = 'fluxnet.project';
export const RUN_LABEL = 'fluxnet.run';
export const ROLE_LABEL = 'fluxnet.role';
export const MACHINE_LABEL = 'fluxnet.machine';

export function runLabels(args: { runId: string; role: string; machine?: number }): Record<string, string> {
  const labels: Record<string, string> = { [PROJECT_LABEL]: 'fluxnet', [RUN_LABEL]: args.runId, [ROLE_LABEL]: args.role };
  if (args.machine !== undefined) labels[MACHINE_LABEL] = String(args.machine);
  return labels;
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

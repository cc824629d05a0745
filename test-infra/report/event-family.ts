/**
 * SSE events are grouped by family, the part of the name before `:` (network, app, orchestrator,
 * peers, block, ...), and each family has one colour in the report and the dashboard.
 */

export const FAMILY_COLORS: Readonly<Record<string, string>> = {
  network: '#2563eb',
  app: '#16a34a',
  orchestrator: '#9333ea',
  peers: '#0891b2',
  block: '#ca8a04',
  spawner: '#db2777',
  daemon: '#ea580c',
  boot: '#4f46e5',
  explorer: '#65a30d',
  confirmation: '#0d9488',
  messageCapability: '#7c3aed',
  dos: '#be123c',
  ephemeralSync: '#0284c7',
  sync: '#0369a1',
  hashSync: '#a16207',
  hashRequest: '#854d0e',
  imageUpdate: '#64748b',
};

const OTHER_COLOR = '#6b7280';

export function eventFamily(name: string): string {
  const colon = name.indexOf(':');
  return colon > 0 ? name.slice(0, colon) : name;
}

/** Unknown families (an event name the catalogue lacks) share one grey. */
export function familyColor(family: string): string {
  return Object.hasOwn(FAMILY_COLORS, family) ? FAMILY_COLORS[family]! : OTHER_COLOR;
}

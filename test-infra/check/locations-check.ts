/**
 * Location-cache convergence: on each node `zelappslocation` equals the derived view of that node's
 * own event log (fluxos-node.md §3, §4), and the caches of all live nodes agree.
 *
 * Compared per (name, ip): `hash` and `broadcastedAt`. Left out: `expireAt` (cache only; a sigterm
 * shortens it), `runningSince` (the cache prefers the message's value, the view the app's: §4.1 vs
 * §3), `osUptime` and `staticIp` (informational). Known FluxOS divergences are reported, not hidden:
 * a gossiped ipchanged stamps the moved cache rows with its own time, while the view keeps the
 * announcement's.
 */
import { COLLECTION_NAMES } from '../../protocol/appstate/collections.js';
import type { LocationRow } from '../../protocol/appstate/documents.js';
import { deriveLocations } from '../../protocol/appstate/location-view.js';
import { type CheckResult, capDiff, notComparable } from './check-result.js';
import { crossNodeDiff, nodesLabel } from './diff-format.js';
import type { PerNodeState } from './node-state.js';

export const LOCATIONS_CHECK = 'locations-converged';
/** Names the collection, so a diff says where to look. */
const SUBJECT = `locations (${COLLECTION_NAMES.locations})`;

export interface LocationsCheckOptions {
  /** Epoch ms the view is derived for: the `now` the states were read at. */
  now: number;
  /** The sigterm grace of the nodes' tunables (FluxOS: 420 s). */
  sigtermExpiryMs: number;
  maxDiffLines?: number;
}

interface ComparedLocation {
  hash: string;
  broadcastedAt: number;
}

const COMPARED_FIELDS = ['hash', 'broadcastedAt'] as const;

function locationKey(location: Pick<LocationRow, 'name' | 'ip'>): string {
  return `${location.name} @ ${location.ip}`;
}

function compared(location: Pick<LocationRow, 'hash' | 'broadcastedAt'>): ComparedLocation {
  return { hash: location.hash, broadcastedAt: location.broadcastedAt };
}

function describeLocation(
  location: ComparedLocation,
  fields: readonly (keyof ComparedLocation)[] = COMPARED_FIELDS,
): string {
  return fields.map((field) => `${field}=${location[field]}`).join(' ');
}

/** Per key: which rows the cache holds; more than one row per (name, ip) is itself a finding. */
function cacheByKey(rows: readonly LocationRow[]): { items: Map<string, ComparedLocation>; duplicates: string[] } {
  const items = new Map<string, ComparedLocation>();
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = locationKey(row);
    items.set(key, compared(row));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const duplicates = [...counts].filter(([, count]) => count > 1).map(([key, count]) => `${key}: ${count} cache rows`);
  return { items, duplicates };
}

/** One line per key where the node's cache and its own derived view disagree. */
function cacheVersusView(args: {
  node: number;
  cache: ReadonlyMap<string, ComparedLocation>;
  view: ReadonlyMap<string, ComparedLocation>;
}): string[] {
  const { node, cache, view } = args;
  const keys = [...new Set([...cache.keys(), ...view.keys()])].sort();
  const lines: string[] = [];
  for (const key of keys) {
    const inCache = cache.get(key);
    const inView = view.get(key);
    if (inCache && inView) {
      const differing = COMPARED_FIELDS.filter((field) => inCache[field] !== inView[field]);
      if (differing.length === 0) continue;
      lines.push(
        `node ${node}: location ${key}: cache has ${describeLocation(inCache, differing)}; view has ${describeLocation(inView, differing)}`,
      );
    } else if (inCache) {
      lines.push(`node ${node}: location ${key}: cache has ${describeLocation(inCache)}; view has none`);
    } else if (inView) {
      lines.push(`node ${node}: location ${key}: cache has none; view has ${describeLocation(inView)}`);
    }
  }
  return lines;
}

export function locationsConverged(states: readonly PerNodeState[], options: LocationsCheckOptions): CheckResult {
  if (states.length === 0) return notComparable(LOCATIONS_CHECK, 'no live node states to compare');
  const perNodeLines: string[] = [];
  const unequalNodes: number[] = [];
  const caches = states.map(({ node, state }) => {
    const { items, duplicates } = cacheByKey(state.locations);
    const derived = deriveLocations({
      events: state.events,
      now: options.now,
      tunables: { sigtermExpiryMs: options.sigtermExpiryMs },
    });
    const view = new Map(derived.map((location) => [locationKey(location), compared(location)] as const));
    const lines = [
      ...duplicates.map((line) => `node ${node}: location ${line}`),
      ...cacheVersusView({ node, cache: items, view }),
    ];
    if (lines.length > 0) unequalNodes.push(node);
    perNodeLines.push(...lines);
    return { node, items };
  });
  const across = crossNodeDiff({
    perNode: caches,
    comparable: (location) => location,
    describe: (location) => describeLocation(location),
    keyLabel: (key) => `location ${key}`,
  });
  const nodes = nodesLabel(states.map(({ node }) => node));
  if (perNodeLines.length === 0 && across.differing === 0) {
    return {
      name: LOCATIONS_CHECK,
      ok: true,
      summary: `${SUBJECT}: cache = view on ${nodes}, all with the same ${across.keys} locations`,
      diff: [],
    };
  }
  const problems = [
    ...(unequalNodes.length > 0 ? [`cache ≠ view on ${nodesLabel(unequalNodes)}`] : []),
    ...(across.differing > 0 ? [`caches differ on ${across.differing} of ${across.keys} locations`] : []),
  ];
  return {
    name: LOCATIONS_CHECK,
    ok: false,
    summary: `${SUBJECT}: ${problems.join('; ')}`,
    diff: capDiff([...perNodeLines, ...across.lines], options.maxDiffLines),
  };
}

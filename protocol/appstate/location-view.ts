/**
 * The derived location view `appLocationFromEvents` (fluxos-node.md §3): which apps run where,
 * computed from the event log alone. Pure: the caller passes the events and the time.
 */
import { NO_REGRESSIONS, type RegressionName } from '../regressions.js';
import {
  type AppLocation,
  type AppStateEventDoc,
  eventAt,
  resolveRunningSince,
  type SignedEventPayloads,
  withoutUndefined,
} from './documents.js';

export interface DeriveLocationsOptions {
  events: readonly AppStateEventDoc[];
  now: number;
  tunables: { sigtermExpiryMs: number };
  /** Case-insensitive exact match on the app name. */
  appName?: string;
  /** Exact match on the (possibly remapped) IP. */
  ip?: string;
  /** Historic field bugs to reproduce: eviction-sigterm-grace (docs/regressions.md). */
  regressions?: ReadonlySet<RegressionName>;
}

type AppRunningDoc = Extract<AppStateEventDoc, { type: 'apprunning' }>;

interface Shutdown {
  kind: 'sigterm' | 'evicted';
  at: number;
}

interface Candidate {
  location: AppLocation;
  fromV1: boolean;
}

interface Facets {
  v2ByIp: Map<string, AppRunningDoc>;
  v1ByIpName: Map<string, AppRunningDoc>;
  removedAt: Map<string, number>;
  shutdownByIp: Map<string, Shutdown>;
  ipChangeByOldIp: Map<string, { newIP: string; changedAt: number }>;
}

function pairKey(ip: string, name: string): string {
  return `${ip}\u0000${name}`;
}

/** apprunning, appremoved and ipchanged count only until they expire; sigterm and evicted always (§3). */
function isLive(doc: AppStateEventDoc, now: number): boolean {
  return doc.type === 'sigterm' || doc.type === 'evicted' || doc.expireAt > now;
}

function keepLatest<V>(map: Map<string, V>, key: string, value: V, time: (v: V) => number): void {
  const current = map.get(key);
  if (current === undefined || time(value) > time(current)) map.set(key, value);
}

/** Latest shutdown per IP; on a tie the eviction wins, since it suppresses without grace. */
function noteShutdown(map: Map<string, Shutdown>, ip: string, shutdown: Shutdown): void {
  const current = map.get(ip);
  if (
    current === undefined ||
    shutdown.at > current.at ||
    (shutdown.at === current.at && shutdown.kind === 'evicted')
  ) {
    map.set(ip, shutdown);
  }
}

function collectFacets(events: readonly AppStateEventDoc[], now: number): Facets {
  const facets: Facets = {
    v2ByIp: new Map(),
    v1ByIpName: new Map(),
    removedAt: new Map(),
    shutdownByIp: new Map(),
    ipChangeByOldIp: new Map(),
  };
  for (const doc of events) {
    if (!isLive(doc, now)) continue;
    switch (doc.type) {
      case 'apprunning':
        if (doc.data.version === 2) keepLatest(facets.v2ByIp, doc.ip, doc, (d) => d.broadcastedAt);
        else keepLatest(facets.v1ByIpName, pairKey(doc.ip, doc.data.name), doc, (d) => d.broadcastedAt);
        break;
      case 'appremoved':
        keepLatest(facets.removedAt, pairKey(doc.ip, doc.data.appName), doc.broadcastedAt, (t) => t);
        break;
      case 'ipchanged':
        keepLatest(
          facets.ipChangeByOldIp,
          doc.ip,
          { newIP: doc.data.newIP, changedAt: doc.broadcastedAt },
          (c) => c.changedAt,
        );
        break;
      case 'sigterm':
      case 'evicted':
        noteShutdown(facets.shutdownByIp, doc.ip, { kind: doc.type, at: eventAt(doc) });
        break;
    }
  }
  return facets;
}

function locationsOf(doc: AppRunningDoc): AppLocation[] {
  const data: SignedEventPayloads['apprunning'] = doc.data;
  const common = { ip: doc.ip, broadcastedAt: doc.broadcastedAt, osUptime: data.osUptime, staticIp: data.staticIp };
  if (data.version === 2) {
    return data.apps.map((app) =>
      withoutUndefined({
        ...common,
        name: app.name,
        hash: app.hash,
        runningSince: resolveRunningSince({ app: app.runningSince, broadcastedAt: doc.broadcastedAt }),
      }),
    );
  }
  return [
    withoutUndefined({
      ...common,
      name: data.name,
      hash: data.hash,
      runningSince: resolveRunningSince({ message: data.runningSince, broadcastedAt: doc.broadcastedAt }),
    }),
  ];
}

interface ShutdownRule {
  now: number;
  graceMs: number;
  /** Bug 5: evictions once got the sigterm grace too. */
  graceForEvictions: boolean;
}

/** Rule 1: no shutdown, or announced at/after it, or a sigterm still inside its grace. */
function survivesShutdown(location: AppLocation, facets: Facets, rule: ShutdownRule): boolean {
  const shutdown = facets.shutdownByIp.get(location.ip);
  if (shutdown === undefined || location.broadcastedAt >= shutdown.at) return true;
  const graced = shutdown.kind === 'sigterm' || rule.graceForEvictions;
  return graced && shutdown.at + rule.graceMs > rule.now;
}

/** Rule 2: a v1 entry only counts when strictly newer than the IP's latest v2. */
function survivesV2(candidate: Candidate, facets: Facets): boolean {
  if (!candidate.fromV1) return true;
  const v2 = facets.v2ByIp.get(candidate.location.ip);
  return v2 === undefined || candidate.location.broadcastedAt > v2.broadcastedAt;
}

/** Rule 3a: announced strictly after the app's latest removal on that IP. */
function survivesRemoval(location: AppLocation, facets: Facets): boolean {
  const removedAt = facets.removedAt.get(pairKey(location.ip, location.name));
  return removedAt === undefined || location.broadcastedAt > removedAt;
}

/** Rule 3b: an IP change newer than the announcement moves it to the new IP. */
function remapped(location: AppLocation, facets: Facets): AppLocation {
  const change = facets.ipChangeByOldIp.get(location.ip);
  return change !== undefined && change.changedAt > location.broadcastedAt
    ? { ...location, ip: change.newIP }
    : location;
}

function matchesFilter(location: AppLocation, appName?: string, ip?: string): boolean {
  if (appName !== undefined && location.name.toLowerCase() !== appName.toLowerCase()) return false;
  return ip === undefined || location.ip === ip;
}

export function deriveLocations({
  events,
  now,
  tunables,
  appName,
  ip,
  regressions = NO_REGRESSIONS,
}: DeriveLocationsOptions): AppLocation[] {
  const facets = collectFacets(events, now);
  const shutdownRule: ShutdownRule = {
    now,
    graceMs: tunables.sigtermExpiryMs,
    graceForEvictions: regressions.has('eviction-sigterm-grace'),
  };
  const candidates: Candidate[] = [
    ...[...facets.v2ByIp.values()].flatMap((doc) => locationsOf(doc).map((location) => ({ location, fromV1: false }))),
    ...[...facets.v1ByIpName.values()].flatMap((doc) =>
      locationsOf(doc).map((location) => ({ location, fromV1: true })),
    ),
  ];
  const latest = new Map<string, AppLocation>();
  for (const candidate of candidates) {
    const { location } = candidate;
    if (!survivesShutdown(location, facets, shutdownRule)) continue;
    if (!survivesV2(candidate, facets)) continue;
    if (!survivesRemoval(location, facets)) continue;
    const placed = remapped(location, facets);
    keepLatest(latest, pairKey(placed.ip, placed.name), placed, (l) => l.broadcastedAt);
  }
  return [...latest.values()]
    .filter((location) => matchesFilter(location, appName, ip))
    .sort((a, b) => a.name.localeCompare(b.name) || a.ip.localeCompare(b.ip));
}

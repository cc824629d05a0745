import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { signAppMessage } from '../../protocol/gossip/app-message.js';
import type { AppMessage } from '../../protocol/gossip/messages.js';
import type { FluxNetwork } from '../network/create-network.js';
import { expectConverged, reportConverged } from './convergence.js';
import { hostsOf } from './locations.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

interface OwnerKey {
  name: string;
  privkey: string;
  address: string;
}

function fixtureOwner(index: number): OwnerKey {
  const keys = JSON.parse(readFileSync(resolve(REPO_ROOT, 'fixtures/keys.json'), 'utf8')) as { owners: OwnerKey[] };
  const owner = keys.owners[index];
  if (!owner)
    throw new Error(`registerApp: owner ${index} is not in fixtures/keys.json (0..${keys.owners.length - 1})`);
  return owner;
}

export interface RegisterAppOptions {
  name: string;
  instances?: number;
  /** Index into fixtures/keys.json owners. */
  owner?: number;
  /** The node that receives the signed registration and gossips it. */
  viaNode?: number;
  /**
   * The nodes that must hear the registration and store the spec; default every live node. Under a
   * partition only the sender's side can.
   */
  nodes?: readonly number[];
  /** Mine the registration's block on this daemon view group only (a fork's side); default every group. */
  mineGroup?: number;
  timeoutMs?: number;
}

type PostOptions = Omit<RegisterAppOptions, 'mineGroup'>;

const isMessage = (message: AppMessage) => (payload: unknown) => (payload as { hash?: string }).hash === message.hash;

/**
 * The first half of a registration: a signed registration posted to one node and gossiped; resolves
 * once the `nodes` heard it (`network:appmessage`). Nothing is on chain yet.
 */
export async function postRegistration(network: FluxNetwork, options: PostOptions): Promise<AppMessage> {
  const owner = fixtureOwner(options.owner ?? 0);
  const message = signAppMessage({
    type: 'fluxappregister',
    version: 1,
    appSpecifications: {
      version: 7,
      name: options.name,
      owner: owner.address,
      instances: options.instances ?? 1,
      compose: [],
    },
    timestamp: Date.now(),
    privkeyHex: owner.privkey,
  });
  const via = network.node(options.viaNode ?? network.liveIndexes()[0] ?? 1);
  network.history.append({ kind: 'action', op: 'register-app', node: via.index, detail: { name: options.name } });
  const since = network.history.now();
  const response = await fetch(`${via.apiUrl}/apps/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200) {
    throw new Error(
      `registerApp ${options.name}: node ${via.index} answered ${response.status} ${await response.text()}`,
    );
  }
  await network.waitFor({
    event: 'network:appmessage',
    predicate: isMessage(message),
    timeoutMs: options.timeoutMs ?? 30_000,
    since,
    ...(options.nodes ? { nodes: options.nodes } : {}),
  });
  return message;
}

/**
 * The second half: the registration's hash put on chain by the daemon stub in the next block (of
 * `mineGroup` only, when given); resolves once the `nodes` stored the spec (`app:specStored`).
 */
export async function mineRegistration(
  network: FluxNetwork,
  options: { message: AppMessage; nodes?: readonly number[]; mineGroup?: number; timeoutMs?: number },
): Promise<void> {
  const since = network.history.now();
  await network.daemon.queueAppMessage({ hash: options.message.hash });
  await network.daemon.mine({ blocks: 1, ...(options.mineGroup === undefined ? {} : { group: options.mineGroup }) });
  await network.waitFor({
    event: 'app:specStored',
    predicate: isMessage(options.message),
    timeoutMs: options.timeoutMs ?? 30_000,
    since,
    ...(options.nodes ? { nodes: options.nodes } : {}),
  });
}

/**
 * Registers an app the way a user does: a signed registration posted to one node, gossiped to all,
 * its hash put on chain by the daemon stub in the next block. Resolves when every live node (or
 * every one of `nodes`) has stored the spec (`app:specStored`).
 */
export async function registerApp(network: FluxNetwork, options: RegisterAppOptions): Promise<AppMessage> {
  const { mineGroup, ...post } = options;
  const message = await postRegistration(network, post);
  await mineRegistration(network, {
    message,
    ...(options.nodes ? { nodes: options.nodes } : {}),
    ...(mineGroup === undefined ? {} : { mineGroup }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return message;
}

/** Registers an app, waits until its instances run, and reports the baseline convergence of a suite. */
export async function hostApp(
  network: FluxNetwork,
  args: { suite: string; app: string; instances: number; timeoutMs: number; within: number },
): Promise<{ hash: string; hosts: number[] }> {
  const registered = network.history.now();
  const { hash } = await registerApp(network, { name: args.app, instances: args.instances });
  const hosts = await hostsOf(network, {
    hash,
    instances: args.instances,
    since: registered,
    timeoutMs: args.timeoutMs,
  });
  reportConverged({
    suite: args.suite,
    label: 'app hosted',
    result: await expectConverged(network, { within: args.within, label: `${args.suite}: app hosted` }),
  });
  return { hash, hosts };
}

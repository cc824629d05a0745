import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { signAppMessage } from '../../protocol/gossip/app-message.js';
import type { AppMessage } from '../../protocol/gossip/messages.js';
import type { FluxNetwork } from '../network/create-network.js';

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
  timeoutMs?: number;
}

/**
 * Registers an app the way a user does: a signed registration posted to one node, gossiped to all,
 * its hash put on chain by the daemon stub in the next block. Resolves when every live node has
 * stored the spec (`app:specStored`).
 */
export async function registerApp(network: FluxNetwork, options: RegisterAppOptions): Promise<AppMessage> {
  const owner = fixtureOwner(options.owner ?? 0);
  const timeoutMs = options.timeoutMs ?? 30_000;
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
  const isOurs = (payload: unknown) => (payload as { hash?: string }).hash === message.hash;
  await network.waitFor({ event: 'network:appmessage', predicate: isOurs, timeoutMs, since });
  await network.daemon.queueAppMessage({ hash: message.hash });
  await network.daemon.mine({ blocks: 1 });
  await network.waitFor({ event: 'app:specStored', predicate: isOurs, timeoutMs, since });
  return message;
}

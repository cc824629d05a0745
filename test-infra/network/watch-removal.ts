/**
 * Resolves when the run's Docker network is destroyed by someone else (`fluxnet down` in another
 * shell), from the engine's event stream: `fluxnet up` then stops instead of watching a dead network.
 */
import { docker } from './docker-client.js';

export interface NetworkRemovalWatch {
  removed: Promise<void>;
  close(): void;
}

export async function watchNetworkRemoval(args: { networkName: string }): Promise<NetworkRemovalWatch> {
  const filters = JSON.stringify({ type: ['network'], event: ['destroy'], network: [args.networkName] });
  const stream = (await docker().getEvents({ filters })) as NodeJS.ReadableStream & { destroy(): void };
  const removed = new Promise<void>((resolve) => {
    stream.once('data', () => resolve());
  });
  return { removed, close: () => stream.destroy() };
}

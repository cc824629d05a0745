import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type OutPoint, ZMQ_TOPICS } from '../../protocol/fluxd/index.js';

/** `flux-<i>.conf` per view: what a node's FluxOS (or a real fluxd) reads to reach its daemon. */

export interface ConfView {
  index: number;
  rpcPort: number;
  zmqEndpoint: string;
  /** The collateral of the fluxnode this view runs as, if any. */
  ownOutpoint?: OutPoint;
}

export interface ConfOutOptions {
  dir: string;
  rpcUser: string;
  rpcPassword: string;
  bindHost: string;
  views: readonly ConfView[];
}

export function fluxConf(options: Omit<ConfOutOptions, 'dir' | 'views'>, view: ConfView): string {
  const allow = options.bindHost === '0.0.0.0' ? '0.0.0.0/0' : `${options.bindHost}/32`;
  const lines = [
    `rpcuser=${options.rpcUser}`,
    `rpcpassword=${options.rpcPassword}`,
    `rpcport=${view.rpcPort}`,
    `rpcallowip=${allow}`,
    ...ZMQ_TOPICS.map((topic) => `zmqpub${topic}=${view.zmqEndpoint}`),
  ];
  if (view.ownOutpoint) {
    lines.push('zelnode=1', `zelnodeoutpoint=${view.ownOutpoint.txid}`, `zelnodeindex=${view.ownOutpoint.n}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes one file per view; returns the paths. */
export async function writeConfs(options: ConfOutOptions): Promise<string[]> {
  await mkdir(options.dir, { recursive: true });
  return Promise.all(
    options.views.map(async (view) => {
      const path = join(options.dir, `flux-${view.index}.conf`);
      await writeFile(path, fluxConf(options, view));
      return path;
    }),
  );
}

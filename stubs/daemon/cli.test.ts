import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionsFromArgs } from './cli.js';
import { startDaemonStub } from './daemon-stub.js';

/** Flag parsing, the fluxnet launcher, and flux-<i>.conf output. */

const LAUNCHER = fileURLToPath(new URL('../../bin/fluxnet.js', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluxnet-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('optionsFromArgs', () => {
  it('maps every flag onto the stub options', async () => {
    const options = await optionsFromArgs([
      '--views=3',
      '--rpc-port',
      '26124',
      '--zmq-port',
      '28332',
      '--control-port',
      '26000',
      '--rpc-user',
      'u',
      '--rpc-password',
      'p',
      '--fluxnodes',
      '7',
      '--block-interval-ms',
      '500',
      '--churn',
      '0.5',
      '--reorg-every',
      '10',
      '--seed',
      '42',
      '--conf-out',
      '/tmp/x',
      '--bind',
      '127.0.0.1',
    ]);
    expect(options).toEqual({
      views: 3,
      rpcPort: 26124,
      zmqPort: 28332,
      controlPort: 26000,
      rpcUser: 'u',
      rpcPassword: 'p',
      fluxnodes: 7,
      blockIntervalMs: 500,
      churn: 0.5,
      reorgEvery: 10,
      seed: 42,
      confOut: '/tmp/x',
      bindHost: '127.0.0.1',
    });
    expect(await optionsFromArgs([])).toEqual({ bindHost: '0.0.0.0' });
  });

  it('names the flag that is wrong', async () => {
    await expect(optionsFromArgs(['--views', 'ten'])).rejects.toThrow(
      '--views: expected a non-negative integer, got "ten"',
    );
    await expect(optionsFromArgs(['--churn=-1'])).rejects.toThrow(/--churn: expected a non-negative number/);
    await expect(optionsFromArgs(['--nope'])).rejects.toThrow(/Unknown option '--nope'/);
    const manifest = join(dir, 'manifest.json');
    await writeFile(manifest, JSON.stringify([{ ip: '198.19.1.1:16127', pubkey: 'zz', tier: 1 }]));
    await expect(optionsFromArgs(['--manifest', manifest])).rejects.toThrow(
      /manifest\.0\.pubkey: must be lowercase hex/,
    );
  });
});

describe('fluxnet launcher', () => {
  it('prints help with exit 0 and rejects a bad flag with exit 2', () => {
    const help = spawnSync(process.execPath, [LAUNCHER, 'daemon-stub', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: fluxnet daemon-stub/);
    const bad = spawnSync(process.execPath, [LAUNCHER, 'daemon-stub', '--views', '0'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/options\.views: Too small/);
    const unknown = spawnSync(process.execPath, [LAUNCHER, 'nosuch'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
  });
});

describe('conf-out', () => {
  it('writes flux-<i>.conf with credentials, port, allow-ip, every zmqpub topic and the node outpoint', async () => {
    const stub = await startDaemonStub({ views: 2, fluxnodes: 1, controlPort: null, confOut: dir, rpcUser: 'a' });
    try {
      const first = await readFile(join(dir, 'flux-1.conf'), 'utf8');
      const [txid, n] = stub.views[0]!.ownNode!.split(':');
      expect(first.split('\n')).toEqual(
        expect.arrayContaining([
          'rpcuser=a',
          'rpcpassword=fluxrpc',
          `rpcport=${stub.views[0]!.rpcPort}`,
          'rpcallowip=127.0.0.1/32',
          `zmqpubfluxnodelistdelta=${stub.views[0]!.zmqEndpoint}`,
          `zmqpubchainreorg=${stub.views[0]!.zmqEndpoint}`,
          `zmqpubfluxnodestatus=${stub.views[0]!.zmqEndpoint}`,
          `zelnodeoutpoint=${txid}`,
          `zelnodeindex=${n}`,
        ]),
      );
      expect(first.match(/^zmqpub/gm)).toHaveLength(9);
      const second = await readFile(join(dir, 'flux-2.conf'), 'utf8');
      expect(second).not.toMatch(/zelnode/);
    } finally {
      await stub.stop();
    }
  });
});

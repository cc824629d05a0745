import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { docker } from './docker-client.js';
import { RUN_LABEL } from './labels.js';
import { anonymousVolumesOfRun, existingVolumes } from './run-volumes.js';

/** Resolves with the first stdout line matching `pattern`; fails with the output so far on exit or timeout. */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before a line matching ${pattern}:\n${output}`));
    });
  });
}

async function leftovers(runId: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] });
  const [containers, networks, volumes] = await Promise.all([
    docker().listContainers({ all: true, filters }),
    docker().listNetworks({ filters }),
    docker().listVolumes({ filters }),
  ]);
  return [
    ...containers.map((c) => `container ${c.Names[0]}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
  ];
}

const children: ChildProcess[] = [];

function spawnFluxnet(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [resolve('bin/fluxnet.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TESTCONTAINERS_RYUK_DISABLED: 'true' },
  });
  children.push(child);
  return child;
}
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

describe('teardown', () => {
  it('SIGINT halfway through a bring-up leaves no container, network or volume of the run, anonymous ones included', async () => {
    const child = spawnFluxnet(['up', '--nodes', '3', '--seed', '5']);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const [, runId] = await waitForLine(child, /\] network fluxnet-(\S+) 198\.18\./, 240_000);
    // Halfway: the daemon runs and the machines are being created.
    await waitForLine(child, /daemon stub /, 120_000);
    expect(await leftovers(runId!), output).not.toEqual([]);
    const volumes = await anonymousVolumesOfRun(runId!);
    const exited = new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, signal) => done(signal)));
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    expect(await leftovers(runId!)).toEqual([]);
    expect(await existingVolumes(volumes)).toEqual([]);
  });

  it('`fluxnet down` from another shell stops a running `fluxnet up`, which exits cleanly', async () => {
    const child = spawnFluxnet(['up', '--nodes', '1', '--seed', '6']);
    const [, runId] = await waitForLine(child, /\] network fluxnet-(\S+) 198\.18\./, 240_000);
    await waitForLine(child, /tears the network down/, 240_000);
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const stopping = waitForLine(child, /stopping: its network was removed/, 60_000);
    await promisify(execFile)(process.execPath, [resolve('bin/fluxnet.js'), 'down']);
    await stopping;
    expect(await exited).toBe(0);
    expect(await leftovers(runId!)).toEqual([]);
  });
});

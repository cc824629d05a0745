import Docker from 'dockerode';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../network/labels.js';
import { anonymousVolumesOfRun, existingVolumes } from '../network/run-volumes.js';
import { sweep } from '../network/sweep.js';
import { ensureImages, type ImageSet } from './ensure-images.js';

const docker = new Docker();
const runId = `images-test-${process.pid}-${Date.now().toString(36)}`;
const labels = { [RUN_LABEL]: runId };
/** A /24 of the project's own range, away from docker0 (198.18.0.0/24) and the default pool (198.19/16). */
const subnetPrefix = `198.18.${200 + (process.pid % 50)}`;
const networkName = `fluxnet-${runId}`;
const dbAddress = `${subnetPrefix}.10`;
const clientAddress = `${subnetPrefix}.11`;
const coldBuildTimeoutMs = 20 * 60_000;

let images: ImageSet;
/** The database image declares `VOLUME /data`: its anonymous volumes must go with the containers. */
const anonymousVolumes: string[] = [];

interface RunOptions {
  image: string;
  cmd: string[];
  network?: { name: string; address: string };
}

function containerOptions({ image, cmd, network }: RunOptions): Docker.ContainerCreateOptions {
  return {
    Image: image,
    Cmd: cmd,
    Labels: labels,
    Tty: true,
    HostConfig: { NetworkMode: network?.name ?? 'none' },
    NetworkingConfig: network
      ? { EndpointsConfig: { [network.name]: { IPAMConfig: { IPv4Address: network.address } } } }
      : undefined,
  };
}

/** Collects everything a stream yields until it ends. */
async function collect(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Runs a command to completion. Attaching before start catches all output (with a TTY it is plain
 * text); `logs()` is avoided because docker-modem parses a body that happens to be JSON.
 */
async function runToCompletion(options: RunOptions): Promise<{ exitCode: number; output: string }> {
  const container = await docker.createContainer(containerOptions(options));
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  const output = collect(stream);
  await container.start();
  const { StatusCode } = (await container.wait()) as { StatusCode: number };
  const text = await output;
  await container.remove({ force: true });
  return { exitCode: StatusCode, output: text };
}

beforeAll(async () => {
  images = await ensureImages({ log: (line) => console.log(line) });
}, coldBuildTimeoutMs);

afterAll(async () => {
  expect((await sweep({ runId })).failures).toEqual([]);
  const left = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } });
  expect(left).toEqual([]);
  expect(await existingVolumes(anonymousVolumes)).toEqual([]);
});

describe('node image', () => {
  it('runs the host Node.js version and loads the prebuilt zeromq addon', async () => {
    const script =
      "const z = await import('zeromq'); console.log(JSON.stringify({ node: process.version, publisher: typeof z.Publisher }))";
    const { exitCode, output } = await runToCompletion({
      image: images.node,
      cmd: ['node', '--input-type=module', '-e', script],
    });
    expect(exitCode, output).toBe(0);
    expect(JSON.parse(output.trim())).toEqual({ node: process.version, publisher: 'function' });
  });

  it('stops promptly on SIGTERM although node installs no handler (tini is PID 1)', async () => {
    const container = await docker.createContainer(
      containerOptions({ image: images.node, cmd: ['node', '-e', 'setInterval(() => {}, 1000)'] }),
    );
    await container.start();
    await container.stop({ t: 20 });
    const state = (await container.inspect()).State;
    await container.remove({ force: true });
    // 143 = ended by SIGTERM; without tini forwarding it, docker would SIGKILL after 20 s (137).
    expect(state.ExitCode).toBe(143);
  });
});

describe('database image', () => {
  it('serves the MongoDB wire protocol on a user-defined bridge in 198.18.0.0/15', async () => {
    console.log(`database image: ${images.db} (${images.dbKind})`);
    const network = await docker.createNetwork({
      Name: networkName,
      Driver: 'bridge',
      Labels: labels,
      IPAM: { Driver: 'default', Config: [{ Subnet: `${subnetPrefix}.0/24`, Gateway: `${subnetPrefix}.1` }] },
    });
    const db = await docker.createContainer({
      Image: images.db,
      Labels: labels,
      HostConfig: { NetworkMode: networkName },
      NetworkingConfig: { EndpointsConfig: { [networkName]: { IPAMConfig: { IPv4Address: dbAddress } } } },
    });
    await db.start();
    anonymousVolumes.push(...(await anonymousVolumesOfRun(runId)));
    const attached = (await db.inspect()).NetworkSettings.Networks[networkName];
    expect(attached?.IPAddress).toBe(dbAddress);
    expect((await network.inspect()).IPAM?.Config?.[0]?.Subnet).toBe(`${subnetPrefix}.0/24`);

    // Server selection waits for the server to accept connections, failing with its reason after the timeout.
    const client = new MongoClient(`mongodb://${dbAddress}:27017/?directConnection=true`, {
      serverSelectionTimeoutMS: 30_000,
    });
    try {
      const events = client.db('fluxnet').collection('probe');
      await events.insertOne({ key: 'from-host', value: 1 });
      expect(await events.findOne({ key: 'from-host' }, { projection: { _id: 0 } })).toEqual({
        key: 'from-host',
        value: 1,
      });

      // A second container on the same bridge: node image + mongodb driver, container to container.
      const script = [
        "const { MongoClient } = await import('mongodb');",
        `const c = new MongoClient('mongodb://${dbAddress}:27017/?directConnection=true', { serverSelectionTimeoutMS: 20000 });`,
        "const col = c.db('fluxnet').collection('probe');",
        "const seen = await col.findOne({ key: 'from-host' }, { projection: { _id: 0 } });",
        "await col.insertOne({ key: 'from-container', value: 2 });",
        'console.log(JSON.stringify(seen)); await c.close();',
      ].join(' ');
      const { exitCode, output } = await runToCompletion({
        image: images.node,
        cmd: ['node', '--input-type=module', '-e', script],
        network: { name: networkName, address: clientAddress },
      });
      expect(exitCode, output).toBe(0);
      expect(JSON.parse(output.trim())).toEqual({ key: 'from-host', value: 1 });
      expect(await events.countDocuments({ key: 'from-container', value: 2 })).toBe(1);
    } finally {
      await client.close();
    }
  });
});

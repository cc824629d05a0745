import { performance } from 'node:perf_hooks';
import { median } from '../../protocol/stats.js';
import { type DaemonStubHandle, startDaemonStub } from './daemon-stub.js';
import type { RpcCallOptions } from './rpc-client.js';
import { ZmqCollector } from './zmq-collector.js';

/**
 * `npm run bench:daemon`: the stub's speed with a 10,000-node list. Medians over several runs of
 * getfluxnodesnapshot over HTTP (first call at a new tip, and a repeat at the same tip), mining
 * one block until its frames reach a connected subscriber, and mining with nobody listening.
 * Goals: snapshot < 50 ms, block + publish < 5 ms.
 */

const NODES = 10_000;
const RUNS = 15;
/** Untimed rounds first, so the medians are not of the JIT warming up. */
const WARMUP = 5;
const UNHEARD_BLOCKS = 200;
/**
 * Into the second wave of keep-alives (genesis nodes confirm again between heights 501 and 639,
 * then from 1002 on), so measured blocks carry UPDATE_CONFIRMs as a long-running chain does.
 */
const PREMINE = 1100;

async function timed(action: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

/** Request sent, whole body received; the client's JSON parse is not the stub's latency. */
async function fetchSnapshot(rpc: RpcCallOptions): Promise<number> {
  const res = await fetch(rpc.url, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${rpc.user}:${rpc.password}`).toString('base64')}` },
    body: '{"id":1,"method":"getfluxnodesnapshot","params":[]}',
  });
  if (res.status !== 200) throw new Error(`getfluxnodesnapshot: HTTP ${res.status}`);
  return (await res.arrayBuffer()).byteLength;
}

async function snapshotLatency(stub: DaemonStubHandle, rpc: RpcCallOptions): Promise<{ cold: number; warm: number }> {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let run = 0; run < WARMUP + RUNS; run++) {
    stub.mine({ blocks: 1 });
    const first = await timed(() => fetchSnapshot(rpc));
    const again = await timed(() => fetchSnapshot(rpc));
    if (run < WARMUP) continue;
    cold.push(first);
    warm.push(again);
  }
  return { cold: median(cold), warm: median(warm) };
}

async function blockAndPublish(stub: DaemonStubHandle): Promise<number> {
  const collector = ZmqCollector.connect(stub.views[0]!.zmqEndpoint);
  try {
    await stub.waitForSubscriber(1);
    const times: number[] = [];
    for (let run = 0; run < WARMUP + RUNS; run++) {
      const seen = collector.count('hashblockheight');
      const elapsed = await timed(async () => {
        stub.mine({ blocks: 1 });
        await collector.waitForCount('hashblockheight', seen + 1, 10_000);
      });
      if (run >= WARMUP) times.push(elapsed);
    }
    return median(times);
  } finally {
    collector.close();
  }
}

/** Wall-clock rate, plus CPU time per block (less disturbed by other load on the machine). */
async function blocksPerSecond(
  stub: DaemonStubHandle,
): Promise<{ rate: number; txsPerBlock: number; cpuMsPerBlock: number }> {
  let txs = 0;
  const cpu = process.cpuUsage();
  const elapsed = await timed(async () => {
    txs = stub.mine({ blocks: UNHEARD_BLOCKS }).reduce((sum, block) => sum + block.txs.length, 0);
    await stub.flush();
  });
  const used = process.cpuUsage(cpu);
  return {
    rate: UNHEARD_BLOCKS / (elapsed / 1000),
    txsPerBlock: txs / UNHEARD_BLOCKS,
    cpuMsPerBlock: (used.user + used.system) / 1000 / UNHEARD_BLOCKS,
  };
}

async function bench(views: number): Promise<void> {
  const setup = performance.now();
  const stub = await startDaemonStub({ views, fluxnodes: NODES, controlPort: null, seed: 5 });
  const started = performance.now() - setup;
  try {
    const rpc = { url: stub.views[0]!.rpcUrl, user: 'fluxrpc', password: 'fluxrpc' };
    stub.mine({ blocks: PREMINE });
    await stub.flush();
    const snapshot = await snapshotLatency(stub, rpc);
    const publish = await blockAndPublish(stub);
    const mining = await blocksPerSecond(stub);
    const size = await fetchSnapshot(rpc);
    console.log(
      [
        `views=${views} nodes=${NODES} (startup ${started.toFixed(0)} ms, premined ${PREMINE}, snapshot ${(size / 1e6).toFixed(1)} MB)`,
        `  getfluxnodesnapshot, new tip   median ${snapshot.cold.toFixed(1)} ms  (goal < 50)`,
        `  getfluxnodesnapshot, same tip  median ${snapshot.warm.toFixed(1)} ms`,
        `  mine 1 block → frames received median ${publish.toFixed(2)} ms  (goal < 5)`,
        `  mining, no subscriber          ${mining.rate.toFixed(0)} blocks/s, ${mining.cpuMsPerBlock.toFixed(2)} ms CPU/block (${mining.txsPerBlock.toFixed(1)} txs/block)`,
      ].join('\n'),
    );
  } finally {
    await stub.stop();
  }
}

await bench(1);
await bench(16);

/**
 * `npm run bench:boot`: 16 machines from nothing to all-READY, three times with warm images; prints
 * the median and the peak memory of a run (sum over its containers).
 */

import { median } from '../../protocol/stats.js';
import { ensureImages } from '../images/ensure-images.js';
import { createNetwork } from '../network/create-network.js';
import { peakMemoryOfRun } from './container-memory.js';

const RUNS = 3;
const NODES = 16;

async function oneBringUp(run: number): Promise<{ readyMs: number; containersUpMs: number; peakBytes: number }> {
  const started = performance.now();
  const network = await createNetwork({ name: `bench-boot-${run}`, nodes: NODES, seed: run, log: () => undefined });
  try {
    const containersUpMs = performance.now() - started;
    await network.waitFor({
      event: 'orchestrator:stateChanged',
      predicate: (payload) => (payload as { to: string }).to === 'READY',
      timeoutMs: 300_000,
    });
    const readyMs = performance.now() - started;
    const { bytes } = await peakMemoryOfRun(network.runId);
    return { readyMs, containersUpMs, peakBytes: bytes };
  } finally {
    await network.teardown();
  }
}

await ensureImages({ log: () => undefined });
const results = [];
for (let run = 1; run <= RUNS; run += 1) {
  const result = await oneBringUp(run);
  results.push(result);
  process.stdout.write(
    `run ${run}: all ${NODES} READY after ${(result.readyMs / 1000).toFixed(1)} s ` +
      `(containers answering after ${(result.containersUpMs / 1000).toFixed(1)} s), ` +
      `peak memory ${(result.peakBytes / 2 ** 30).toFixed(2)} GiB\n`,
  );
}
const ready = median(results.map((r) => r.readyMs));
const up = median(results.map((r) => r.containersUpMs));
const peak = Math.max(...results.map((r) => r.peakBytes));
process.stdout.write(
  `\nbench:boot over ${RUNS} runs, ${NODES} machines: median all-READY ${(ready / 1000).toFixed(1)} s ` +
    `(goal < 20 s), median containers answering ${(up / 1000).toFixed(1)} s, ` +
    `peak memory ${(peak / 2 ** 30).toFixed(2)} GiB (goal < 4 GiB)\n`,
);

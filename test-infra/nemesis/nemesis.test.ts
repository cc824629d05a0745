/** The Nemesis facade with fake machines: which machines a partition reaches (the Docker test proves the rules). */
import { describe, expect, it } from 'vitest';
import { History } from '../observe/history.js';
import { halves } from './grudge.js';
import { Nemesis, type NemesisNetwork } from './nemesis.js';

function fakeNetwork({ deferred }: { deferred: number[] }) {
  const applied = new Map<number, string[]>();
  const started = new Set([1, 2, 3, 4].filter((index) => !deferred.includes(index)));
  const machines = [1, 2, 3, 4].map((index) => ({
    index,
    ip: `198.18.50.${10 + index}`,
    get created() {
      return started.has(index);
    },
    execWithInput: async ({ input }: { cmd: readonly string[]; input: string }) => {
      if (!started.has(index)) throw new Error(`machine ${index}: node container not created yet`);
      applied.set(index, [...(applied.get(index) ?? []), input]);
      return { exitCode: 0, output: '' };
    },
  }));
  const network = {
    history: new History(),
    machines,
    plan: { daemon: '198.18.50.2' },
    setLive: () => {},
  } as unknown as NemesisNetwork;
  return { network, applied, start: (index: number) => started.add(index) };
}

const drops = (ruleset: string | undefined) => (ruleset ?? '').split('\n').filter((line) => line.endsWith('-j DROP'));

describe('Nemesis with a deferred machine', () => {
  it('partitions the started machines, leaves the deferred one alone, and cuts it in when it joins', async () => {
    const { network, applied, start } = fakeNetwork({ deferred: [4] });
    const nemesis = new Nemesis({ network, iptables: 'exec' });
    await nemesis.setup();
    const report = await nemesis.partition(halves({ nodes: [1, 2, 3, 4] }));
    expect(report.skipped).toEqual([4]);
    expect([...applied.keys()].sort()).toEqual([1, 2, 3]);
    start(4);
    await nemesis.joined(4);
    // Node 4 sits with node 3 in the second half: it drops nodes 1 and 2.
    expect(drops(applied.get(4)?.at(-1))).toHaveLength(2);
    await nemesis.heal();
    expect(drops(applied.get(4)?.at(-1))).toEqual([]);
    nemesis.close();
  });
});

import { describe, expect, it } from 'vitest';
import { heldOnlyBy } from './held-only-by.js';
import { appRunning, MIN, perNode, T } from './test-states.js';

const A = '198.18.0.11:16127';
const B = '198.18.0.12:16127';
const options = { name: 'apart', holders: [1, 2], lacking: [3], sinceWall: T };

describe('heldOnlyBy', () => {
  it('fails when every holder has an event that no lacking node has', () => {
    const result = heldOnlyBy(
      [
        perNode(1, { events: [appRunning({ ip: A, at: T + MIN, apps: ['web'] })] }),
        perNode(2, { events: [appRunning({ ip: A, at: T + MIN, apps: ['web'] })] }),
        perNode(3, { events: [appRunning({ ip: A, at: T, apps: ['web'] })] }),
      ],
      options,
    );
    expect(result.ok).toBe(false);
    expect(result.diff).toEqual([`apprunning ${A} v2: broadcastedAt=${T + MIN} apps=[web]`]);
  });

  it('passes when the event has reached a lacking node, or not yet every holder', () => {
    const fresh = appRunning({ ip: A, at: T + MIN, apps: ['web'] });
    const everywhere = [
      perNode(1, { events: [fresh] }),
      perNode(2, { events: [fresh] }),
      perNode(3, { events: [fresh] }),
    ];
    const halfway = [perNode(1, { events: [fresh] }), perNode(2), perNode(3)];
    expect(heldOnlyBy(everywhere, options).ok).toBe(true);
    expect(heldOnlyBy(halfway, options).ok).toBe(true);
  });

  it('counts only events since sinceWall and, when given, of one IP', () => {
    const old = appRunning({ ip: A, at: T - MIN, apps: ['web'] });
    const other = appRunning({ ip: B, at: T + MIN, apps: ['db'] });
    const states = [perNode(1, { events: [old, other] }), perNode(2, { events: [old, other] }), perNode(3)];
    expect(heldOnlyBy(states, { ...options, ip: A }).ok).toBe(true);
    expect(heldOnlyBy(states, options).ok).toBe(false);
  });

  it('is not comparable, and so no divergence, without every node state', () => {
    const result = heldOnlyBy([perNode(1), perNode(2)], options);
    expect(result).toMatchObject({ ok: true, summary: 'nodes 1, 2 vs 3: not comparable, no state for node(s) 3' });
  });
});

import {
  bridge,
  type Grudge,
  halves,
  isolate,
  majoritiesRing,
  majorityMinority,
  oneWay,
  randomHalves,
} from '../nemesis/grudge.js';
import type { StepOf } from './schema.js';

/**
 * The grudge of a partition step, from the nemesis's own shape builders. `nodes` are the machines
 * the shape cuts when the step names none; `seed` drives random-halves.
 */
export function grudgeOf(step: StepOf<'partition'>, context: { nodes: readonly number[]; seed: number }): Grudge {
  const nodes = step.nodes ?? context.nodes;
  switch (step.shape) {
    case 'halves':
      return halves({ nodes });
    case 'isolate':
      return isolate({ nodes, node: step.node ?? 0 });
    case 'majority-minority':
      return majorityMinority({ nodes, ...(step.minority ? { minority: step.minority } : {}) });
    case 'ring':
      return majoritiesRing({ nodes });
    case 'bridge':
      return bridge({ nodes });
    case 'one-way':
      return oneWay({ from: step.from ?? [], to: step.to ?? [] });
    case 'random-halves':
      return randomHalves({ nodes, seed: context.seed });
  }
}

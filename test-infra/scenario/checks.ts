/**
 * What the schema cannot see: node numbers against the network's size, tunable names, and the
 * order of steps (a node must be up to be sigtermed, stopped to be started, deferred nodes started
 * before a partition…). Walks the steps once, tracking each node's process state.
 */
import { DEFAULT_TUNABLES } from '../../reference-node/tunables.js';
import { GrudgeError } from '../nemesis/grudge.js';
import { grudgeOf } from './partition-shape.js';
import type { Scenario, Step, StepKind, StepOf } from './schema.js';
import { closest } from './suggest.js';

export interface CheckIssue {
  path: (string | number)[];
  message: string;
  /** Locate at the map key rather than its value. */
  atKey?: boolean;
}

type ProcessState = 'deferred' | 'up' | 'stopped' | 'paused';

interface NodeStatus {
  state: ProcessState;
  /** The step that put the node in this state, for messages. */
  since?: number;
}

/**
 * The convergence checker derives views with FluxOS's 420 s sigterm grace × the time scale, so a
 * scenario that changed it would be judged against the wrong rule.
 */
const FIXED_TUNABLES = ['sigtermExpiryMs'];

export function checkScenario(scenario: Scenario): CheckIssue[] {
  const issues: CheckIssue[] = [];
  checkNetwork(scenario, issues);
  checkSteps(scenario, issues);
  return issues;
}

function checkNetwork(scenario: Scenario, issues: CheckIssue[]): void {
  const { network } = scenario;
  const size = network.nodes;
  const deferred = network.deferred ?? [];
  deferred.forEach((node, i) => {
    if (node > size) issues.push(outside(['network', 'deferred', i], node, size));
    if (deferred.indexOf(node) !== i)
      issues.push({ path: ['network', 'deferred', i], message: `node ${node} is listed twice` });
  });
  if (new Set(deferred.filter((node) => node <= size)).size >= size) {
    issues.push({
      path: ['network', 'deferred'],
      message: 'every node is deferred: at least one must start with the network',
    });
  }
  for (const key of Object.keys(network.overrides ?? {})) {
    const node = Number(key);
    if (!/^\d+$/.test(key) || node < 1 || node > size) {
      issues.push({
        path: ['network', 'overrides', key],
        atKey: true,
        message: `overrides are keyed by node number 1..${size}, got ${JSON.stringify(key)}`,
      });
    }
  }
  for (const [name, value] of Object.entries(network.tunables ?? {})) {
    const path = ['network', 'tunables', name];
    const tunables = DEFAULT_TUNABLES as Record<string, unknown>;
    if (!Object.hasOwn(tunables, name)) {
      const near = closest(name, Object.keys(tunables));
      issues.push({
        path,
        atKey: true,
        message: `unknown tunable ${JSON.stringify(name)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; docs/tunables.md lists them`,
      });
    } else if (FIXED_TUNABLES.includes(name)) {
      issues.push({
        path,
        atKey: true,
        message: `${name} cannot be changed in a scenario: the convergence checker assumes FluxOS's 420 s × timeScale`,
      });
    } else if (Array.isArray(tunables[name]) !== Array.isArray(value)) {
      issues.push({ path, message: `${name} is ${Array.isArray(tunables[name]) ? 'a list of numbers' : 'a number'}` });
    }
  }
}

function outside(path: CheckIssue['path'], node: number, size: number): CheckIssue {
  return { path, message: `node ${node} is not in the network (nodes 1..${size})` };
}

/** Every node number a step names, with the path of the field that names it. */
function nodeRefs(step: Step): { path: (string | number)[]; node: number }[] {
  const one = (field: string, node: number | undefined) => (node === undefined ? [] : [{ path: [field], node }]);
  const many = (field: string, nodes: readonly number[] | undefined) =>
    (nodes ?? []).map((node, i) => ({ path: [field, i], node }));
  const either = (field: string, value: number | readonly number[] | undefined) =>
    typeof value === 'number' ? one(field, value) : many(field, value);
  switch (step.kind) {
    case 'register-app':
      return one('via', step.via);
    case 'partition':
      return [
        ...one('node', step.node),
        ...many('nodes', step.nodes),
        ...many('minority', step.minority),
        ...either('from', step.from),
        ...either('to', step.to),
      ];
    case 'mine':
    case 'reorg':
      return many('views', step.views);
    case 'powercut':
      return step.nodes === 'all' ? [] : many('nodes', step.nodes);
    case 'sigterm':
    case 'crash':
    case 'pause':
    case 'unpause':
    case 'start':
    case 'evict':
    case 'skew-clock':
      return one('node', step.node);
    case 'wait-for-event':
      return [...many('nodes', step.nodes), ...one('ipOf', step.ipOf)];
    case 'expect-converged':
    case 'expect-diverged':
      return many('nodes', step.nodes);
    default:
      return [];
  }
}

class StepWalk {
  readonly status = new Map<number, NodeStatus>();
  forkSince: number | undefined;
  registeredApp = false;

  constructor(
    readonly scenario: Scenario,
    readonly issues: CheckIssue[],
  ) {
    const deferred = new Set(scenario.network.deferred ?? []);
    for (let node = 1; node <= scenario.network.nodes; node += 1) {
      this.status.set(node, { state: deferred.has(node) ? 'deferred' : 'up' });
    }
  }

  issue(index: number, step: Step, field: (string | number)[], message: string): void {
    this.issues.push({ path: ['steps', index, step.kind, ...field], message });
  }

  state(node: number): ProcessState {
    return this.status.get(node)?.state ?? 'up';
  }

  describe(node: number): string {
    const status = this.status.get(node);
    if (!status || status.state === 'up') return `node ${node} is up`;
    if (status.state === 'deferred') return `node ${node} is deferred and not started yet`;
    return `node ${node} is ${status.state} (steps[${status.since}])`;
  }

  /** The node must be in one of `states`; then moves to `next`. */
  transition(args: {
    index: number;
    step: Step;
    node: number;
    field: (string | number)[];
    states: readonly ProcessState[];
    next: ProcessState;
    hint: string;
  }): void {
    const { index, step, node, field, states, next, hint } = args;
    if (!states.includes(this.state(node))) this.issue(index, step, field, `${this.describe(node)}; ${hint}`);
    this.status.set(node, { state: next, since: index });
  }

  pendingDeferred(): number[] {
    return [...this.status].filter(([, status]) => status.state === 'deferred').map(([node]) => node);
  }

  upNodes(): number[] {
    return [...this.status].filter(([, status]) => status.state === 'up').map(([node]) => node);
  }

  requireUp(index: number, step: Step, field: (string | number)[], node: number, why: string): void {
    if (this.state(node) !== 'up') this.issue(index, step, field, `${this.describe(node)}; ${why}`);
  }
}

function checkSteps(scenario: Scenario, issues: CheckIssue[]): void {
  const walk = new StepWalk(scenario, issues);
  const size = scenario.network.nodes;
  scenario.steps.forEach((step, index) => {
    const before = issues.length;
    for (const ref of nodeRefs(step)) {
      if (ref.node > size)
        walk.issue(index, step, ref.path, `node ${ref.node} is not in the network (nodes 1..${size})`);
    }
    // Order rules need node numbers that exist.
    if (issues.length === before) checkStepOrder(walk, index, step);
  });
}

/** Process faults on one node: the states a node may be in for the step, and the state it leaves. */
const TRANSITIONS: Partial<Record<StepKind, { from: readonly ProcessState[]; to: ProcessState; hint: string }>> = {
  sigterm: { from: ['up'], to: 'stopped', hint: 'sigterm needs a running node' },
  crash: { from: ['up'], to: 'stopped', hint: 'crash needs a running node' },
  pause: { from: ['up'], to: 'paused', hint: 'pause needs a running node' },
  unpause: { from: ['paused'], to: 'up', hint: 'unpause needs a paused node' },
  start: {
    from: ['deferred', 'stopped'],
    to: 'up',
    hint: 'start needs a deferred node or one stopped by sigterm or crash',
  },
};

function checkStepOrder(walk: StepWalk, index: number, step: Step): void {
  const transition = TRANSITIONS[step.kind];
  const node = 'node' in step ? step.node : undefined;
  if (transition && node !== undefined) {
    const { from, to, hint } = transition;
    walk.transition({ index, step, node, field: ['node'], states: from, next: to, hint });
    return;
  }
  switch (step.kind) {
    case 'register-app':
      if (step.via !== undefined) walk.requireUp(index, step, ['via'], step.via, 'registrations go to a running node');
      else if (walk.upNodes().length === 0) walk.issue(index, step, [], 'no node is up to take the registration');
      walk.registeredApp = true;
      break;
    case 'partition':
      checkPartition(walk, index, step);
      break;
    case 'heal':
      walk.forkSince = undefined;
      break;
    case 'heal-all':
      walk.forkSince = undefined;
      for (const [node, status] of walk.status) if (status.state !== 'deferred') walk.status.set(node, { state: 'up' });
      break;
    case 'powercut':
      checkPowercut(walk, index, step);
      break;
    case 'skew-clock':
      if (!walk.scenario.network.clockFaults) {
        walk.issue(index, step, [], 'skew-clock needs network.clockFaults: true (nodes run under libfaketime)');
      }
      break;
    case 'wait-for-event':
      checkWatchers(walk, index, step, step.quorum);
      break;
    case 'expect-converged':
    case 'expect-diverged':
      if (step.checks?.includes('hashes') && !walk.registeredApp) {
        walk.issue(
          index,
          step,
          ['checks'],
          'the hashes check compares the apps this scenario registered; no register-app comes before it',
        );
      }
      checkWatchers(walk, index, step, undefined);
      break;
  }
}

function checkPartition(walk: StepWalk, index: number, step: StepOf<'partition'>): void {
  const pending = walk.pendingDeferred();
  if (pending.length > 0) {
    walk.issue(
      index,
      step,
      [],
      `node(s) ${pending.join(', ')} are deferred and not started yet; a partition needs every machine: start them first`,
    );
    return;
  }
  if (step.fork && walk.forkSince !== undefined) {
    walk.issue(index, step, ['fork'], `a fork is already in effect (steps[${walk.forkSince}]); heal first`);
  }
  if (step.fork) walk.forkSince = index;
  const nodes = Array.from({ length: walk.scenario.network.nodes }, (_, i) => i + 1);
  try {
    grudgeOf(step, { nodes, seed: 0 });
  } catch (error) {
    if (!(error instanceof GrudgeError)) throw error;
    walk.issue(index, step, [], error.message);
  }
}

function checkPowercut(walk: StepWalk, index: number, step: StepOf<'powercut'>): void {
  if (step.nodes !== 'all') {
    step.nodes.forEach((node, i) => {
      walk.requireUp(index, step, ['nodes', i], node, 'powercut needs a running machine');
    });
    return;
  }
  const pending = walk.pendingDeferred();
  if (pending.length > 0) {
    walk.issue(
      index,
      step,
      ['nodes'],
      `node(s) ${pending.join(', ')} are deferred and not started yet; "all" cuts every machine: start them first`,
    );
  }
  for (const [node, status] of walk.status) {
    if (status.state !== 'up' && status.state !== 'deferred') {
      walk.issue(index, step, ['nodes'], `${walk.describe(node)}; "all" needs every machine running`);
    }
  }
}

function checkWatchers(
  walk: StepWalk,
  index: number,
  step: StepOf<'wait-for-event'> | StepOf<'expect-converged'> | StepOf<'expect-diverged'>,
  quorum: number | 'all' | undefined,
): void {
  (step.nodes ?? []).forEach((node, i) => {
    walk.requireUp(index, step, ['nodes', i], node, 'only a running node can be watched');
  });
  const watched = step.nodes?.length ?? walk.upNodes().length;
  if (typeof quorum === 'number' && quorum > watched) {
    walk.issue(index, step, ['quorum'], `quorum ${quorum} exceeds the ${watched} node(s) watched here`);
  }
}

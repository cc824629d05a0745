import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { loadScenarioFile, parseScenario, ScenarioError, type ScenarioIssue } from './load.js';
import { matchesSubset } from './match.js';
import { STEP_KINDS } from './schema.js';

const SCENARIOS_DIR = resolve(import.meta.dirname, '../../suites/scenarios');
const FILE = 'bad.yaml';

/** A scenario with every step kind, in an order the checks accept. */
const EVERY_STEP = `name: every-step
description: one of each step kind
network:
  nodes: 5
  seed: 3
  timeScale: 0.01
  clockFaults: true
  blockInterval: 2s
  deferred: [5]
  tunables: {apprunningIntervalMs: 5000, hashRetryBackoffBlocks: [0, 10]}
  overrides:
    2: {regressions: [gte-guards], env: {FLUXNET_LOG_LEVEL: debug}}
catches: sigterm-ttl-7min
steps:
  - register-app: {name: web, instances: 2, owner: 0, via: 1, timeout: 30s}
  - wait-for-event: {event: app:running, nodes: [1, 2], quorum: 1, match: {apps: [{name: web}]}, ipOf: 1, since: run-start, timeout: 1min}
  - start: {node: 5}
  - partition: {shape: halves, fork: {blocks: [1, 2]}}
  - expect-diverged: {within: 60s, checks: [event-log]}
  - heal
  - partition: {shape: isolate, node: 3}
  - partition: {shape: majority-minority, minority: [4, 5]}
  - partition: {shape: ring}
  - partition: {shape: bridge, nodes: [1, 2, 3]}
  - partition: {shape: one-way, from: 1, to: [2, 3]}
  - partition: {shape: random-halves}
  - heal
  - mine: {blocks: 2, views: [1]}
  - reorg: {depth: 1}
  - sigterm: {node: 2}
  - start: {node: 2}
  - crash: {node: 3}
  - start: {node: 3}
  - pause: {node: 4}
  - unpause: {node: 4}
  - powercut: {nodes: [1, 2], downtime: 2s}
  - powercut: {nodes: all}
  - evict: {node: 4, mode: lapse}
  - skew-clock: {node: 1, offset: -30s}
  - reset-clocks
  - elapse: {nodeTime: 7min}
  - elapse: {wall: 500ms}
  - heal-all
  - expect-converged: {within: 90s, checks: [event-log, locations, hashes], nodes: [1, 2, 3]}
`;

function issuesOf(text: string): ScenarioIssue[] {
  try {
    parseScenario({ text, file: FILE });
  } catch (error) {
    if (error instanceof ScenarioError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the scenario to be refused');
}

/** A valid scenario with `steps` (indented list items) and optional network lines. */
function scenarioWith({ steps, network = '' }: { steps: string; network?: string }): string {
  return `name: bad\ndescription: d\nnetwork:\n  nodes: 4\n${network}steps:\n${steps}`;
}

describe('valid scenario files', () => {
  const files = readdirSync(SCENARIOS_DIR).filter((name) => name.endsWith('.yaml'));

  it('the suite ships field-bug scenarios and a chaos schedule', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('suites/scenarios/%s parses', async (name) => {
    const { scenario, stepLines } = await loadScenarioFile(join(SCENARIOS_DIR, name));
    expect(scenario.name).toBe(name.replace(/\.yaml$/, ''));
    expect(stepLines).toHaveLength(scenario.steps.length);
  });

  it('every step kind parses to {kind, ...fields}, with durations in ms and step lines', () => {
    const { scenario, stepLines } = parseScenario({ text: EVERY_STEP, file: 'every.yaml' });
    expect(new Set(scenario.steps.map((step) => step.kind))).toEqual(new Set(STEP_KINDS));
    expect(scenario.steps[0]).toEqual({
      kind: 'register-app',
      name: 'web',
      instances: 2,
      owner: 0,
      via: 1,
      timeout: 30_000,
    });
    expect(scenario.steps[5]).toEqual({ kind: 'heal' });
    expect(scenario.steps.find((step) => step.kind === 'skew-clock')).toEqual({
      kind: 'skew-clock',
      node: 1,
      offset: -30_000,
    });
    expect(scenario.network.blockInterval).toBe(2_000);
    expect(scenario.network.overrides?.['2']?.regressions).toEqual(['gte-guards']);
    expect(stepLines.slice(0, 3)).toEqual([15, 16, 17]);
  });
});

interface BadCase {
  name: string;
  text: string;
  line: number;
  path: string;
  message: RegExp;
}

const BAD: BadCase[] = [
  {
    name: 'YAML syntax',
    text: 'name: x\nsteps: [heal\n',
    line: 3,
    path: '(yaml)',
    message: /Flow sequence/,
  },
  {
    name: 'unknown top-level field',
    text: `${scenarioWith({ steps: '  - heal\n' })}stpes: []\n`,
    line: 7,
    path: 'stpes',
    message: /unknown field "stpes"/,
  },
  {
    name: 'missing description',
    text: 'name: x\nnetwork: {nodes: 2}\nsteps: [heal]\n',
    line: 1,
    path: 'description',
    message: /required field missing/,
  },
  {
    name: 'bad scenario name',
    text: scenarioWith({ steps: '  - heal\n' }).replace('name: bad', 'name: Bad Name'),
    line: 1,
    path: 'name',
    message: /lowercase letters, digits and dashes/,
  },
  {
    name: 'network too large',
    text: scenarioWith({ steps: '  - heal\n' }).replace('nodes: 4', 'nodes: 17'),
    line: 4,
    path: 'network.nodes',
    message: /at most 16 nodes/,
  },
  {
    name: 'unknown regression toggle, with a suggestion',
    text: `${scenarioWith({ steps: '  - heal\n' })}catches: sigterm-ttl-7mn\n`,
    line: 7,
    path: 'catches',
    message: /not a regression toggle \(did you mean "sigterm-ttl-7min"\?\)/,
  },
  {
    name: 'regression in a node override',
    text: scenarioWith({ steps: '  - heal\n', network: '  overrides:\n    2: {regressions: [nope]}\n' }),
    line: 6,
    path: 'network.overrides.2.regressions[0]',
    message: /"nope" is not a regression toggle/,
  },
  {
    name: 'override of a node outside the network',
    text: scenarioWith({ steps: '  - heal\n', network: '  overrides:\n    9: {env: {A: b}}\n' }),
    line: 6,
    path: 'network.overrides.9',
    message: /keyed by node number 1\.\.4/,
  },
  {
    name: 'unknown tunable, with a suggestion',
    text: scenarioWith({ steps: '  - heal\n', network: '  tunables: {runingExpiryMs: 5}\n' }),
    line: 5,
    path: 'network.tunables.runingExpiryMs',
    message: /unknown tunable "runingExpiryMs" \(did you mean "runningExpiryMs"\?\)/,
  },
  {
    name: 'a tunable the checker depends on',
    text: scenarioWith({ steps: '  - heal\n', network: '  tunables: {sigtermExpiryMs: 5}\n' }),
    line: 5,
    path: 'network.tunables.sigtermExpiryMs',
    message: /cannot be changed/,
  },
  {
    name: 'no steps',
    text: 'name: x\ndescription: d\nnetwork: {nodes: 2}\nsteps: []\n',
    line: 4,
    path: 'steps',
    message: /at least one step/,
  },
  {
    name: 'unknown step kind, with a suggestion',
    text: scenarioWith({ steps: '  - heal\n  - partiton: {shape: halves}\n' }),
    line: 7,
    path: 'steps[1].partiton',
    message: /unknown step kind "partiton" \(did you mean "partition"\?\)/,
  },
  {
    name: 'a step map with two keys',
    text: scenarioWith({ steps: '  - {heal: {}, mine: {blocks: 1}}\n' }),
    line: 6,
    path: 'steps[0]',
    message: /a map with one key, its kind.*got a map with keys heal, mine/,
  },
  {
    name: 'unknown field of a step, with a suggestion',
    text: scenarioWith({ steps: '  - register-app:\n      name: web\n      instance: 2\n' }),
    line: 8,
    path: 'steps[0].register-app.instance',
    message: /unknown field "instance" of register-app \(did you mean "instances"\?\)/,
  },
  {
    name: 'bad enum value',
    text: scenarioWith({ steps: '  - partition:\n      shape: halfs\n' }),
    line: 7,
    path: 'steps[0].partition.shape',
    message: /expected one of "halves"/,
  },
  {
    name: 'missing required step field',
    text: scenarioWith({ steps: '  - heal\n  - sigterm: {}\n' }),
    line: 7,
    path: 'steps[1].sigterm.node',
    message: /required field missing: expected a node number/,
  },
  {
    name: 'wrong type of a step field',
    text: scenarioWith({ steps: '  - mine: {blocks: many}\n' }),
    line: 6,
    path: 'steps[0].mine.blocks',
    message: /expected number/,
  },
  {
    name: 'bad duration',
    text: scenarioWith({ steps: '  - expect-converged: {within: 2 secs}\n' }),
    line: 6,
    path: 'steps[0].expect-converged.within',
    message: /expected a duration .* got "2 secs"/,
  },
  {
    name: 'negative duration where only a signed one may be',
    text: scenarioWith({ steps: '  - powercut: {nodes: [1], downtime: -2s}\n' }),
    line: 6,
    path: 'steps[0].powercut.downtime',
    message: /expected a duration/,
  },
  {
    name: 'unknown SSE event, with a suggestion',
    text: scenarioWith({ steps: '  - wait-for-event: {event: app:runing, timeout: 5s}\n' }),
    line: 6,
    path: 'steps[0].wait-for-event.event',
    message: /unknown SSE event "app:runing" \(did you mean "app:running"\?\)/,
  },
  {
    name: 'shape field that the shape does not take',
    text: scenarioWith({ steps: '  - partition: {shape: halves, node: 2}\n' }),
    line: 6,
    path: 'steps[0].partition.node',
    message: /halves takes no node/,
  },
  {
    name: 'fork on a shape without two sides',
    text: scenarioWith({ steps: '  - partition: {shape: ring, fork: {blocks: [1, 2]}}\n' }),
    line: 6,
    path: 'steps[0].partition.fork',
    message: /fork needs two sides/,
  },
  {
    name: 'elapse with both clocks',
    text: scenarioWith({ steps: '  - elapse: {wall: 1s, nodeTime: 1min}\n' }),
    line: 6,
    path: 'steps[0].elapse',
    message: /exactly one of wall or nodeTime/,
  },
  {
    name: 'node outside the network',
    text: scenarioWith({ steps: '  - heal\n  - sigterm: {node: 7}\n' }),
    line: 7,
    path: 'steps[1].sigterm.node',
    message: /node 7 is not in the network \(nodes 1\.\.4\)/,
  },
  {
    name: 'start of a node that runs',
    text: scenarioWith({ steps: '  - start: {node: 2}\n' }),
    line: 6,
    path: 'steps[0].start.node',
    message: /node 2 is up; start needs a deferred node or one stopped/,
  },
  {
    name: 'sigterm of a node already stopped',
    text: scenarioWith({ steps: '  - crash: {node: 2}\n  - sigterm: {node: 2}\n' }),
    line: 7,
    path: 'steps[1].sigterm.node',
    message: /node 2 is stopped \(steps\[0\]\)/,
  },
  {
    name: 'partition before a deferred node started',
    text: scenarioWith({ steps: '  - partition: {shape: halves}\n', network: '  deferred: [4]\n' }),
    line: 7,
    path: 'steps[0].partition',
    message: /node\(s\) 4 are deferred and not started yet/,
  },
  {
    name: 'impossible grudge',
    text: scenarioWith({ steps: '  - partition: {shape: one-way, from: 1, to: [1, 2]}\n' }),
    line: 6,
    path: 'steps[0].partition',
    message: /node 1 is in both from and to/,
  },
  {
    name: 'clock skew without libfaketime',
    text: scenarioWith({ steps: '  - skew-clock: {node: 1, offset: 5s}\n' }),
    line: 6,
    path: 'steps[0].skew-clock',
    message: /needs network.clockFaults: true/,
  },
  {
    name: 'watching a stopped node',
    text: scenarioWith({ steps: '  - sigterm: {node: 3}\n  - expect-converged: {within: 5s, nodes: [1, 3]}\n' }),
    line: 7,
    path: 'steps[1].expect-converged.nodes[1]',
    message: /node 3 is stopped .*only a running node can be watched/,
  },
  {
    name: 'quorum above the watched nodes',
    text: scenarioWith({ steps: '  - wait-for-event: {event: boot:settled, nodes: [1, 2], quorum: 3, timeout: 5s}\n' }),
    line: 6,
    path: 'steps[0].wait-for-event.quorum',
    message: /quorum 3 exceeds the 2 node\(s\)/,
  },
  {
    name: 'hashes check with no registration before it',
    text: scenarioWith({ steps: '  - expect-converged: {within: 5s, checks: [hashes]}\n' }),
    line: 6,
    path: 'steps[0].expect-converged.checks',
    message: /no register-app comes before it/,
  },
];

describe('bad scenarios are refused with file, line and field', () => {
  it.each(BAD)('$name', ({ text, line, path, message }) => {
    const issues = issuesOf(text);
    const issue = issues.find((candidate) => candidate.path === path);
    expect(issue, `issues: ${JSON.stringify(issues)}`).toBeDefined();
    expect(issue).toMatchObject({ file: FILE, line });
    expect(issue?.message).toMatch(message);
  });

  it('reports every problem at once, each as file:line:column: path: message', () => {
    const text = scenarioWith({ steps: '  - partiton: {}\n  - mine: {blocks: 0}\n  - heal: {x: 1}\n' });
    let message = '';
    try {
      parseScenario({ text, file: FILE });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^bad\.yaml: 3 problems:/);
    expect(message).toContain('bad.yaml:6:5: steps[0].partiton: unknown step kind');
    expect(message).toMatch(/bad\.yaml:7:\d+: steps\[1\]\.mine\.blocks: /);
    expect(message).toMatch(/bad\.yaml:8:\d+: steps\[2\]\.heal\.x: unknown field "x" of heal; fields: \(none\)/);
  });

  it('a file that cannot be read is a ScenarioError naming it', async () => {
    await expect(loadScenarioFile('/nonexistent/x.yaml')).rejects.toThrow(
      /\/nonexistent\/x\.yaml: 1 problem:.*cannot read/s,
    );
  });
});

describe('durations and payload matching', () => {
  it.each([
    [1500, 1500],
    ['500ms', 500],
    ['2s', 2_000],
    ['1.5s', 1_500],
    ['7min', 420_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([['2 secs'], ['-1s'], [-5], ['s'], [null], [true]])('%s is not an unsigned duration', (value) => {
    expect(parseDuration(value)).toBeUndefined();
  });

  it('signed durations allow a minus sign', () => {
    expect(parseDuration('-30s', { signed: true })).toBe(-30_000);
  });

  it('match is a subset: objects by field, arrays by elements in any order, scalars strictly', () => {
    const payload = {
      ip: '1.2.3.4:16127',
      apps: [
        { name: 'db', hash: 'a' },
        { name: 'web', hash: 'b' },
      ],
    };
    expect(matchesSubset({ apps: [{ name: 'web' }] }, payload)).toBe(true);
    expect(matchesSubset({ apps: [{ name: 'web' }, { name: 'db' }] }, payload)).toBe(true);
    expect(matchesSubset({ apps: [{ name: 'api' }] }, payload)).toBe(false);
    expect(matchesSubset({ ip: '1.2.3.4' }, payload)).toBe(false);
    expect(matchesSubset({ missing: undefined }, payload)).toBe(false);
    expect(matchesSubset({ apps: { name: 'web' } }, payload)).toBe(false);
  });
});

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureImages } from '../images/ensure-images.js';
import { composeFile } from '../network/compose.js';
import { createNetwork } from '../network/create-network.js';
import { sweep } from '../network/sweep.js';
import { watchNetworkRemoval } from '../network/watch-removal.js';
import { writeReport } from '../report/html-report.js';
import { startRunsDashboard } from '../report/runs-dashboard.js';
import { collectConvergence, formatConvergenceTable } from './e2e-summary.js';
import { runNode } from './node-command.js';
import { runInherited } from './run-command.js';
import { mutationCommand, scenarioCommand } from './scenario-command.js';
import { printStatus } from './status.js';
import { UsageError } from './usage-error.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

const USAGE = `Usage: fluxnet <command> [options]

Commands:
  e2e [--repeat N] [--seed S] [--suite NAME] [--ui]
                                                build what is missing, then run the Docker chaos suites;
                                                --ui serves a live dashboard of the nodes (kept until Ctrl-C)
  report <run-dir>                              write <run-dir>/report.html from its history.jsonl
  up [--nodes N] [--seed S]                     bring up a network and keep it until Ctrl-C
  scenario <file> [--seed S] [--with-regression NAME]
                                                run one scenario file (docs/scenarios.md); --with-regression
                                                runs every node with that field-bug toggle
  mutation <file> [--seed S]                    run a field-bug scenario on the fixed node, then with its
                                                catches toggle on: caught or not
  images                                        build the local images (base, database, node)
  down                                          remove every container/network/volume fluxnet created
  status                                        list running nodes with orchestrator state, tip height, peers
  compose [--nodes N] [--out FILE]              write a docker compose file of the same network (default compose/fluxnet.yml)
  node --config FILE                            run one reference node (FILE maps FLUXNET_* variables)
  daemon-stub [flags]                           the standalone fluxd simulator (see --help)
`;

function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`--${flag}: expected a positive integer, got ${raw}`);
  return Number(raw);
}

async function ensureEngine(): Promise<void> {
  const code = await runInherited({ command: 'bash', argv: [resolve(REPO_ROOT, 'scripts/ensure-docker')] });
  if (code !== 0) throw new Error('no Docker engine (scripts/ensure-docker said why above)');
}

async function e2e(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      repeat: { type: 'string' },
      seed: { type: 'string' },
      suite: { type: 'string' },
      ui: { type: 'boolean' },
    },
    strict: true,
  });
  const repeat = positiveInt('repeat', values.repeat, 1);
  const seed = values.seed === undefined ? Date.now() % 1_000_000 : positiveInt('seed', values.seed, 1);
  await ensureEngine();
  await ensureImages({ log: (line) => process.stdout.write(`[images] ${line}\n`) });
  const started = Date.now();
  const dashboard = values.ui ? await startDashboardForRuns(started) : undefined;
  const outcomes: { run: number; seed: number; code: number }[] = [];
  for (let run = 1; run <= repeat; run += 1) {
    const runSeed = seed + run - 1;
    process.stdout.write(`\n[e2e] run ${run}/${repeat}, seed ${runSeed} (replay with --seed ${runSeed})\n`);
    const code = await runInherited({
      command: 'npx',
      argv: ['vitest', 'run', '--config', 'vitest.e2e.config.ts', ...(values.suite ? [values.suite] : [])],
      env: { FLUXNET_SEED: String(runSeed), TESTCONTAINERS_RYUK_DISABLED: 'true' },
      cwd: REPO_ROOT,
    });
    outcomes.push({ run, seed: runSeed, code });
  }
  const rows = collectConvergence({ runsDir: resolve(REPO_ROOT, 'runs'), sinceMs: started });
  process.stdout.write(`\n[e2e] time-to-converge over ${repeat} run(s):\n${formatConvergenceTable(rows)}\n`);
  const failed = outcomes.filter((outcome) => outcome.code !== 0);
  for (const outcome of failed) process.stdout.write(`[e2e] run ${outcome.run} (seed ${outcome.seed}) FAILED\n`);
  process.stdout.write(`[e2e] ${outcomes.length - failed.length} passed, ${failed.length} failed\n`);
  if (dashboard) {
    process.stdout.write(`[e2e] live dashboard still at ${dashboard.url} — Ctrl-C to exit\n`);
    await new Promise((done) => process.once('SIGINT', done));
    await dashboard.close();
  }
  return failed.length === 0 ? 0 : 1;
}

/** The suites run in vitest children: the dashboard tails the run histories they write under runs/. */
async function startDashboardForRuns(sinceMs: number) {
  const dashboard = await startRunsDashboard({
    runsDir: resolve(REPO_ROOT, 'runs'),
    nodes: 16,
    sinceMs,
    onError: (error) => process.stderr.write(`[ui] ${error.message}\n`),
  });
  process.stdout.write(`[e2e] live dashboard: ${dashboard.url}\n`);
  return dashboard;
}

async function up(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { nodes: { type: 'string' }, seed: { type: 'string' } } });
  await ensureEngine();
  const network = await createNetwork({
    name: 'up',
    nodes: positiveInt('nodes', values.nodes, 16),
    seed: positiveInt('seed', values.seed, 1),
  });
  process.stdout.write(`daemon control: ${network.daemon.baseUrl}\n`);
  for (const machine of network.machines) process.stdout.write(`node ${machine.index}: ${machine.apiUrl}\n`);
  process.stdout.write(
    `history: ${network.runDir}/history.jsonl — Ctrl-C or \`fluxnet down\` tears the network down\n`,
  );
  const removal = await watchNetworkRemoval({ networkName: network.networkName });
  const stoppedBy = await new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
    void removal.removed.then(() => done('its network was removed (fluxnet down)'));
  });
  removal.close();
  process.stdout.write(`stopping: ${stoppedBy}\n`);
  await network.teardown();
  return 0;
}

async function writeCompose(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { nodes: { type: 'string' }, out: { type: 'string' } } });
  await ensureEngine();
  const images = await ensureImages({ log: (line) => process.stdout.write(`[images] ${line}\n`) });
  const out = resolve(values.out ?? resolve(REPO_ROOT, 'compose/fluxnet.yml'));
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, composeFile({ nodes: positiveInt('nodes', values.nodes, 16), images }));
  process.stdout.write(`wrote ${out}: docker compose -f ${out} up -d\n`);
  return 0;
}

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'e2e':
        return await e2e(rest);
      case 'up':
        return await up(rest);
      case 'scenario':
        return await scenarioCommand(rest, { ensureEngine });
      case 'mutation':
        return await mutationCommand(rest, { ensureEngine });
      case 'images':
        await ensureEngine();
        await ensureImages({ log: (line) => process.stdout.write(`[images] ${line}\n`) });
        return 0;
      case 'status':
        await ensureEngine();
        return await printStatus((line) => process.stdout.write(`${line}\n`));
      case 'node':
        return await runNode(rest);
      case 'compose':
        return await writeCompose(rest);
      case 'down':
      case 'sweep': {
        await ensureEngine();
        const swept = await sweep();
        process.stdout.write(
          `removed ${swept.containers} containers, ${swept.networks} networks, ${swept.volumes} volumes\n`,
        );
        return 0;
      }
      case 'report': {
        if (rest[0] === undefined) throw new UsageError('missing <run-dir>');
        process.stdout.write(`report: ${writeReport({ runDir: resolve(rest[0]) })}\n`);
        return 0;
      }
      case 'daemon-stub': {
        const { runDaemonStubCli } = await import('../../stubs/daemon/cli.js');
        return await runDaemonStubCli(rest);
      }
      default:
        process.stderr.write(`${command === undefined ? 'missing command' : `unknown command ${command}`}\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    process.stderr.write(`fluxnet ${command}: ${(error as Error).message}\n`);
    return error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}

process.exitCode = await runCli(process.argv.slice(2));

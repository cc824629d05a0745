/**
 * The live dashboard in a real browser: tiles follow entries appended to a History (and, for
 * `e2e --ui`, to a history file another process writes), waiting on the DOM, never on time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { History, type HistoryRecord } from '../observe/history.js';
import { launchChromium } from './chromium.js';
import { type Dashboard, startDashboard } from './live-dashboard.js';
import { startRunsDashboard } from './runs-dashboard.js';
import { INJECTION } from './synthetic-history.js';

const WAIT_MS = 5_000;
let browser: Browser;
let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  dir = mkdtempSync(join(tmpdir(), 'fluxnet-dashboard-browser-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await browser?.close();
  if (process.env.FLUXNET_KEEP_SCREENSHOTS === '1') console.log(`screenshots kept in ${dir}`);
  else if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openPage(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  cleanups.push(() => page.close());
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(url);
  return { page, problems };
}

/** Waits until the tile field shows `expected` (or starts with it); on timeout, says what it shows. */
async function untilField(
  page: Page,
  args: { node: number; field: string; expected: string; prefix?: boolean },
): Promise<void> {
  const selector = `.tile[data-node="${args.node}"] [data-field="${args.field}"]`;
  try {
    await page.waitForFunction(
      ({ selector, expected, prefix }) => {
        const text = document.querySelector(selector)?.textContent ?? '';
        return prefix ? text.startsWith(expected) : text === expected;
      },
      { selector, expected: args.expected, prefix: args.prefix ?? false },
      { timeout: WAIT_MS },
    );
  } catch {
    const shown = await page
      .locator(selector)
      .textContent({ timeout: 100 })
      .catch(() => '(no such element)');
    throw new Error(`node ${args.node} ${args.field}: expected "${args.expected}", shows "${shown}"`);
  }
}

const event = (node: number, name: string, payload: unknown): HistoryRecord => ({
  kind: 'event',
  node,
  name,
  id: `${node}-${name}-${Math.random()}`,
  payload,
});

async function dashboardOn(history: History, nodes = 3): Promise<Dashboard> {
  const dashboard = await startDashboard({ history, nodes });
  cleanups.push(() => dashboard.close());
  return dashboard;
}

describe('live dashboard in Chromium', () => {
  it('shows the backlog, then follows states, heights, peers, faults and process actions live', async () => {
    const history = new History();
    history.append({ kind: 'action', op: 'run-started', detail: { name: 'live-test', size: 3, seed: 9 } });
    history.append(event(1, 'orchestrator:stateChanged', { from: 'SYNCING', to: 'READY' }));
    history.append(event(2, 'block:processed', { height: 100 }));
    const dashboard = await dashboardOn(history);
    const { page, problems } = await openPage(dashboard.url);

    expect(await page.locator('.tile').count()).toBe(3);
    await untilField(page, { node: 1, field: 'state', expected: 'READY' });
    await untilField(page, { node: 2, field: 'height', expected: '100' });
    expect(await page.locator('#run').textContent()).toBe('live-test (seed 9)');

    history.append(event(2, 'block:processed', { height: 101 }));
    await untilField(page, { node: 2, field: 'height', expected: '101' });
    history.append(
      event(3, 'peers:added', {
        ip: '198.18.16.1:16127',
        port: 16127,
        direction: 'inbound',
        outbound: 2,
        inbound: 3,
        total: 5,
      }),
    );
    await untilField(page, { node: 3, field: 'peers', expected: '5' });
    await untilField(page, { node: 3, field: 'event', expected: 'peers:added', prefix: true });

    history.append({
      kind: 'nemesis',
      op: 'partition',
      phase: 'start',
      detail: { id: 'f1', grudge: { 1: [2], 2: [1] } },
    });
    await untilField(page, { node: 1, field: 'faults', expected: 'partition' });
    await untilField(page, { node: 2, field: 'faults', expected: 'partition' });
    expect(await page.locator('.tile[data-node="3"] [data-field="faults"]').textContent()).toBe('-');
    expect(await page.locator('.tile.faulted').count()).toBe(2);
    history.append({ kind: 'nemesis', op: 'heal-all', phase: 'start', detail: { id: 'f2' } });
    await page.locator('#faults .fault', { hasText: 'heal-all (all nodes)' }).waitFor({ timeout: WAIT_MS });

    history.append({ kind: 'action', op: 'sigterm', node: 3, detail: { timeoutS: 15 } });
    await untilField(page, { node: 3, field: 'proc', expected: 'down' });
    expect(await page.locator('.tile[data-node="3"]').getAttribute('class')).toContain('proc-down');
    history.append({ kind: 'nemesis', op: 'partition', phase: 'end', detail: { id: 'f1' } });
    await untilField(page, { node: 1, field: 'faults', expected: '-' });

    history.append({ kind: 'check', check: 'converged', ok: false, detail: {} });
    await page.locator('#check[data-ok="false"]', { hasText: 'converged FAILED' }).waitFor({ timeout: WAIT_MS });

    // Untrusted names and payloads are text, never markup.
    history.append(event(1, INJECTION, { to: INJECTION }));
    await untilField(page, { node: 1, field: 'event', expected: INJECTION, prefix: true });
    history.append(event(1, 'orchestrator:stateChanged', { from: 'READY', to: INJECTION }));
    await untilField(page, { node: 1, field: 'state', expected: INJECTION });
    expect(
      await page.evaluate(() => ({ images: document.images.length, pwned: (window as { __pwned?: unknown }).__pwned })),
    ).toEqual({ images: 0, pwned: undefined });

    // A second client starts from the backlog and sees the same state at once.
    const second = await openPage(dashboard.url);
    await untilField(second.page, { node: 2, field: 'height', expected: '101' });
    await untilField(second.page, { node: 3, field: 'proc', expected: 'down' });

    await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
    expect([...problems, ...second.problems]).toEqual([]);
  });

  it('starts with 16 tiles, takes the size a run announces, and follows a history file another process writes (e2e --ui)', async () => {
    const runsDir = join(dir, 'runs');
    const dashboard = await startRunsDashboard({ runsDir, nodes: 16 });
    cleanups.push(() => dashboard.close());
    const { page, problems } = await openPage(dashboard.url);
    expect(await page.locator('.tile').count()).toBe(16);

    const history = new History({ jsonlPath: join(runsDir, 'run-x', 'history.jsonl') });
    cleanups.push(() => history.close());
    history.append({ kind: 'action', op: 'run-started', detail: { name: 'suite-x', size: 4, seed: 3 } });
    await page.locator('#run', { hasText: 'suite-x (seed 3)' }).waitFor({ timeout: WAIT_MS });
    expect(await page.locator('.tile').count()).toBe(4);
    history.append(event(4, 'block:processed', { height: 7 }));
    await untilField(page, { node: 4, field: 'height', expected: '7' });
    expect(problems).toEqual([]);
  });
});

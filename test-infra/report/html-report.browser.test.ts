/**
 * The run report in a real browser (Debian's Chromium through playwright-core): lanes, the shaded
 * partition window where its times say, action and check markers, the failure diff as text, and
 * no script from the history ever running. FLUXNET_KEEP_SCREENSHOTS=1 keeps the screenshot.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigHistory } from './big-history.js';
import { launchChromium } from './chromium.js';
import { renderReport } from './html-report.js';
import { INJECTION, PARTITION, RUN_END, syntheticHistory } from './synthetic-history.js';

let browser: Browser;
let dir: string;
const keep = process.env.FLUXNET_KEEP_SCREENSHOTS === '1';

beforeAll(async () => {
  browser = await launchChromium();
  dir = mkdtempSync(join(tmpdir(), 'fluxnet-report-browser-'));
});
afterAll(async () => {
  await browser?.close();
  if (keep) console.log(`screenshots kept in ${dir}`);
  else if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(html: string, name: string): Promise<{ page: Page; problems: string[] }> {
  const path = join(dir, name);
  writeFileSync(path, html);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) problems.push(`request: ${request.url()}`);
  });
  await page.goto(pathToFileURL(path).href);
  return { page, problems };
}

/** Within 1.5 px: bounding boxes include half the stroke, and x positions are rounded to 0.1. */
function expectNear(actual: number, expected: number): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(1.5);
}

type Box = { x: number; y: number; width: number; height: number };

async function box(page: Page, selector: string): Promise<Box> {
  const found = await page.locator(selector).first().boundingBox();
  if (!found) throw new Error(`no visible element for ${selector}`);
  return found;
}

describe('run report in Chromium', () => {
  it('shows lanes, the partition window at its times, markers and the failure diff, and runs no injected script', async () => {
    const { page, problems } = await open(
      renderReport({ entries: syntheticHistory(), title: 'synthetic run' }),
      'report.html',
    );

    expect(await page.locator('rect.row.lane').count()).toBe(3);
    expect(await page.locator('text.lane-label').allTextContents()).toEqual([
      'harness',
      'node 1',
      'node 2',
      'node 3',
      'checks',
    ]);
    expect(await page.locator('#verdict').textContent()).toBe('FAIL');
    expect(await page.locator('[data-fact="seed"]').textContent()).toBe('4242');

    // The partition is shaded on nodes 1 and 2 only, from 2 s to 6 s of a 10 s run.
    const shades = page.locator('rect.fault[data-op="partition"]');
    expect(await shades.evaluateAll((rects) => rects.map((rect) => rect.getAttribute('data-node')))).toEqual([
      '1',
      '2',
    ]);
    for (const node of [1, 2]) {
      const lane = await box(page, `rect.row.lane[data-node="${node}"]`);
      const shade = await box(page, `rect.fault[data-op="partition"][data-node="${node}"]`);
      expectNear(shade.x, lane.x + (PARTITION.start / RUN_END) * lane.width);
      expectNear(shade.x + shade.width, lane.x + (PARTITION.end / RUN_END) * lane.width);
      expect(shade.y).toBeGreaterThanOrEqual(lane.y);
      expect(shade.y + shade.height).toBeLessThanOrEqual(lane.y + lane.height);
    }
    // The clock fault never ended: it runs to the right edge, drawn as open.
    const lane3 = await box(page, 'rect.row.lane[data-node="3"]');
    const clock = await box(page, 'rect.fault-over.open[data-op="clock"][data-node="3"]');
    expectNear(clock.x + clock.width, lane3.x + lane3.width);

    const sigterm = await box(page, 'g.action[data-op="sigterm"][data-node="3"] line');
    expectNear(sigterm.x + sigterm.width / 2, lane3.x + 0.7 * lane3.width);
    expect(await page.locator('g.check.fail[data-check="after heal"]').count()).toBe(1);
    expect(await page.locator('g.check.ok[data-check="converged"]').count()).toBe(1);
    expect(await page.locator('table.convergence tr.fail td').allTextContents()).toEqual(
      expect.arrayContaining(['event-log', 'FAIL', 'not converged']),
    );

    // The diff is shown as text, verbatim; the payload in the hover title of node 1's app event too (as JSON).
    expect(await page.locator('pre.diff').textContent()).toContain(INJECTION);
    const titles = await page.locator('g.tick title').allTextContents();
    expect(
      titles.some((title) => title.includes('network:apprunning') && title.includes(JSON.stringify(INJECTION))),
    ).toBe(true);
    expect(
      await page.evaluate(() => ({
        scripts: document.scripts.length,
        images: document.images.length,
        pwned: (window as { __pwned?: unknown }).__pwned,
      })),
    ).toEqual({ scripts: 1, images: 0, pwned: undefined });

    // The legend hides a family's ticks.
    const blockTicks = page.locator('g.tick rect.f0').first();
    expect(await blockTicks.isVisible()).toBe(true);
    await page.locator('button.family[data-family-index="0"]').click();
    expect(await blockTicks.isVisible()).toBe(false);
    await page.locator('button.family[data-family-index="0"]').click();

    const screenshot = join(dir, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('loads a 100k-event report in a few seconds', async () => {
    const html = renderReport({ entries: bigHistory(), title: 'big run' });
    const started = Date.now();
    const { page, problems } = await open(html, 'big.html');
    const loadMs = Date.now() - started;
    console.log(`100k-event report: ${(html.length / 1e6).toFixed(2)} MB, loaded in ${loadMs} ms`);
    expect(await page.locator('rect.row.lane').count()).toBe(16);
    expect(await page.locator('rect.fault[data-op="partition"]').count()).toBe(40);
    if (keep) await page.screenshot({ path: join(dir, 'big.png') });
    expect(problems).toEqual([]);
    expect(existsSync(join(dir, 'big.html'))).toBe(true);
    await page.close();
  });
});

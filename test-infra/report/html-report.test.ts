import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { bigHistory } from './big-history.js';
import { escapeHtml } from './html.js';
import { ReportError, renderReport, writeReport } from './html-report.js';
import { INJECTION, syntheticHistory } from './synthetic-history.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxnet-report-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('escapeHtml', () => {
  it('escapes every character that can open markup or close an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('renderReport', () => {
  it('is one self-contained page whose only markup is its own', () => {
    const html = renderReport({ entries: syntheticHistory(), title: `run ${INJECTION}` });
    expect(html).not.toContain('<script>window');
    expect(html).not.toContain('<img');
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain(escapeHtml(INJECTION));
    expect(html).toContain('data-op="partition"');
  });

  it('renders 100k events compactly (ticks are bucketed; render time is printed, not asserted)', () => {
    const entries = bigHistory();
    const started = performance.now();
    const html = renderReport({ entries, title: 'big' });
    const elapsed = performance.now() - started;
    console.log(
      `renderReport: ${entries.length} entries in ${elapsed.toFixed(0)} ms, ${(html.length / 1e6).toFixed(2)} MB`,
    );
    expect(html.length).toBeLessThan(6_000_000);
    expect(html.match(/class="tick"/g)!.length).toBeLessThanOrEqual(16 * 500);
  });
});

describe('writeReport', () => {
  it('writes report.html next to history.jsonl and survives a cut last line', () => {
    const runDir = join(tempDir(), 'run-42');
    const lines = syntheticHistory().map((entry) => JSON.stringify(entry));
    mkdirSync(runDir);
    writeFileSync(join(runDir, 'history.jsonl'), `${lines.join('\n')}\n{"kind":"event","no`);
    const path = writeReport({ runDir });
    expect(path).toBe(join(runDir, 'report.html'));
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('<title>fluxnet run run-42</title>');
    expect(html).toContain('1 unreadable history line(s) were skipped');
    expect(html).toContain('data-fact="seed">4242<');
  });

  it('names the missing history', () => {
    const runDir = tempDir();
    expect(() => writeReport({ runDir })).toThrow(ReportError);
    expect(() => writeReport({ runDir })).toThrow(join(runDir, 'history.jsonl'));
  });
});

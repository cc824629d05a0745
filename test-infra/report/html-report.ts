/**
 * The run report: one self-contained HTML file (inline CSS and a few lines of inline script, no
 * external asset) drawn from a run history. Every value from the history is escaped: node payloads
 * are untrusted. The script only toggles event families and shows the time under the cursor; the
 * chart and its hover titles work without it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEntry } from '../observe/history.js';
import { readHistoryLenient } from './history-lines.js';
import { escapeHtml } from './html.js';
import {
  renderConvergenceTable,
  renderFailures,
  renderFaultTable,
  renderHeader,
  renderLegend,
  renderSamples,
} from './report-sections.js';
import { type ReportMeta, runSummary } from './run-summary.js';
import { buildTimeline } from './timeline-model.js';
import { renderTimelineSvg } from './timeline-svg.js';

export type { ReportMeta } from './run-summary.js';

export class ReportError extends Error {
  override readonly name = 'ReportError';
}

export interface RenderReportOptions {
  entries: readonly HistoryEntry[];
  title: string;
  meta?: ReportMeta;
  /** History lines that could not be read (writeReport passes how many it skipped). */
  skippedLines?: number;
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;padding:16px 24px;color:#0f172a;background:#f8fafc}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:20px 0 8px}h4{margin:8px 0 2px}
.verdict{font-size:14px;padding:2px 10px;border-radius:4px;vertical-align:middle;color:#fff}
.verdict.pass{background:#16a34a}.verdict.fail{background:#dc2626}.verdict.none{background:#64748b}
.facts{display:flex;flex-wrap:wrap;gap:4px 20px;margin:0}.facts div{display:flex;gap:6px}
.facts dt{color:#64748b}.facts dd{margin:0;font-weight:600;font-family:ui-monospace,monospace}
.warning{color:#b45309}
.legend{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:12px 0 6px;font-size:12px}
.legend .sep{margin-left:12px;color:#64748b}
.family{font:inherit;border:1px solid #cbd5e1;background:#fff;border-radius:12px;padding:1px 8px;cursor:pointer}
.family.off{opacity:.35;text-decoration:line-through}
.family i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.key b{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:-1px}
.key .tri{width:0;height:0;border:6px solid transparent;border-top:8px solid #f59e0b;border-bottom:0}
.key .shade{background:#f9731640;border:1px solid #f97316}
.key .dot{width:10px;border-radius:50%}.key .dot.ok{background:#16a34a}.key .dot.fail{background:#dc2626}
.chart{overflow-x:auto;background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:4px}
svg.timeline{display:block;font:11px system-ui,sans-serif}
.row{fill:#fff}.row.odd{fill:#f8fafc}.row.harness,.row.checks{fill:#f1f5f9}
.lane-label{text-anchor:end;fill:#334155}
.grid{stroke:#e2e8f0}.axis-label{text-anchor:middle;fill:#64748b}
.fault{fill-opacity:.08;stroke:none}
.fault-overlay{pointer-events:none}.fault-over{fill-opacity:.12;stroke-opacity:.8;stroke-width:1}
.fault-over.open{stroke-dasharray:4 3}
.fault-label{font-size:10px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}
.tick:hover rect,.action:hover line{filter:brightness(.7)}
.wait{stroke-width:2;stroke-opacity:.45}
.cursor{stroke:#0f172a;stroke-opacity:.35;pointer-events:none}.readout{fill:#0f172a;font-weight:600;pointer-events:none}
table{border-collapse:collapse;background:#fff;font-size:13px}
th,td{border:1px solid #e2e8f0;padding:3px 8px;text-align:left}th{background:#f1f5f9}
td.num{text-align:right;font-family:ui-monospace,monospace}
tr.fail td{background:#fef2f2}
.failure{background:#fff;border:1px solid #fecaca;border-radius:6px;padding:6px 12px;margin:8px 0}
.failure summary{font-weight:600;color:#b91c1c;cursor:pointer}
pre{background:#0f172a;color:#e2e8f0;padding:8px 10px;border-radius:4px;overflow-x:auto;white-space:pre-wrap;word-break:break-word;font-size:12px}
`;

/** Family toggles and the time readout under the cursor; reads only the page's own attributes. */
const SCRIPT = `
(() => {
  const svg = document.querySelector('svg.timeline');
  if (!svg) return;
  for (const button of document.querySelectorAll('[data-family-index]')) {
    button.addEventListener('click', () => {
      svg.classList.toggle('hide-f' + button.dataset.familyIndex);
      button.classList.toggle('off');
    });
  }
  const start = Number(svg.dataset.start), span = Number(svg.dataset.span);
  const left = Number(svg.dataset.left), width = Number(svg.dataset.width);
  const cursor = svg.querySelector('.cursor'), readout = svg.querySelector('.readout');
  svg.addEventListener('mousemove', (event) => {
    const x = event.clientX - svg.getBoundingClientRect().left;
    const inside = x >= left && x <= left + width;
    cursor.setAttribute('visibility', inside ? 'visible' : 'hidden');
    readout.setAttribute('visibility', inside ? 'visible' : 'hidden');
    if (!inside) return;
    const ms = ((x - left) / width) * span;
    cursor.setAttribute('x1', x); cursor.setAttribute('x2', x);
    readout.setAttribute('x', Math.min(x + 4, left + width - 60));
    readout.textContent = ms < 1000 ? '+' + Math.round(ms) + ' ms' : '+' + (ms / 1000).toFixed(2) + ' s';
  });
  svg.addEventListener('mouseleave', () => {
    cursor.setAttribute('visibility', 'hidden');
    readout.setAttribute('visibility', 'hidden');
  });
})();
`;

function familyToggleCss(count: number): string {
  return Array.from({ length: count }, (_, i) => `.hide-f${i} .f${i}{display:none}`).join('');
}

export function renderReport(options: RenderReportOptions): string {
  const { entries, title, meta } = options;
  const summary = runSummary({ entries, ...(meta === undefined ? {} : { meta }) });
  const timeline = buildTimeline({ entries, ...(summary.nodes === undefined ? {} : { nodes: summary.nodes }) });
  const body = [
    renderHeader({ title, summary, skippedLines: options.skippedLines ?? 0 }),
    renderLegend(timeline),
    `<div class="chart">${renderTimelineSvg(timeline)}</div>`,
    renderFailures(timeline),
    renderConvergenceTable(timeline),
    renderSamples({ entries, start: timeline.start }),
    renderFaultTable(timeline),
  ].join('\n');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // No network for anything: a report opened from a CI artifact must not fetch or run foreign code.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}${familyToggleCss(timeline.families.length)}</style>`,
    '</head><body>',
    body,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
  ].join('\n');
}

/** Reads `<runDir>/history.jsonl` and writes `<runDir>/report.html`; returns the report's path. */
export function writeReport(args: { runDir: string; title?: string; meta?: ReportMeta }): string {
  const historyPath = join(args.runDir, 'history.jsonl');
  if (!existsSync(historyPath)) throw new ReportError(`no history at ${historyPath}`);
  const { entries, skipped } = readHistoryLenient(readFileSync(historyPath, 'utf8'));
  const runId = args.meta?.runId ?? args.runDir.split(/[\\/]/).filter(Boolean).at(-1);
  const html = renderReport({
    entries,
    title: args.title ?? `fluxnet run ${runId ?? ''}`.trim(),
    meta: { ...(runId === undefined ? {} : { runId }), ...args.meta },
    skippedLines: skipped.length,
  });
  const reportPath = join(args.runDir, 'report.html');
  writeFileSync(reportPath, html);
  return reportPath;
}

/** The HTML sections of a run report around the timeline: header, legend, tables, failure diffs. */
import type { HistoryEntry } from '../observe/history.js';
import { familyColor } from './event-family.js';
import { escapeHtml, formatDuration, formatOffset } from './html.js';
import type { RunSummary } from './run-summary.js';
import { type CheckEntry, checkDetail, isSampleCheck, SAMPLE_PREFIX, type Timeline } from './timeline-model.js';

const MAX_DETAIL_CHARS = 20_000;

const e = escapeHtml;

export function renderHeader(args: { title: string; summary: RunSummary; skippedLines: number }): string {
  const { title, summary, skippedLines } = args;
  const verdict = { pass: 'PASS', fail: 'FAIL', 'no checks': 'NO CHECKS' }[summary.outcome];
  const facts: [string, string][] = [
    ['run', summary.runId ?? summary.name ?? '(unnamed)'],
    ...(summary.name && summary.runId ? ([['name', summary.name]] as [string, string][]) : []),
    ['seed', summary.seed ?? '(not recorded)'],
    ['nodes', summary.nodes === undefined ? '(not recorded)' : String(summary.nodes)],
    ['duration', formatDuration(summary.durationMs)],
    ['started', summary.startedWall === undefined ? '-' : new Date(summary.startedWall).toISOString()],
    ['checks', `${summary.checks} (${summary.failedChecks} failed)`],
    ['entries', String(summary.entries)],
    ...Object.entries(summary.extra),
  ];
  const warning =
    skippedLines > 0
      ? `<p class="warning">${skippedLines} unreadable history line(s) were skipped (a cut last line means the run was killed).</p>`
      : '';
  return (
    `<header><h1>${e(title)} <span class="verdict ${summary.outcome === 'fail' ? 'fail' : summary.outcome === 'pass' ? 'pass' : 'none'}" id="verdict">${verdict}</span></h1>` +
    `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${e(k)}</dt><dd data-fact="${e(k)}">${e(v)}</dd></div>`).join('')}</dl>` +
    `${warning}</header>`
  );
}

export function renderLegend(timeline: Timeline): string {
  const families = timeline.families
    .map(
      ({ family, count }, i) =>
        `<button type="button" class="family" data-family-index="${i}" title="show/hide"><i style="background:${familyColor(family)}"></i>${e(family)}:* <small>${count}</small></button>`,
    )
    .join('');
  return (
    `<div class="legend"><span>events (${timeline.eventCount}):</span>${families || '<em>none</em>'}` +
    `<span class="sep">markers:</span><span class="key"><b class="tri"></b>harness action</span>` +
    `<span class="key"><b class="shade"></b>nemesis fault window</span>` +
    `<span class="key"><b class="dot ok"></b>check ok</span><span class="key"><b class="dot fail"></b>check failed</span></div>`
  );
}

interface TableRow {
  at: number;
  check: string;
  result: string;
  ok: boolean;
  converge: string;
  waited: string;
  rounds: string;
}

function rowsOf(check: CheckEntry, start: number): TableRow[] {
  const detail = checkDetail(check);
  const base = {
    at: check.t - start,
    check: check.check,
    waited: typeof detail.elapsedMs === 'number' ? formatDuration(detail.elapsedMs) : '-',
    rounds: typeof detail.rounds === 'number' ? String(detail.rounds) : '-',
  };
  const rows: TableRow[] = [];
  for (const timing of Array.isArray(detail.timings) ? detail.timings : []) {
    const after = typeof timing.convergedAfterMs === 'number' ? formatDuration(timing.convergedAfterMs) : '-';
    rows.push({ ...base, result: String(timing.name), ok: true, converge: after });
  }
  for (const failing of Array.isArray(detail.failing) ? detail.failing : []) {
    rows.push({ ...base, result: String(failing.name), ok: false, converge: 'not converged' });
  }
  if (rows.length === 0) rows.push({ ...base, result: '-', ok: check.ok, converge: '-' });
  return rows;
}

export function renderConvergenceTable(timeline: Timeline): string {
  const rows = timeline.checks.flatMap((check) => rowsOf(check, timeline.start));
  if (rows.length === 0) return '<section><h2>Convergence</h2><p>No checks were recorded.</p></section>';
  const body = rows
    .map(
      (row) =>
        `<tr class="${row.ok ? 'ok' : 'fail'}"><td>${e(formatOffset(row.at))}</td><td>${e(row.check)}</td><td>${e(row.result)}</td>` +
        `<td>${row.ok ? 'ok' : 'FAIL'}</td><td class="num">${e(row.converge)}</td><td class="num">${e(row.waited)}</td><td class="num">${e(row.rounds)}</td></tr>`,
    )
    .join('');
  return (
    '<section><h2>Convergence</h2><table class="convergence"><thead><tr><th>at</th><th>check</th><th>result</th>' +
    `<th>outcome</th><th>time-to-converge</th><th>waited</th><th>rounds</th></tr></thead><tbody>${body}</tbody></table></section>`
  );
}

export function renderSamples(args: { entries: readonly HistoryEntry[]; start: number }): string {
  const byName = new Map<string, { total: number; diverged: number; first?: number }>();
  for (const entry of args.entries) {
    if (entry.kind !== 'check' || !isSampleCheck(entry)) continue;
    const name = entry.check.slice(SAMPLE_PREFIX.length);
    const row = byName.get(name) ?? { total: 0, diverged: 0 };
    row.total += 1;
    if (!entry.ok) {
      row.diverged += 1;
      row.first ??= entry.t - args.start;
    }
    byName.set(name, row);
  }
  if (byName.size === 0) return '';
  const body = [...byName]
    .map(
      ([name, row]) =>
        `<tr><td>${e(name)}</td><td class="num">${row.total}</td><td class="num">${row.diverged}</td><td>${row.first === undefined ? '-' : e(formatOffset(row.first))}</td></tr>`,
    )
    .join('');
  return (
    '<section><h2>Sampled divergence</h2><table><thead><tr><th>sample</th><th>samples</th><th>diverged</th>' +
    `<th>first divergence</th></tr></thead><tbody>${body}</tbody></table></section>`
  );
}

export function renderFaultTable(timeline: Timeline): string {
  if (timeline.faults.length === 0) return '';
  const body = timeline.faults
    .map(
      (fault) =>
        `<tr><td>${e(fault.op)}${fault.id ? ` <small>${e(fault.id)}</small>` : ''}</td><td>${fault.nodes ? e(fault.nodes.join(', ')) : 'all'}</td>` +
        `<td>${e(formatOffset(fault.start - timeline.start))}</td><td>${fault.ended ? e(formatOffset(fault.end - timeline.start)) : 'never (end of run)'}</td>` +
        `<td class="num">${e(formatDuration(fault.end - fault.start))}</td></tr>`,
    )
    .join('');
  return (
    '<section><h2>Faults</h2><table class="faults"><thead><tr><th>fault</th><th>nodes</th><th>start</th><th>end</th>' +
    `<th>duration</th></tr></thead><tbody>${body}</tbody></table></section>`
  );
}

function boundedJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}\n… (cut)` : text;
}

function failureBody(check: CheckEntry): string {
  const detail = checkDetail(check);
  const parts: string[] = [];
  const reason = detail.reason ?? detail.message;
  if (typeof reason === 'string') parts.push(`<pre class="reason">${e(reason)}</pre>`);
  const failing = Array.isArray(detail.failing) ? detail.failing : [];
  for (const result of failing) {
    const diff = Array.isArray(result.diff) ? result.diff.map(String).join('\n') : boundedJson(result.diff);
    parts.push(
      `<div class="failing"><h4>${e(String(result.name))}</h4><p>${e(String(result.summary ?? ''))}</p>` +
        `<pre class="diff">${e(diff)}</pre></div>`,
    );
  }
  if (parts.length === 0) parts.push(`<pre class="diff">${e(boundedJson(check.detail))}</pre>`);
  return parts.join('');
}

export function renderFailures(timeline: Timeline): string {
  const failed = timeline.checks.filter((check) => !check.ok);
  if (failed.length === 0) return '';
  const sections = failed
    .map(
      (check) =>
        `<details class="failure" open data-check="${e(check.check)}"><summary>${e(check.check)} failed at ${e(formatOffset(check.t - timeline.start))}</summary>${failureBody(check)}</details>`,
    )
    .join('');
  return `<section id="failures"><h2>Failures: per-node diffs</h2>${sections}</section>`;
}

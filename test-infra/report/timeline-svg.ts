/**
 * Draws a Timeline as one inline SVG: a time axis, a harness row (actions without a node), one
 * lane per node (event ticks stacked by family, action markers), nemesis windows shaded over the
 * lanes they touch (or all of them), and a checks row (waits, results, sampled divergence).
 * Hover titles are SVG <title> elements: no script needed to read the chart.
 */
import { familyColor } from './event-family.js';
import type { FaultWindow } from './fault-windows.js';
import { escapeHtml, formatDuration, formatOffset, shortJson } from './html.js';
import { type ActionEntry, type CheckEntry, checkDetail, type LaneBucket, type Timeline } from './timeline-model.js';

export const GEOMETRY = {
  labelWidth: 84,
  plotWidth: 1000,
  rightMargin: 36,
  axisHeight: 24,
  rowHeight: 24,
  checksHeight: 30,
} as const;

const TICK_MAX = GEOMETRY.rowHeight - 6;
const MAX_TITLE_NAMES = 8;

const ACTION_COLORS: Readonly<Record<string, string>> = {
  sigterm: '#f59e0b',
  restart: '#f97316',
  powercut: '#dc2626',
  crash: '#991b1b',
  pause: '#6b7280',
  unpause: '#9ca3af',
  start: '#16a34a',
  'node-started': '#16a34a',
  booted: '#15803d',
  clock: '#0ea5e9',
};

function faultColor(op: string): string {
  if (op === 'partition') return '#f97316';
  if (op === 'fork' || op === 'reorg') return '#a855f7';
  if (op === 'clock') return '#eab308';
  if (op.startsWith('daemon-')) return '#8b5cf6';
  if (op.startsWith('evict-')) return '#14b8a6';
  if (['sigterm', 'restart', 'crash', 'powercut', 'pause'].includes(op)) return '#ef4444';
  return '#64748b';
}

interface Layout {
  timeline: Timeline;
  familyIndex: Map<string, number>;
  x: (t: number) => number;
  laneTop: Map<number, number>;
  harnessTop: number;
  checksTop: number;
  height: number;
}

function layout(timeline: Timeline): Layout {
  const { labelWidth, plotWidth, axisHeight, rowHeight, checksHeight } = GEOMETRY;
  const span = Math.max(timeline.end - timeline.start, 1);
  const laneTop = new Map<number, number>();
  const harnessTop = axisHeight;
  timeline.nodes.forEach((node, i) => {
    laneTop.set(node, harnessTop + rowHeight * (i + 1));
  });
  const checksTop = harnessTop + rowHeight * (timeline.nodes.length + 1);
  return {
    timeline,
    familyIndex: new Map(timeline.families.map(({ family }, i) => [family, i])),
    x: (t) => labelWidth + ((t - timeline.start) / span) * plotWidth,
    laneTop,
    harnessTop,
    checksTop,
    height: checksTop + checksHeight + 4,
  };
}

const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

export function renderTimelineSvg(timeline: Timeline): string {
  const l = layout(timeline);
  const width = GEOMETRY.labelWidth + GEOMETRY.plotWidth + GEOMETRY.rightMargin;
  const parts = [
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${fmt(l.height)}"`,
    ` data-start="${timeline.start}" data-span="${Math.max(timeline.end - timeline.start, 1)}"`,
    ` data-left="${GEOMETRY.labelWidth}" data-width="${GEOMETRY.plotWidth}">`,
    rows(l),
    axis(l),
    ...timeline.faults.map((fault) => faultShade({ l, fault, layer: 'under' })),
    ...timeline.nodes.map((node) => laneTicks(l, node, timeline.lanes.get(node) ?? [])),
    ...timeline.faults.map((fault) => faultShade({ l, fault, layer: 'over' })),
    ...timeline.actions.map((action) => actionMarker(l, action)),
    samples(l),
    ...timeline.checks.map((check) => checkMarker(l, check)),
    `<line class="cursor" x1="0" x2="0" y1="${GEOMETRY.axisHeight}" y2="${fmt(l.height)}" visibility="hidden"/>`,
    `<text class="readout" x="0" y="${GEOMETRY.axisHeight - 6}" visibility="hidden"></text>`,
    '</svg>',
  ];
  return parts.join('');
}

function rows(l: Layout): string {
  const { labelWidth, plotWidth, rowHeight, checksHeight } = GEOMETRY;
  const row = (args: { top: number; height: number; label: string; cls: string; attrs?: string }) =>
    `<rect class="${args.cls}"${args.attrs ?? ''} x="${labelWidth}" y="${fmt(args.top)}" width="${plotWidth}" height="${args.height}"/>` +
    `<text class="lane-label" x="${labelWidth - 8}" y="${fmt(args.top + args.height / 2 + 4)}">${escapeHtml(args.label)}</text>`;
  const out = [row({ top: l.harnessTop, height: rowHeight, label: 'harness', cls: 'row harness' })];
  l.timeline.nodes.forEach((node, i) => {
    out.push(
      row({
        top: l.laneTop.get(node)!,
        height: rowHeight,
        label: `node ${node}`,
        cls: `row lane${i % 2 ? ' odd' : ''}`,
        attrs: ` data-node="${node}"`,
      }),
    );
  });
  out.push(row({ top: l.checksTop, height: checksHeight, label: 'checks', cls: 'row checks' }));
  return out.join('');
}

/** A 1-2-5 step that gives about ten labelled ticks. */
function axisStep(spanMs: number): number {
  const raw = spanMs / 10;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((step) => step >= raw) ?? 10 * magnitude;
}

function axis(l: Layout): string {
  const { start, end } = l.timeline;
  const step = axisStep(Math.max(end - start, 1));
  const out: string[] = [];
  for (let offset = 0; start + offset <= end + 1e-9; offset += step) {
    const x = fmt(l.x(start + offset));
    out.push(
      `<line class="grid" x1="${x}" x2="${x}" y1="${GEOMETRY.axisHeight - 4}" y2="${fmt(l.checksTop)}"/>`,
      `<text class="axis-label" x="${x}" y="${GEOMETRY.axisHeight - 8}">${escapeHtml(formatOffset(offset))}</text>`,
    );
  }
  return out.join('');
}

function faultTitle(fault: FaultWindow): string {
  const who = fault.nodes ? `nodes ${fault.nodes.join(', ')}` : 'whole network';
  const until = fault.ended ? formatDuration(fault.end - fault.start) : 'never ended (until the end of the run)';
  const lines = [`${fault.op}${fault.id ? ` (${fault.id})` : ''} on ${who}: ${until}`, shortJson(fault.detail, 300)];
  if (fault.endDetail !== undefined) lines.push(`end: ${shortJson(fault.endDetail, 200)}`);
  if (fault.infos.length > 0) lines.push(`${fault.infos.length} info record(s)`);
  return lines.join('\n');
}

/**
 * A fault is drawn twice: under the ticks with its hover title (for the gaps between ticks), and
 * over them as a tint that lets the pointer through, so dense lanes still show the window.
 */
function faultShade(args: { l: Layout; fault: FaultWindow; layer: 'under' | 'over' }): string {
  const { l, fault, layer } = args;
  const x1 = l.x(fault.start);
  // An instant fault (a reorg, a heal) still gets a visible sliver.
  const width = Math.max(l.x(fault.end) - x1, 2);
  const color = faultColor(fault.op);
  const cls = `${layer === 'under' ? 'fault' : 'fault-over'}${fault.ended ? '' : ' open'}${fault.nodes ? '' : ' all'}`;
  const attrs = ` data-op="${escapeHtml(fault.op)}"${fault.id ? ` data-fault-id="${escapeHtml(fault.id)}"` : ''}`;
  const bands: { top: number; height: number; node?: number }[] = fault.nodes
    ? fault.nodes.map((node) => ({ top: l.laneTop.get(node)!, height: GEOMETRY.rowHeight, node }))
    : [{ top: l.harnessTop, height: l.checksTop - l.harnessTop }];
  const rects = bands.map(
    (band) =>
      `<rect class="${cls}"${attrs}${band.node === undefined ? '' : ` data-node="${band.node}"`} x="${fmt(x1)}" y="${fmt(band.top + 1)}" width="${fmt(width)}" height="${band.height - 2}" fill="${color}" stroke="${color}"/>`,
  );
  if (layer === 'under')
    return `<g class="fault-window"><title>${escapeHtml(faultTitle(fault))}</title>${rects.join('')}</g>`;
  const label =
    width > 36
      ? `<text class="fault-label" x="${fmt(x1 + 3)}" y="${fmt(bands[0]!.top + 10)}" fill="${color}">${escapeHtml(fault.op)}</text>`
      : '';
  return `<g class="fault-overlay">${rects.join('')}${label}</g>`;
}

function bucketRange(l: Layout, bucket: number): [number, number] {
  const span = Math.max(l.timeline.end - l.timeline.start, 1);
  const from = (bucket / l.timeline.buckets) * span;
  return [from, from + span / l.timeline.buckets];
}

function bucketTitle(args: { l: Layout; node: number; bucket: LaneBucket }): string {
  const { l, node, bucket } = args;
  if (bucket.total === 1) {
    const event = bucket.first;
    return `node ${node} ${formatOffset(event.t - l.timeline.start)}: ${event.name}\n${shortJson(event.payload, 400)}`;
  }
  const [from, to] = bucketRange(l, bucket.bucket);
  const names = [...bucket.names].sort((a, b) => b[1] - a[1]);
  const lines = names.slice(0, MAX_TITLE_NAMES).map(([name, count]) => `${name} ×${count}`);
  if (names.length > MAX_TITLE_NAMES) lines.push(`… ${names.length - MAX_TITLE_NAMES} more names`);
  return `node ${node} ${formatOffset(from)}–${formatOffset(to)}: ${bucket.total} events\n${lines.join('\n')}`;
}

/** Tick height grows with the log of the count, so density shows without hiding single events. */
function tickHeight(total: number): number {
  return Math.min(TICK_MAX, 6 + 4 * Math.log2(total));
}

function laneTicks(l: Layout, node: number, buckets: readonly LaneBucket[]): string {
  const top = l.laneTop.get(node)!;
  const bottom = top + GEOMETRY.rowHeight - 3;
  const bucketWidth = GEOMETRY.plotWidth / l.timeline.buckets;
  const out: string[] = [];
  for (const bucket of buckets) {
    const x = fmt(l.x(l.timeline.start) + bucket.bucket * bucketWidth);
    const height = tickHeight(bucket.total);
    let y = bottom;
    const segments = [...bucket.families].sort((a, b) => l.familyIndex.get(a[0])! - l.familyIndex.get(b[0])!);
    const rects = segments.map(([family, count]) => {
      const h = Math.max((count / bucket.total) * height, 1);
      y -= h;
      const index = l.familyIndex.get(family)!;
      return `<rect class="f${index}" x="${x}" y="${fmt(y)}" width="${fmt(Math.max(bucketWidth, 1.5))}" height="${fmt(h)}" fill="${familyColor(family)}"/>`;
    });
    out.push(`<g class="tick"><title>${escapeHtml(bucketTitle({ l, node, bucket }))}</title>${rects.join('')}</g>`);
  }
  return `<g class="ticks" data-node="${node}">${out.join('')}</g>`;
}

function actionMarker(l: Layout, action: ActionEntry): string {
  const top = action.node !== undefined ? (l.laneTop.get(action.node) ?? l.harnessTop) : l.harnessTop;
  const x = l.x(action.t);
  const color = Object.hasOwn(ACTION_COLORS, action.op) ? ACTION_COLORS[action.op]! : '#334155';
  const who = action.node === undefined ? 'harness' : `node ${action.node}`;
  const detail = action.detail === undefined ? '' : `\n${shortJson(action.detail, 300)}`;
  const title = `${action.op} (${who}) at ${formatOffset(action.t - l.timeline.start)}${detail}`;
  const bottom = top + GEOMETRY.rowHeight;
  return (
    `<g class="action" data-op="${escapeHtml(action.op)}"${action.node === undefined ? '' : ` data-node="${action.node}"`}>` +
    `<title>${escapeHtml(title)}</title>` +
    `<line x1="${fmt(x)}" x2="${fmt(x)}" y1="${fmt(top + 1)}" y2="${fmt(bottom - 1)}" stroke="${color}" stroke-width="2"/>` +
    `<path d="M${fmt(x - 5)} ${fmt(top + 1)}h10l-5 7z" fill="${color}"/></g>`
  );
}

function checkTitle(l: Layout, check: CheckEntry): string {
  const detail = checkDetail(check);
  const head = `${check.check} ${check.ok ? 'ok' : 'FAILED'} at ${formatOffset(check.t - l.timeline.start)}`;
  const lines = [head];
  if (typeof detail.elapsedMs === 'number')
    lines.push(`waited ${formatDuration(detail.elapsedMs)}, ${detail.rounds ?? '?'} rounds`);
  for (const timing of Array.isArray(detail.timings) ? detail.timings : []) {
    if (typeof timing.convergedAfterMs === 'number') {
      lines.push(`${String(timing.name)} converged after ${formatDuration(timing.convergedAfterMs)}`);
    }
  }
  for (const failing of Array.isArray(detail.failing) ? detail.failing : []) {
    lines.push(`FAIL ${String(failing.name)}: ${String(failing.summary ?? '')}`);
  }
  const message = detail.reason ?? detail.message ?? detail.summary;
  if (message !== undefined) lines.push(shortJson(message, 300).replace(/^"|"$/g, ''));
  return lines.join('\n');
}

function checkMarker(l: Layout, check: CheckEntry): string {
  const detail = checkDetail(check);
  const x = l.x(check.t);
  const mid = l.checksTop + GEOMETRY.checksHeight / 2 + 4;
  const color = check.ok ? '#16a34a' : '#dc2626';
  const wait =
    typeof detail.elapsedMs === 'number'
      ? `<line class="wait" x1="${fmt(Math.max(l.x(check.t - detail.elapsedMs), GEOMETRY.labelWidth))}" x2="${fmt(x)}" y1="${fmt(mid)}" y2="${fmt(mid)}" stroke="${color}"/>`
      : '';
  const mark = check.ok
    ? `<circle cx="${fmt(x)}" cy="${fmt(mid)}" r="5" fill="${color}"/>`
    : `<path d="M${fmt(x - 5)} ${fmt(mid - 5)}l10 10m0 -10l-10 10" stroke="${color}" stroke-width="3"/>`;
  return `<g class="check ${check.ok ? 'ok' : 'fail'}" data-check="${escapeHtml(check.check)}"><title>${escapeHtml(checkTitle(l, check))}</title>${wait}${mark}</g>`;
}

function samples(l: Layout): string {
  const bucketWidth = GEOMETRY.plotWidth / l.timeline.buckets;
  const top = l.checksTop + 2;
  return l.timeline.samples
    .map((bucket) => {
      const [from, to] = bucketRange(l, bucket.bucket);
      const names = [...bucket.names].map(([name, count]) => `${name} ×${count}`).join('\n');
      const title = `samples ${formatOffset(from)}–${formatOffset(to)}: ${bucket.failing}/${bucket.total} diverged\n${names}`;
      const x = fmt(l.x(l.timeline.start) + bucket.bucket * bucketWidth);
      const color = bucket.failing > 0 ? '#f87171' : '#86efac';
      return `<g class="sample"><title>${escapeHtml(title)}</title><rect x="${x}" y="${fmt(top)}" width="${fmt(Math.max(bucketWidth, 1.5))}" height="5" fill="${color}"/></g>`;
    })
    .join('');
}

/**
 * The live dashboard's page: one tile per node, fed by `GET /events` (SSE, one history entry per
 * message, the backlog first). The script folds entries into tile state and repaints at most once
 * per frame; every value reaches the DOM through textContent, never as markup.
 */
import { FAMILY_COLORS } from './event-family.js';
import { escapeHtml } from './html.js';

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;padding:16px 24px;background:#0f172a;color:#e2e8f0}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:8px 20px;margin-bottom:12px}
h1{font-size:20px;margin:0}
#status{padding:1px 8px;border-radius:4px;background:#475569;font-size:12px}
#status[data-status=live]{background:#15803d}#status[data-status=reconnecting]{background:#b45309}
.muted{color:#94a3b8}
#faults{min-height:22px;margin-bottom:8px}
.fault{display:inline-block;margin:0 6px 4px 0;padding:1px 8px;border-radius:10px;background:#7c2d12;color:#fed7aa;font-size:12px}
#check[data-ok=false]{color:#fca5a5}#check[data-ok=true]{color:#86efac}
#tiles{display:grid;grid-template-columns:repeat(4,minmax(200px,1fr));gap:10px}
.tile{background:#1e293b;border:2px solid #334155;border-radius:8px;padding:8px 10px;min-height:132px}
.tile h2{font-size:15px;margin:0 0 4px;display:flex;justify-content:space-between}
.tile dl{display:grid;grid-template-columns:auto 1fr;gap:1px 8px;margin:0;font-size:13px}
.tile dt{color:#94a3b8}.tile dd{margin:0;font-family:ui-monospace,monospace;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.tile.state-READY{border-color:#16a34a}.tile.state-SYNCING,.tile.state-RESYNCING{border-color:#ca8a04}
.tile.state-DEGRADED{border-color:#dc2626}.tile.state-INITIALIZING{border-color:#2563eb}
.tile.proc-down{opacity:.55;border-style:dashed}.tile.faulted{box-shadow:0 0 0 3px #f9731680}
.state{font-size:12px;padding:0 6px;border-radius:4px;background:#334155;max-width:60%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
[data-field=faults]{color:#fdba74}
`;

const SCRIPT = `
(() => {
  const FAMILY_COLORS = __FAMILY_COLORS__;
  const STATES = ['INITIALIZING', 'SYNCING', 'RESYNCING', 'READY', 'DEGRADED'];
  const DOWN = { sigterm: 'down', crash: 'down', powercut: 'down', pause: 'paused' };
  const UP = ['start', 'node-started', 'booted', 'restart', 'unpause'];
  const tilesEl = document.getElementById('tiles');
  let nodes = new Map();
  let active = new Map();
  let received = 0;
  let lastCheck;
  let dirty = false;

  const blank = () => ({ state: '-', height: '-', peers: '-', event: '-', eventAt: undefined, family: '', proc: 'up' });
  function reset(size) {
    nodes = new Map();
    active = new Map();
    lastCheck = undefined;
    for (let i = 1; i <= size; i++) nodes.set(i, blank());
  }
  function node(index) {
    if (!Number.isInteger(index) || index < 1 || index > 1000) return undefined;
    if (!nodes.has(index)) nodes.set(index, blank());
    return nodes.get(index);
  }
  const secs = (t) => (typeof t === 'number' ? '+' + (t / 1000).toFixed(1) + ' s' : '');
  const num = (value) => (typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined);

  function onEvent(entry) {
    const n = node(entry.node);
    if (!n) return;
    const payload = entry.payload && typeof entry.payload === 'object' ? entry.payload : {};
    n.event = String(entry.name);
    n.eventAt = entry.t;
    n.family = n.event.split(':')[0];
    if (entry.name === 'orchestrator:stateChanged') n.state = String(payload.to);
    else if (entry.name === 'orchestrator:started') n.state = String(payload.state);
    else if (entry.name === 'block:processed') n.height = num(payload.height) ?? n.height;
    else if (entry.name === 'peers:added' || entry.name === 'peers:removed') n.peers = num(payload.total) ?? n.peers;
    else if (entry.name === 'peers:thresholdReached' || entry.name === 'peers:belowThreshold') n.peers = num(payload.count) ?? n.peers;
  }
  function onNemesis(entry, affects) {
    const detail = entry.detail && typeof entry.detail === 'object' ? entry.detail : {};
    const key = typeof detail.id === 'string' ? 'id:' + detail.id : 'op:' + entry.op;
    if (entry.phase === 'start') active.set(key, { op: String(entry.op), nodes: Array.isArray(affects) ? affects : null });
    else if (entry.phase === 'end') active.delete(key);
  }
  function onAction(entry) {
    if (entry.op === 'run-started') {
      const detail = entry.detail && typeof entry.detail === 'object' ? entry.detail : {};
      const size = Number.isInteger(detail.size) && detail.size > 0 && detail.size <= 1000 ? detail.size : Number(document.body.dataset.nodes);
      reset(size);
      document.getElementById('run').textContent = String(detail.name ?? '') + (detail.seed === undefined ? '' : ' (seed ' + detail.seed + ')');
      return;
    }
    const n = entry.node === undefined ? undefined : node(entry.node);
    if (!n) return;
    if (Object.hasOwn(DOWN, entry.op)) n.proc = DOWN[entry.op];
    else if (UP.includes(entry.op)) n.proc = 'up';
  }
  function apply(message) {
    const entry = message.entry;
    if (!entry || typeof entry !== 'object') return;
    received += 1;
    if (entry.kind === 'event') onEvent(entry);
    else if (entry.kind === 'nemesis') onNemesis(entry, message.nodes);
    else if (entry.kind === 'action') onAction(entry);
    else if (entry.kind === 'check') lastCheck = entry;
    if (!dirty) {
      dirty = true;
      requestAnimationFrame(render);
    }
  }

  function field(tile, name) {
    return tile.querySelector('[data-field="' + name + '"]');
  }
  function makeTile(index) {
    const tile = document.createElement('section');
    tile.className = 'tile';
    tile.dataset.node = String(index);
    const head = document.createElement('h2');
    const title = document.createElement('span');
    title.textContent = 'node ' + index;
    const state = document.createElement('span');
    state.className = 'state';
    state.dataset.field = 'state';
    head.append(title, state);
    const list = document.createElement('dl');
    for (const [name, label] of [['proc', 'process'], ['height', 'tip height'], ['peers', 'peers'], ['event', 'last event'], ['faults', 'faults']]) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.field = name;
      list.append(dt, dd);
    }
    tile.append(head, list);
    return tile;
  }
  function render() {
    dirty = false;
    const indexes = [...nodes.keys()].sort((a, b) => a - b);
    const existing = new Map([...tilesEl.children].map((tile) => [Number(tile.dataset.node), tile]));
    if (existing.size !== indexes.length || indexes.some((i) => !existing.has(i))) {
      tilesEl.replaceChildren(...indexes.map((i) => existing.get(i) ?? makeTile(i)));
    }
    const global = [];
    const perNode = new Map();
    for (const fault of active.values()) {
      if (!fault.nodes) global.push(fault.op);
      else for (const i of fault.nodes) perNode.set(i, [...(perNode.get(i) ?? []), fault.op]);
    }
    for (const tile of tilesEl.children) {
      const index = Number(tile.dataset.node);
      const n = nodes.get(index);
      const faults = perNode.get(index) ?? [];
      field(tile, 'state').textContent = n.state;
      field(tile, 'proc').textContent = n.proc;
      field(tile, 'height').textContent = n.height;
      field(tile, 'peers').textContent = n.peers;
      const event = field(tile, 'event');
      event.textContent = n.event + (n.eventAt === undefined ? '' : ' ' + secs(n.eventAt));
      event.title = n.event;
      event.style.color = Object.hasOwn(FAMILY_COLORS, n.family) ? FAMILY_COLORS[n.family] : '';
      field(tile, 'faults').textContent = faults.length ? faults.join(', ') : '-';
      tile.className = 'tile' + (STATES.includes(n.state) ? ' state-' + n.state : '') +
        (n.proc === 'up' ? '' : ' proc-down') + (faults.length ? ' faulted' : '');
    }
    const faultsEl = document.getElementById('faults');
    faultsEl.replaceChildren(...global.map((op) => {
      const chip = document.createElement('span');
      chip.className = 'fault';
      chip.textContent = op + ' (all nodes)';
      return chip;
    }));
    faultsEl.dataset.count = String(active.size);
    const check = document.getElementById('check');
    if (lastCheck) {
      check.textContent = 'last check: ' + lastCheck.check + ' ' + (lastCheck.ok ? 'ok' : 'FAILED') + ' ' + secs(lastCheck.t);
      check.dataset.ok = String(lastCheck.ok);
    } else {
      check.textContent = '';
      delete check.dataset.ok;
    }
    document.getElementById('count').textContent = received + ' entries';
  }

  reset(Number(document.body.dataset.nodes));
  render();
  const status = document.getElementById('status');
  const source = new EventSource('events');
  source.onopen = () => { status.textContent = 'live'; status.dataset.status = 'live'; };
  source.onerror = () => { status.textContent = 'reconnecting'; status.dataset.status = 'reconnecting'; };
  source.onmessage = (event) => {
    try { apply(JSON.parse(event.data)); } catch (error) { console.error('bad dashboard message', error); }
  };
})();
`;

export function dashboardPage(args: { nodes: number; title?: string }): string {
  const title = args.title ?? 'fluxnet live';
  // The palette is our own constant; JSON of it cannot close the script element.
  const script = SCRIPT.replace('__FAMILY_COLORS__', JSON.stringify(FAMILY_COLORS));
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">`,
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head>`,
    `<body data-nodes="${args.nodes}">`,
    `<header><h1>${escapeHtml(title)}</h1><span id="run" class="muted"></span>`,
    '<span id="status" data-status="connecting">connecting</span><span id="count" class="muted"></span>',
    '<span id="check"></span></header>',
    '<div id="faults"></div><main id="tiles"></main>',
    `<script>${script}</script>`,
    '</body></html>',
  ].join('\n');
}

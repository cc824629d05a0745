import { type DeltaRecorder, toNodeEntry } from './delta-recorder.js';
import { assertListedNode, type FluxnodeList, FluxnodeListError } from './fluxnode-list.js';
import { describeValue } from './hex.js';
import { type ListedNode, outpointKey } from './types.js';

export interface BlockInput {
  height: number;
  /** Nodes whose INITIAL_CONFIRM is mined in this block. */
  confirms: ListedNode[];
  /** UPDATE_CONFIRMs mined in this block, optionally moving the node to a new ip. */
  updateConfirms: { key: string; ip?: string }[];
  /** Explicit removals besides natural expiry, e.g. spent collateral. */
  expiries: string[];
  /** E of spec §7.2: a node expires at h when lastConfirmed < h − E. */
  expiryWindow: number;
  recorder?: DeltaRecorder;
}

/** Everything applyBlock changed, enough for undoBlock to restore the prior list exactly. */
export interface BlockUndo {
  height: number;
  confirmed: string[];
  /** Versions before their UPDATE_CONFIRM. */
  updateConfirmed: ListedNode[];
  /** Versions as they were removed. */
  removed: ListedNode[];
  /** Versions before their payment. */
  paid: ListedNode[];
}

export interface BlockEvent {
  change: 'added' | 'updated' | 'removed';
  node: ListedNode;
}

export interface BlockResult {
  undo: BlockUndo;
  /** The list changes in fluxd's record order; a recorder, if given, got the same. */
  events: BlockEvent[];
}

/**
 * Connects one block to the list in the order fluxd's cache flush records (spec §5.2):
 * confirms, update-confirms, removals (natural expiry and explicit), then the payment of each
 * tier's payee as of the previous block unless that payee was removed in this block.
 */
export function applyBlock(list: FluxnodeList, input: BlockInput): BlockResult {
  const { height } = input;
  assertBlockInput(list, input);
  const payees = Object.values(list.payees());
  const events: BlockEvent[] = [];
  const undo: BlockUndo = { height, confirmed: [], updateConfirmed: [], removed: [], paid: [] };

  for (const node of input.confirms) {
    const stored = list.confirm(node, { height });
    undo.confirmed.push(outpointKey(stored.outpoint));
    events.push({ change: 'added', node: stored });
  }
  for (const { key, ip } of input.updateConfirms) {
    const { before, after } = list.updateConfirm(key, ip === undefined ? { height } : { height, ip });
    undo.updateConfirmed.push(before);
    events.push({ change: 'updated', node: after });
  }
  for (const key of removalsAt(list, input)) {
    const removed = list.remove(key);
    undo.removed.push(removed);
    events.push({ change: 'removed', node: removed });
  }
  for (const payee of payees) {
    const key = outpointKey(payee.outpoint);
    if (!list.has(key)) continue;
    const { before, after } = list.pay(key, height);
    undo.paid.push(before);
    events.push({ change: 'updated', node: after });
  }

  record(input.recorder, events);
  return { undo, events };
}

/**
 * Disconnects the block applyBlock described, restoring the list exactly. Changes are recorded
 * in fluxd's flush order for undos: update-confirm undone, expiries restored, confirms removed,
 * payments undone; entries carry the node as it is after the whole undo.
 */
export function undoBlock(
  list: FluxnodeList,
  undo: BlockUndo,
  options: { recorder?: DeltaRecorder } = {},
): { events: BlockEvent[] } {
  assertUndoable(list, undo);
  // Reverse of applyBlock's mutation order, so a node touched twice in the block unwinds correctly.
  for (const before of undo.paid) list.revert(before);
  for (const node of undo.removed) list.restore(node);
  for (const before of undo.updateConfirmed) list.revert(before);
  const unconfirmed = undo.confirmed.map((key) => list.remove(key));

  const current = (node: ListedNode): ListedNode => list.get(outpointKey(node.outpoint)) ?? node;
  const events: BlockEvent[] = [
    ...undo.updateConfirmed.map(updatedNow),
    ...undo.removed.map((node): BlockEvent => ({ change: 'added', node: current(node) })),
    ...unconfirmed.map((node): BlockEvent => ({ change: 'removed', node })),
    ...undo.paid.map(updatedNow),
  ];
  record(options.recorder, events);
  return { events };

  function updatedNow(node: ListedNode): BlockEvent {
    return { change: 'updated', node: current(node) };
  }
}

function removalsAt(list: FluxnodeList, input: BlockInput): string[] {
  const keys = new Set<string>();
  const oldestAlive = input.height - input.expiryWindow;
  for (const node of list.all()) {
    if (node.lastConfirmedHeight < oldestAlive) keys.add(outpointKey(node.outpoint));
  }
  for (const key of input.expiries) keys.add(key);
  return [...keys];
}

function record(recorder: DeltaRecorder | undefined, events: readonly BlockEvent[]): void {
  if (!recorder) return;
  for (const { change, node } of events) {
    if (change === 'added') recorder.recordAdded(toNodeEntry(node));
    else if (change === 'updated') recorder.recordUpdated(toNodeEntry(node));
    else recorder.recordRemoved(node.outpoint);
  }
}

/** Rejects a block before any mutation, so a bad block leaves the list untouched. */
function assertBlockInput(list: FluxnodeList, input: BlockInput): void {
  const where = `applyBlock(height ${describeValue(input.height)})`;
  if (!Number.isInteger(input.height) || input.height < 1 || input.height > 0xffff_ffff) {
    throw new FluxnodeListError(`${where}: height must be an integer 1..4294967295`);
  }
  if (!Number.isInteger(input.expiryWindow) || input.expiryWindow < 0) {
    throw new FluxnodeListError(`${where}: expiryWindow must be a non-negative integer`);
  }
  const confirmed = new Set<string>();
  input.confirms.forEach((node, index) => {
    assertListedNode(node, `${where}: confirms[${index}]`);
    const key = outpointKey(node.outpoint);
    if (list.has(key) || confirmed.has(key)) {
      throw new FluxnodeListError(`${where}: confirms[${index}] ${key} is already confirmed`);
    }
    confirmed.add(key);
  });
  const updated = new Set<string>();
  input.updateConfirms.forEach(({ key, ip }, index) => {
    if (ip !== undefined && typeof ip !== 'string') {
      throw new FluxnodeListError(`${where}: updateConfirms[${index}].ip must be a string, got ${describeValue(ip)}`);
    }
    // fluxd needs h − lastConfirmed above its update interval, so a block never confirms and updates one node.
    if (confirmed.has(key))
      throw new FluxnodeListError(`${where}: updateConfirms[${index}] ${key} is confirmed in this block`);
    if (!list.has(key))
      throw new FluxnodeListError(`${where}: updateConfirms[${index}] ${describeValue(key)} is not in the list`);
    if (updated.has(key)) throw new FluxnodeListError(`${where}: updateConfirms[${index}] ${key} appears twice`);
    updated.add(key);
  });
  input.expiries.forEach((key, index) => {
    if (!list.has(key) && !confirmed.has(key)) {
      throw new FluxnodeListError(`${where}: expiries[${index}] ${describeValue(key)} is not in the list`);
    }
  });
}

function assertUndoable(list: FluxnodeList, undo: BlockUndo): void {
  const where = `undoBlock(height ${describeValue(undo.height)})`;
  const restored = new Set(undo.removed.map(keyOf));
  for (const key of [...undo.confirmed, ...undo.paid.map(keyOf)]) {
    if (!list.has(key) && !restored.has(key)) {
      throw new FluxnodeListError(`${where}: ${key} is not in the list; undo the later blocks first`);
    }
  }
  for (const node of undo.removed) {
    if (list.has(keyOf(node))) throw new FluxnodeListError(`${where}: ${keyOf(node)} is already back in the list`);
  }
}

function keyOf(node: ListedNode): string {
  return outpointKey(node.outpoint);
}

/**
 * The fluxnode-list model in one import: the confirmed list and its payment queues, block
 * connect/disconnect, delta recording with fluxd's netting rules, and RPC snapshot formatting.
 */
export {
  applyBlock,
  type BlockEvent,
  type BlockInput,
  type BlockResult,
  type BlockUndo,
  undoBlock,
} from './block-lifecycle.js';
export {
  DeltaRecorder,
  type DeltaRecorderOptions,
  type DeltaSections,
  toNodeEntry,
} from './delta-recorder.js';
export {
  assertListedNode,
  compareQueue,
  FluxnodeList,
  FluxnodeListError,
  type NodeChange,
  type QueueKeyed,
} from './fluxnode-list.js';
export { paymentAddressFor } from './payment-address.js';
export {
  collateralAmount,
  formatCollateral,
  networkOf,
  type SnapshotTimes,
  toSnapshotNode,
  toSnapshotNodes,
} from './snapshot-nodes.js';

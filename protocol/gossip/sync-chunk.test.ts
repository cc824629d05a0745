import { describe, expect, it } from 'vitest';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import { signBroadcast } from './envelope.js';
import { parseSyncChunk, SYNC_CHUNK_TYPES, SYNC_KIND_NAMES, syncChunkTypeFor } from './sync-chunk.js';
import { encodePeerFrame, parsePeerFrame } from './wire.js';

const key = keys.nodes[0]!;

describe('sync chunks', () => {
  it('names one chunk type per request type, and one SSE sync type per chunk type', () => {
    expect(syncChunkTypeFor(0x21)).toBe('fluxapprunningsync');
    expect(Object.values(SYNC_CHUNK_TYPES).map((type) => SYNC_KIND_NAMES[type])).toEqual([
      'temporarymessages',
      'apprunning',
      'appinstalling',
      'apperrors',
    ]);
  });

  it('parses a chunk and names the failing field of a bad one', () => {
    expect(parseSyncChunk({ type: 'fluxapprunningsync', messages: [{}], done: true })).toEqual({
      ok: true,
      chunk: { type: 'fluxapprunningsync', messages: [{}], done: true },
    });
    const bad = parseSyncChunk({ type: 'fluxapprunningsync', messages: 'x', done: 1 });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? '' : bad.error).toMatch(/messages: .*; done: /);
  });

  it('travels as a syncResponse peer frame next to the existing kinds', () => {
    const envelope = signBroadcast({
      data: { type: 'fluxapprunningsync', messages: [], done: true },
      privkeyHex: key.privkey,
      pubkeyHex: key.pubkey,
      timestamp: 1,
    });
    const parsed = parsePeerFrame(encodePeerFrame({ kind: 'syncResponse', envelope }));
    expect(parsed).toEqual({ ok: true, frame: { kind: 'syncResponse', envelope } });
    expect(parsePeerFrame(JSON.stringify({ kind: 'syncResponse' })).ok).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { hashesConverged } from './hashes-check.js';
import { hashRow, perNode } from './test-states.js';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);

function resolved(...hashes: string[]) {
  return { hashes: hashes.map((hash) => hashRow({ hash })), permanentMessages: hashes };
}

describe('hashesConverged', () => {
  it('passes when every referenced hash is resolved on every node', () => {
    const result = hashesConverged([perNode(1, resolved(H1, H2)), perNode(2, resolved(H1, H2))], {
      referencedHashes: [H1, H2, H1],
    });
    expect(result).toEqual({
      name: 'hashes-converged',
      ok: true,
      summary: 'hashes: all 2 referenced hashes resolved on nodes 1, 2',
      diff: [],
    });
  });

  it('says per node why a hash is unresolved', () => {
    const states = [
      perNode(1, resolved(H1, H2)),
      perNode(2, {
        hashes: [hashRow({ hash: H1 }), hashRow({ hash: H2, height: 12, message: false })],
        permanentMessages: [H1],
      }),
      perNode(3, resolved(H1)),
    ];
    const result = hashesConverged(states, { referencedHashes: [H1, H2] });
    expect(result.ok).toBe(false);
    expect(result.summary).toBe('hashes: 1 of 2 referenced hashes unresolved somewhere on nodes 1, 2, 3');
    expect(result.diff).toEqual([
      `hash ${H2}: unresolved on node 2 (row at height 12 message=false, no body in zelappsmessages), ` +
        `node 3 (no zelappshashes row, no body in zelappsmessages); resolved on node 1`,
    ]);
  });

  it('counts a half-done promotion and a given-up hash as unresolved', () => {
    const states = [
      perNode(1, { hashes: [hashRow({ hash: H1, message: true })], permanentMessages: [] }),
      perNode(2, { hashes: [hashRow({ hash: H1, message: false, messageNotFound: true })], permanentMessages: [] }),
    ];
    expect(hashesConverged(states, { referencedHashes: [H1] }).diff).toEqual([
      `hash ${H1}: unresolved on node 1 (row at height 10 message=true, no body in zelappsmessages), ` +
        `node 2 (row at height 10 message=false messageNotFound=true, no body in zelappsmessages); resolved nowhere`,
    ]);
  });
});

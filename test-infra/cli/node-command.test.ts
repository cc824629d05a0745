import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNodeConfigFile } from './node-command.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxnet-node-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('fluxnet node --config', () => {
  it('reads a YAML mapping of node variables, JSON-encoding nested values', async () => {
    const path = file(
      'ok.yaml',
      'FLUXNET_NODE_IP: 127.0.0.1:16127\nFLUXNET_API_PORT: 16127\nFLUXNET_TUNABLES: {sigtermExpiryMs: 5000}\n',
    );
    expect(await loadNodeConfigFile(path)).toEqual({
      FLUXNET_NODE_IP: '127.0.0.1:16127',
      FLUXNET_API_PORT: '16127',
      FLUXNET_TUNABLES: '{"sigtermExpiryMs":5000}',
    });
  });

  it.each([
    ['unknown.yaml', 'NODE_IP: 1.2.3.4:16127\n', /unknown\.yaml: NODE_IP: not a node variable/],
    ['list.yaml', '- a\n- b\n', /list\.yaml: expected a mapping/],
    ['broken.yaml', 'FLUXNET_NODE_IP: [1,\n', /broken\.yaml: line \d+/],
    ['empty-value.yaml', 'FLUXNET_NODE_KEY:\n', /empty-value\.yaml: FLUXNET_NODE_KEY: has no value/],
  ])('%s is refused with the file and the field named', async (name, text, message) => {
    await expect(loadNodeConfigFile(file(name, text))).rejects.toThrow(message);
  });

  it('a bad value stops the node with exit code 2 naming the variable', () => {
    const path = file('bad-value.yaml', 'FLUXNET_NODE_IP: not-an-address\nFLUXNET_NODE_KEY: "1"\n');
    const result = spawnSync(process.execPath, [resolve('bin/fluxnet.js'), 'node', '--config', path], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('FLUXNET_NODE_IP');
  });
});

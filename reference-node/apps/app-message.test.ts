import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAppMessage, signAppMessage } from '../../protocol/gossip/app-message.js';
import { findFixturesDir } from '../fixture-paths.js';
import { AppFixtureError, loadFixtureApps } from './fixture-apps.js';
import { placeApp } from './placement.js';

const ALICE = {
  privkey: '6fe8110c84cab51c44517bdba3a3633f40e84410f4005e1e6affa126ffcdab37',
  address: 't1HzzUGsHMBZg2XxXr7oitwPTv2pR1MWs55',
};
const BOB_ADDRESS = 't1NcMVwHKToF9zM4CA1BtKZtWyfKewyo6i8';

const register = (owner: string) =>
  signAppMessage({
    type: 'fluxappregister',
    version: 1,
    appSpecifications: { version: 7, name: 'testapp', owner, instances: 2 },
    timestamp: 1_700_000_000_000,
    privkeyHex: ALICE.privkey,
  });

describe('app registration messages', () => {
  it('round-trips: signed by the owner, hash over the signed string and signature', () => {
    const message = register(ALICE.address);
    expect(message.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(checkAppMessage(message)).toMatchObject({ ok: true, spec: { name: 'testapp', instances: 2 } });
  });

  it('rejects another owner, a changed spec and a wrong hash, naming why', () => {
    expect(checkAppMessage(register(BOB_ADDRESS))).toEqual({
      ok: false,
      reason: `signature: signed by ${ALICE.address}, owner is ${BOB_ADDRESS}`,
    });
    const message = register(ALICE.address);
    const tampered = { ...message, appSpecifications: { ...message.appSpecifications, instances: 3 } };
    expect(checkAppMessage(tampered)).toMatchObject({ ok: false, reason: expect.stringMatching(/^hash: expected/) });
    const badSpec = { ...message, appSpecifications: { ...message.appSpecifications, name: '1x' } };
    expect(checkAppMessage(badSpec)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^appSpecifications: name/),
    });
  });

  it('loads the fixture apps: every one validly signed by its owner', async () => {
    const specs = await loadFixtureApps(join(findFixturesDir()!, 'apps'));
    expect(specs.map((spec) => spec.name).sort()).toEqual(['fluxnetcache', 'fluxnetdb', 'fluxnetweb']);
  });

  it('stops on a bad fixture with the file and field named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluxnet-apps-'));
    try {
      await writeFile(join(dir, 'broken.json'), JSON.stringify({ ...register(ALICE.address), hash: 'zz' }));
      const failure = loadFixtureApps(dir);
      await expect(failure).rejects.toBeInstanceOf(AppFixtureError);
      await expect(loadFixtureApps(dir)).rejects.toThrow(/broken\.json: hash: expected 64 lowercase hex/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('placeApp', () => {
  const ips = Array.from({ length: 16 }, (_, i) => `198.19.0.${11 + i}:16127`);

  it('picks the same instances whatever the list order, each once', () => {
    const placed = placeApp({ appName: 'fluxnetweb', instances: 3, ips });
    expect(placed).toHaveLength(3);
    expect(new Set(placed).size).toBe(3);
    expect(placeApp({ appName: 'fluxnetweb', instances: 3, ips: [...ips].reverse() })).toEqual(placed);
    expect(placeApp({ appName: 'fluxnetweb', instances: 20, ips })).toHaveLength(16);
  });

  it('spreads different apps over different nodes', () => {
    const firsts = new Set(
      ['a1', 'b2', 'c3', 'd4', 'e5', 'f6'].map((appName) => placeApp({ appName, instances: 1, ips })[0]),
    );
    expect(firsts.size).toBeGreaterThan(1);
  });
});

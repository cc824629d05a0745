import { describe, expect, it } from 'vitest';
import { BootIdError, KERNEL_BOOT_ID_PATH, readMachineBootId } from './boot-id.js';

function files(contents: Record<string, string>): (path: string) => Promise<string> {
  return async (path) => {
    const text = contents[path];
    if (text === undefined) throw new Error(`ENOENT: ${path}`);
    return text;
  };
}

describe('machine boot id', () => {
  it('takes FLUXNET_BOOT_ID as is (trimmed)', async () => {
    expect(await readMachineBootId({ env: { FLUXNET_BOOT_ID: ' boot-7 \n' }, readText: files({}) })).toBe('boot-7');
  });

  it('reads the harness-controlled file, so a rewrite between runs is a reboot', async () => {
    const contents: Record<string, string> = { '/run/fluxnet/boot_id': 'first\n' };
    const env = { FLUXNET_BOOT_ID_FILE: '/run/fluxnet/boot_id' };
    expect(await readMachineBootId({ env, readText: files(contents) })).toBe('first');
    contents['/run/fluxnet/boot_id'] = 'second\n';
    expect(await readMachineBootId({ env, readText: files(contents) })).toBe('second');
  });

  it("falls back to the kernel's boot id", async () => {
    const readText = files({ [KERNEL_BOOT_ID_PATH]: '6f1c5e0a-0000-4000-8000-000000000001\n' });
    expect(await readMachineBootId({ env: {}, readText })).toBe('6f1c5e0a-0000-4000-8000-000000000001');
  });

  it('reads the real kernel file on Linux', async () => {
    expect(await readMachineBootId({ env: {} })).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    [{ FLUXNET_BOOT_ID: 'a', FLUXNET_BOOT_ID_FILE: '/x' }, /both are set/],
    [{ FLUXNET_BOOT_ID: '  ' }, /FLUXNET_BOOT_ID: is empty/],
    [{ FLUXNET_BOOT_ID_FILE: '' }, /FLUXNET_BOOT_ID_FILE: is empty/],
    [{ FLUXNET_BOOT_ID_FILE: '/missing' }, /FLUXNET_BOOT_ID_FILE: cannot read \/missing \(ENOENT: \/missing\)/],
  ])('rejects %j with a clear error', async (env, message) => {
    const error = await readMachineBootId({ env, readText: files({}) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BootIdError);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects an empty boot-id file', async () => {
    await expect(
      readMachineBootId({ env: { FLUXNET_BOOT_ID_FILE: '/empty' }, readText: files({ '/empty': '\n' }) }),
    ).rejects.toThrowError(/\/empty is empty/);
  });
});

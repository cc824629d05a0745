/**
 * The machine's boot id (fluxos-node.md §10): it changes on every OS boot, which is how the node
 * tells a powercut reboot from a service restart. In containers the harness controls it: either a
 * fixed `FLUXNET_BOOT_ID`, or a file named by `FLUXNET_BOOT_ID_FILE` that it rewrites on a simulated
 * reboot. Without either, Linux's own `/proc/sys/kernel/random/boot_id`.
 */
import { readFile } from 'node:fs/promises';

export const KERNEL_BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

/** The boot id cannot be determined; names the source that failed and why. */
export class BootIdError extends Error {
  readonly source: string;
  constructor({ source, detail }: { source: string; detail: string }) {
    super(`machine boot id from ${source}: ${detail}`);
    this.name = 'BootIdError';
    this.source = source;
  }
}

export interface ReadBootIdOptions {
  env: Record<string, string | undefined>;
  /** Reads a whole text file (injected in tests). */
  readText?: (path: string) => Promise<string>;
}

async function fromFile(path: string, source: string, readText: (path: string) => Promise<string>): Promise<string> {
  let text: string;
  try {
    text = await readText(path);
  } catch (error) {
    throw new BootIdError({ source, detail: `cannot read ${path} (${(error as Error).message})` });
  }
  const id = text.trim();
  if (id === '') throw new BootIdError({ source, detail: `${path} is empty` });
  return id;
}

export async function readMachineBootId({
  env,
  readText = (path) => readFile(path, 'utf8'),
}: ReadBootIdOptions): Promise<string> {
  const fixed = env.FLUXNET_BOOT_ID;
  const file = env.FLUXNET_BOOT_ID_FILE;
  if (fixed !== undefined && file !== undefined) {
    throw new BootIdError({
      source: 'FLUXNET_BOOT_ID and FLUXNET_BOOT_ID_FILE',
      detail: 'both are set; set one (the file when the harness simulates reboots)',
    });
  }
  if (fixed !== undefined) {
    if (fixed.trim() === '') throw new BootIdError({ source: 'FLUXNET_BOOT_ID', detail: 'is empty' });
    return fixed.trim();
  }
  if (file !== undefined) {
    if (file.trim() === '') throw new BootIdError({ source: 'FLUXNET_BOOT_ID_FILE', detail: 'is empty' });
    return fromFile(file, 'FLUXNET_BOOT_ID_FILE', readText);
  }
  return fromFile(KERNEL_BOOT_ID_PATH, 'the kernel', readText);
}

import { commandExists, runCommand } from './run-command.js';

export class HostToolMissingError extends Error {
  constructor(
    readonly tool: string,
    readonly fix: string,
  ) {
    super(`${tool} is required to build the fluxnet images and is missing: ${fix}`);
    this.name = 'HostToolMissingError';
  }
}

const isRoot = () => process.getuid?.() === 0;

let aptUpdated = false;

/** Installs a Debian package when its command is missing (root on Debian only); `apt-get update` runs once. */
export async function ensureDebianTool({
  command,
  aptPackage,
  isPresent = () => commandExists(command),
}: {
  command: string;
  aptPackage: string;
  isPresent?: () => Promise<boolean>;
}): Promise<void> {
  if (await isPresent()) return;
  if (!isRoot() || !(await commandExists('apt-get'))) {
    throw new HostToolMissingError(command, `install it (Debian: sudo apt-get install -y ${aptPackage})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await runCommand({ command: 'apt-get', args: ['update'], env });
    aptUpdated = true;
  }
  await runCommand({ command: 'apt-get', args: ['install', '-y', aptPackage], env });
}

/** debootstrap creates device nodes and chroots, which only root may do. */
export function requireRoot(purpose: string): void {
  if (!isRoot()) {
    throw new HostToolMissingError('root', `${purpose} must run as root (e.g. sudo npm run images)`);
  }
}

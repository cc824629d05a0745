import { spawn } from 'node:child_process';

export interface RunCommandOptions {
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that count as success (default: only 0). */
  okExitCodes?: readonly number[];
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Keeps memory bounded for chatty tools (debootstrap, npm) while holding enough to explain a failure. */
const keptOutputChars = 64_000;

export class CommandFailedError extends Error {
  constructor(
    readonly commandLine: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`command failed (exit ${exitCode ?? 'signal'}): ${commandLine}\n${output.trim().slice(-4_000)}`);
    this.name = 'CommandFailedError';
  }
}

export class CommandNotFoundError extends Error {
  constructor(readonly command: string) {
    super(`command not found on PATH: ${command}`);
    this.name = 'CommandNotFoundError';
  }
}

function appendBounded(kept: string, chunk: string): string {
  const joined = kept + chunk;
  return joined.length > keptOutputChars ? joined.slice(-keptOutputChars) : joined;
}

export function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const { command, args, cwd, env, okExitCodes = [0] } = options;
  const commandLine = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = appendBounded(stdout, chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = appendBounded(stderr, chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new CommandNotFoundError(command) : error);
    });
    child.on('close', (exitCode) => {
      if (exitCode !== null && okExitCodes.includes(exitCode)) {
        resolve({ exitCode, stdout, stderr });
        return;
      }
      reject(new CommandFailedError(commandLine, exitCode, `${stdout}\n${stderr}`));
    });
  });
}

export async function commandExists(command: string): Promise<boolean> {
  const result = await runCommand({ command: 'sh', args: ['-c', `command -v ${command}`], okExitCodes: [0, 1, 127] });
  return result.exitCode === 0;
}

import { spawn } from 'node:child_process';

/** Runs a command with inherited stdio; resolves with its exit code (never throws on non-zero). */
export function runInherited(args: { command: string; argv: string[]; env?: NodeJS.ProcessEnv; cwd?: string }) {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(args.command, args.argv, {
      stdio: 'inherit',
      env: { ...process.env, ...args.env },
      cwd: args.cwd,
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

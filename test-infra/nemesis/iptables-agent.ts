import type { ExecSession } from '../network/machine.js';
import type { ExecResult, RulesetRunner } from './partition.js';

/** What the agent needs of a machine (Machine has it). */
export interface SessionHost {
  readonly index: number;
  openExecSession(cmd: readonly string[]): Promise<ExecSession>;
}

export class IptablesAgentError extends Error {
  override readonly name = 'IptablesAgentError';
}

const APPLY_LINE = '#fluxnet-apply';
const PING_LINE = '#fluxnet-ping';
const RC_PREFIX = '#fluxnet-rc=';

/**
 * Reads ruleset lines from stdin into a file; on the apply line runs iptables-restore on it and
 * answers with its output and an exit-code line (on the ping line, just the exit-code line). Plain
 * sh and one fork per apply, so any image with iptables can host it.
 */
const AGENT_SCRIPT = [
  'rules=$(mktemp)',
  'while IFS= read -r line; do',
  `  if [ "$line" = "${APPLY_LINE}" ]; then`,
  '    iptables-restore --noflush < "$rules" 2>&1',
  `    printf '\\n${RC_PREFIX}%s\\n' "$?"`,
  '    : > "$rules"',
  `  elif [ "$line" = "${PING_LINE}" ]; then`,
  `    printf '${RC_PREFIX}0\\n'`,
  '  else',
  `    printf '%s\\n' "$line" >> "$rules"`,
  '  fi',
  'done',
].join('\n');

/**
 * A resident `docker exec` session per node that applies rulesets on request. A fresh `docker
 * exec` costs a runc start (about 100 ms of CPU here, so 16 of them take most of a second on a
 * small host); the agent pays it once, and an apply is then one iptables-restore. The session dies
 * with its container; the next apply opens a new one.
 */
export class IptablesAgent implements RulesetRunner {
  readonly index: number;
  #session: Promise<ExecSession> | undefined;
  #buffer = '';
  #waiting: { resolve: (reply: ExecResult) => void; reject: (error: Error) => void } | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: SessionHost,
    private readonly options: { replyTimeoutMs?: number } = {},
  ) {
    this.index = host.index;
  }

  /** Starts the agent and waits until it answers, so the first apply is as fast as the rest. */
  async warm(): Promise<void> {
    await this.#request(`${PING_LINE}\n`);
  }

  /** Applies one ruleset; applies to the same node run one at a time. */
  run(ruleset: string): Promise<ExecResult> {
    const body = ruleset.endsWith('\n') ? ruleset : `${ruleset}\n`;
    return this.#request(`${body}${APPLY_LINE}\n`);
  }

  close(): void {
    const session = this.#session;
    this.#session = undefined;
    this.#rejectWaiting('the iptables agent was closed');
    void session?.then(
      (open) => open.close(),
      () => undefined,
    );
  }

  /** One request in flight per agent: the next waits for the previous reply. */
  #request(message: string): Promise<ExecResult> {
    const next = this.#queue.then(() => this.#send(message));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #send(message: string): Promise<ExecResult> {
    const session = await this.#open();
    const timeoutMs = this.options.replyTimeoutMs ?? 10_000;
    return new Promise<ExecResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        this.close();
        reject(new IptablesAgentError(`node ${this.index}: no reply from the iptables agent within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      session.stdin.write(message);
    });
  }

  #open(): Promise<ExecSession> {
    if (this.#session) return this.#session;
    const opening = this.host.openExecSession(['sh', '-c', AGENT_SCRIPT]).then((session) => {
      this.#buffer = '';
      session.output.on('data', (text: string) => this.#onOutput(text));
      void session.ended.then(() => this.#onEnded(opening));
      return session;
    });
    this.#session = opening;
    opening.catch(() => this.#onEnded(opening));
    return opening;
  }

  #onEnded(session: Promise<ExecSession>): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    this.#rejectWaiting('the iptables agent ended (container stopped?)');
  }

  #rejectWaiting(why: string): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(new IptablesAgentError(`node ${this.index}: ${why}`));
  }

  #onOutput(text: string): void {
    this.#buffer += text;
    const match = new RegExp(`(?:^|\\n)${RC_PREFIX}(\\d+)\\n`).exec(this.#buffer);
    if (!match) return;
    const output = this.#buffer.slice(0, match.index).trim();
    this.#buffer = this.#buffer.slice(match.index + match[0].length);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve({ exitCode: Number(match[1]), output });
  }
}

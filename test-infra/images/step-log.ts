import type { ImageLog, StepRunner } from './types.js';

/** After this long a step announces itself, so a slow cold build never looks hung. */
const announceAfterMs = 2_000;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs named steps, printing one line per step with its own and the total elapsed time. */
export function createStepRunner({ log, prefix = 'images' }: { log: ImageLog; prefix?: string }): StepRunner {
  const startedAt = performance.now();
  const stamp = () => `[${prefix} +${seconds(performance.now() - startedAt)}]`;
  return async (label, run, describe) => {
    const stepStart = performance.now();
    const announce = setTimeout(() => log(`${stamp()} ${label} ...`), announceAfterMs);
    try {
      const result = await run();
      const detail = describe ? `: ${describe(result)}` : '';
      log(`${stamp()} ${label}${detail} (${seconds(performance.now() - stepStart)})`);
      return result;
    } catch (error) {
      log(`${stamp()} ${label} FAILED after ${seconds(performance.now() - stepStart)}`);
      throw error;
    } finally {
      clearTimeout(announce);
    }
  };
}

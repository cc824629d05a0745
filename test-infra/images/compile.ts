import { rm } from 'node:fs/promises';
import path from 'node:path';
import { listFilesBelow, pathExists } from './fs-utils.js';
import { runCommand } from './run-command.js';

export interface CompileResult {
  typeErrors: number;
  removedOrphans: number;
}

/** Output files whose source is gone: an incremental build leaves them behind, and they must not ship. */
async function removeOrphanOutputs({ repoRoot, outDir }: { repoRoot: string; outDir: string }): Promise<number> {
  const outputs = await listFilesBelow(outDir);
  const orphans = [];
  for (const output of outputs) {
    const source = output.replace(/\.js(\.map)?$/, '.ts');
    if (!(await pathExists(path.join(repoRoot, source)))) orphans.push(output);
  }
  await Promise.all(orphans.map((orphan) => rm(path.join(outDir, orphan), { force: true })));
  return orphans.length;
}

/**
 * Incremental `tsc -p tsconfig.build.json` into a cached folder. tsc emits even when it reports type
 * errors (exit 2); others may be mid-change in the tree, so the image is still built from what
 * compiles, and the error count is reported.
 */
export async function compileProject({
  repoRoot,
  outDir,
}: {
  repoRoot: string;
  outDir: string;
}): Promise<CompileResult> {
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await runCommand({
    command: process.execPath,
    args: [
      tsc,
      '-p',
      'tsconfig.build.json',
      '--outDir',
      outDir,
      '--noEmitOnError',
      'false',
      '--incremental',
      '--tsBuildInfoFile',
      `${outDir}.tsbuildinfo`,
    ],
    cwd: repoRoot,
    okExitCodes: [0, 2],
  });
  return {
    typeErrors: (result.stdout.match(/error TS\d+/g) ?? []).length,
    removedOrphans: await removeOrphanOutputs({ repoRoot, outDir }),
  };
}

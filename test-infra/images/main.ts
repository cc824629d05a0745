import { ensureImages } from './ensure-images.js';

/** `npm run images`: build or confirm the local images and print what a run will use. */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const images = await ensureImages({ log: (line) => console.log(line) });
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(`images ready in ${seconds} s`);
  console.log(`  base: ${images.base}`);
  console.log(`  node: ${images.node}`);
  console.log(`  db:   ${images.db} (${images.dbKind})`);
}

main().catch((error: unknown) => {
  console.error(`npm run images failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});

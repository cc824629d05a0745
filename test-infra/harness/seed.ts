/** The run's seed: `FLUXNET_SEED` (set by `fluxnet e2e --seed`), else a fresh one. Printed so a run can be replayed. */
export function runSeed(): number {
  const raw = process.env.FLUXNET_SEED;
  if (raw !== undefined && !/^\d+$/.test(raw))
    throw new Error(`FLUXNET_SEED: expected a non-negative integer, got ${raw}`);
  const seed = raw === undefined ? Date.now() % 1_000_000 : Number(raw);
  process.stdout.write(`[fluxnet] seed ${seed} (replay with FLUXNET_SEED=${seed})\n`);
  return seed;
}

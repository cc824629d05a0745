/**
 * Debian's Chromium driven by playwright-core, for the report and dashboard browser tests. No
 * browser can be downloaded here: scripts/ensure-chromium installs /usr/bin/chromium (npm test
 * runs it through scripts/prepare-test-env); FLUXNET_CHROMIUM points elsewhere.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.FLUXNET_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no browser at ${CHROMIUM_PATH}: run scripts/ensure-chromium (or set FLUXNET_CHROMIUM)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

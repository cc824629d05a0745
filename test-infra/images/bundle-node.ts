/**
 * Bundles the reference node into one ES module beside its compiled entry. A node process then
 * reads one file instead of resolving and compiling a few hundred (on 2 cores, 16 nodes starting
 * at once spent about a second each on module loading). Packages that load native addons or are
 * optional stay external and resolve from node_modules as before.
 */
import path from 'node:path';
import { build } from 'esbuild';
import { NODE_BUNDLE_PATH } from './app-layout.js';

const EXTERNAL_PACKAGES = [
  'zeromq',
  // mongodb's optional dependencies, required inside try blocks.
  'kerberos',
  'snappy',
  'socks',
  'aws4',
  'gcp-metadata',
  'mongodb-client-encryption',
  '@mongodb-js/zstd',
  '@aws-sdk/credential-providers',
];

export async function bundleNode({ appDir }: { appDir: string }): Promise<{ bytes: number }> {
  const result = await build({
    entryPoints: [path.join(appDir, 'dist/reference-node/main.js')],
    outfile: path.join(appDir, NODE_BUNDLE_PATH),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: EXTERNAL_PACKAGES,
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: {
      js: "import { createRequire as __fluxnetRequire } from 'node:module'; const require = __fluxnetRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { bytes };
}

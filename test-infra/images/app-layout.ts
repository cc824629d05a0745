/** Where things sit in the node image's /app: shared by the image build and the containers' commands. */

/** The bundled reference node, next to dist/reference-node/main.js so fixture lookup finds /app/fixtures. */
export const NODE_BUNDLE_PATH = 'dist/reference-node/main.bundle.mjs';

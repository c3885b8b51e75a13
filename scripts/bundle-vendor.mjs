// Replaces dist/src/vendor/*.js (tsc's plain re-exports) with their library bundled into one
// minified module; see src/vendor/*.ts for why each is. Run by `npm run build` after tsc.
import { buildSync } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Per bundle: what it needs beyond the defaults below. */
const special = {
  'pg.js': {
    // Optional parts that pg requires only when asked for (pg.native; Cloudflare's sockets).
    external: ['pg-native', 'pg-cloudflare'],
    // pg's check for Cloudflare Workers reads navigator.userAgent where there is a navigator, as
    // on Node 21 and later; on Node 20 it would construct a fetch Response instead.
    define: { navigator: '{"userAgent":"Node.js"}' },
  },
};

const dir = fileURLToPath(new URL('../dist/src/vendor/', import.meta.url));
for (const name of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
  const file = dir + name;
  // tsc's source map describes the re-export, not the bundle.
  rmSync(`${file}.map`, { force: true });
  buildSync({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    legalComments: 'eof',
    // CommonJS code in an ES module bundle: its require() of Node's modules needs a real require.
    banner: { js: "import { createRequire as __vendorRequire } from 'node:module'; const require = __vendorRequire(import.meta.url);" },
    ...special[name],
  });
}

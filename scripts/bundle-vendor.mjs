// Replaces dist/src/vendor/*.js (tsc's plain re-exports) with their library bundled into one
// minified module; see src/vendor/zod.ts for why. Run by `npm run build` after tsc.
import { buildSync } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
  });
}

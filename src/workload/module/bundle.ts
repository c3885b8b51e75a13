/**
 * Workload modules are bundled with esbuild into one ES module before they are imported: that
 * works for .ts and .js files anywhere on disk, whatever their package.json says about module
 * types, and resolves `import … from 'pgsurge'` to this very package even where it is not installed
 * (k6 does the same with its built-in 'k6' modules). Inline source maps keep error positions in the
 * user's own file. The bundle is cached by content hash, so every worker thread reuses it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message, type Plugin } from 'esbuild';
import { usageError } from '../../errors.js';

const PGSURGE_INDEX = fileURLToPath(new URL('../../index.js', import.meta.url));

const pgsurgePackage: Plugin = {
  name: 'pgsurge',
  setup(b) {
    b.onResolve({ filter: /^pgsurge$/ }, () => ({ path: PGSURGE_INDEX, external: true }));
  },
};

function formatMessage(m: Message): string {
  const loc = m.location;
  return loc === null ? m.text : `${loc.file}:${loc.line}:${loc.column + 1}: ${m.text}`;
}

/** Bundle `file` (absolute) and return the path of the ES module to import. */
export async function bundleModule(file: string): Promise<string> {
  let output;
  try {
    output = await build({
      entryPoints: [file],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      write: false,
      logLevel: 'silent',
      plugins: [pgsurgePackage],
      // Packages a module imports are bundled in; Node's own modules stay imports.
      banner: { js: "import { createRequire as __pgsurgeCreateRequire } from 'node:module'; const require = __pgsurgeCreateRequire(import.meta.url);" },
    });
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors ?? [];
    const first = errors[0];
    throw usageError(
      'WORKLOAD_LOAD_FAILED',
      `cannot load workload module ${first === undefined ? file : formatMessage(first)}`,
      errors.slice(1, 5).map(formatMessage),
    );
  }
  const code = output.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'pgsurge-modules');
  const out = join(dir, `${hash}.mjs`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    // Write then rename: another thread may be writing the same bundle at the same time.
    const partial = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(partial, code);
    renameSync(partial, out);
  }
  return out;
}

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
import { join, relative } from 'node:path';
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

function firstLineOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

function formatMessage(m: Message): string {
  const loc = m.location;
  return loc === null ? m.text : `${loc.file}:${loc.line}:${loc.column + 1}: ${m.text}`;
}

/** Bundle `file` (absolute; `shown` as the user gave it) and return the path of the ES module to import. */
export async function bundleModule(file: string, shown: string = file): Promise<string> {
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
    // esbuild names files relative to the working directory, so an error in the module itself
    // already starts with its path; one in a file it imports is put after the module's.
    const located = first === undefined ? firstLineOf(e) : formatMessage(first);
    const inFile = first?.location?.file;
    const where = inFile === relative(process.cwd(), file) ? `${shown}${located.slice(inFile.length)}` : `${shown}: ${located}`;
    throw usageError('WORKLOAD_LOAD_FAILED', `cannot load workload module ${where}`, errors.slice(1, 5).map(formatMessage));
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

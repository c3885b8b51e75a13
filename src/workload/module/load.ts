/**
 * Loading a workload module (`pgsurge run ./checkout.ts`): bundled by esbuild (bundle.ts), then
 * imported; the default export is validated, and every problem is reported with its
 * path in the module. Options come from -D name=value and are checked against the module's spec.
 */
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from '../../vendor/zod.js';
import { usageError } from '../../errors.js';
import type { OptionsSpec, WorkloadDefinition } from './api.js';
import { locateInModule } from './program.js';
import { userCodeLimitMs, watchUserCall } from './watchdog.js';

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');
const stepSchema = z.object({ sql: z.string().min(1), params: fn.optional(), rows: fn.optional() });
const definitionSchema = z.object({
  name: z.string().optional(),
  description: z.string().optional(),
  options: z
    .record(
      z.string(),
      z.object({
        type: z.enum(['int', 'number', 'string', 'boolean']),
        default: z.union([z.number(), z.string(), z.boolean()]),
        description: z.string().optional(),
      }),
    )
    .optional(),
  setup: fn.optional(),
  teardown: fn.optional(),
  weights: fn.optional(),
  reset: fn.optional(),
  report: fn.optional(),
  transactions: z
    .record(
      z.string(),
      z.object({
        weight: z.number().int().nonnegative().optional(),
        read: z.boolean().optional(),
        writes: z.boolean().optional(),
        steps: z.array(stepSchema).min(1),
      }),
    )
    .refine((t) => Object.keys(t).length > 0, 'a workload needs at least one transaction'),
});

const cache = new Map<string, Promise<WorkloadDefinition>>();

/** Import and validate a workload module (cached per absolute path and thread). */
export function loadWorkloadModule(file: string): Promise<WorkloadDefinition> {
  const abs = resolve(file);
  let p = cache.get(abs);
  if (p === undefined) {
    p = importModule(file, abs);
    cache.set(abs, p);
  }
  return p;
}

/** A module's path as the user most likely typed it: relative to the working directory when it is under it. */
export function shownModulePath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

async function importModule(given: string, abs: string): Promise<WorkloadDefinition> {
  const file = given === abs ? shownModulePath(abs) : given;
  const stat = statSync(abs, { throwIfNoEntry: false });
  if (stat === undefined) throw usageError('WORKLOAD_NOT_FOUND', `workload module ${file}: no such file`);
  if (!stat.isFile()) throw usageError('WORKLOAD_NOT_FOUND', `workload module ${file}: not a file; give the path of a .ts or .js module`);
  // Stack traces from the user's code then point at their own lines (the bundle has a source map).
  process.setSourceMapsEnabled(true);
  const { bundleModule } = await import('./bundle.js'); // esbuild loads only when a module is named
  const bundled = await bundleModule(abs, file);
  userCodeLimitMs(); // a bad PGSURGE_USER_CODE_LIMIT_S is its own usage error, not the module's
  let mod: { default?: unknown };
  try {
    // Its top level runs now, on this thread: under the watchdog, like its hooks below.
    mod = (await watchUserCall(`the top level of ${file}`, () => import(pathToFileURL(bundled).href))) as { default?: unknown };
  } catch (e) {
    // Thrown by the module's top-level code: where in the user's file, and the message's first line.
    const located = locateInModule(e, abs);
    const base = abs.replace(/^.*[\\/]/, '');
    const where = located.startsWith(`${base}:`) ? `${file}${located.slice(base.length)}` : `${file}: ${located}`;
    throw usageError('WORKLOAD_LOAD_FAILED', `cannot load workload module ${where}`);
  }
  if (mod.default === undefined) {
    throw usageError('WORKLOAD_INVALID', `workload module ${file} has no default export: export default defineWorkload({ transactions: {...} })`);
  }
  const parsed = definitionSchema.safeParse(mod.default);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${['default export', ...i.path.map(String)].join('.')}: ${i.message}`);
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more:)` : '';
    throw usageError('WORKLOAD_INVALID', `workload module ${file} does not export a valid workload: ${problems[0]!}${more}`, problems.slice(1));
  }
  return watchedHooks(mod.default as WorkloadDefinition, file);
}

/** The functions of a workload that run on the thread that loaded it, not on the hot path. */
const HOOKS = ['setup', 'teardown', 'reset', 'report', 'weights'] as const;

/**
 * The definition with its hooks called under the watchdog (watchdog.ts), each named as the user
 * finds it ("setup() of wl.ts"); `this` in a hook is still the module's own object.
 */
function watchedHooks(def: WorkloadDefinition, file: string): WorkloadDefinition {
  const hooks: Record<string, unknown> = {};
  for (const name of HOOKS) {
    const f = def[name] as ((...args: unknown[]) => unknown) | undefined;
    if (f !== undefined) hooks[name] = (...args: unknown[]): unknown => watchUserCall(`${name}() of ${file}`, () => f.apply(def, args));
  }
  return { ...def, ...hooks };
}

/** Option values: the module's defaults, overridden by -D name=value (converted and checked). */
export function resolveModuleOptions(file: string, spec: OptionsSpec | undefined, defines: Readonly<Record<string, string>>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, s] of Object.entries(spec ?? {})) {
    const raw = defines[name];
    if (raw === undefined) {
      values[name] = s.default;
      continue;
    }
    switch (s.type) {
      case 'int':
        if (!/^-?\d+$/.test(raw)) problems.push(`-D ${name}=${raw}: expected an integer`);
        values[name] = Number(raw);
        break;
      case 'number':
        if (!Number.isFinite(Number(raw)) || raw.trim() === '') problems.push(`-D ${name}=${raw}: expected a number`);
        values[name] = Number(raw);
        break;
      case 'boolean':
        if (!/^(true|false|on|off|1|0)$/i.test(raw)) problems.push(`-D ${name}=${raw}: expected true or false`);
        values[name] = /^(true|on|1)$/i.test(raw);
        break;
      case 'string':
        values[name] = raw;
        break;
    }
  }
  if (problems.length > 0) throw usageError('WORKLOAD_BAD_OPTION', `options of ${file}: ${problems.join('; ')}`);
  return Object.freeze(values);
}

/** "-D" names that the module does not declare (reported, since a typo would silently do nothing). */
export function unknownModuleOptions(spec: OptionsSpec | undefined, defines: Readonly<Record<string, string>>): string[] {
  return Object.keys(defines).filter((d) => d !== 'default_seed' && !(d in (spec ?? {})));
}

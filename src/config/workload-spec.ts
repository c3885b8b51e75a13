/**
 * A workload as the user writes it: a built-in name (or an unambiguous prefix, as pgbench allows),
 * a pgbench script file, or a workload module, each with an optional @WEIGHT.
 */
import { usageError } from '../errors.js';
import { isModulePath } from '../workload/module/module-path.js';
import { BUILTIN_MODULES, isBuiltinModule } from '../workload/builtin/registry.js';
import type { WorkloadSpec } from '../workload/resolve.js';

export const BUILTIN_NAMES = ['tpcb-like', 'simple-update', 'select-only'] as const;

/** pgbench accepts unambiguous prefixes of built-in names (-b se → select-only). */
export function resolveBuiltin(name: string): string | undefined {
  if ((BUILTIN_NAMES as readonly string[]).includes(name)) return name;
  const matches = BUILTIN_NAMES.filter((b) => b.startsWith(name));
  return matches.length === 1 ? matches[0] : undefined;
}

export function splitWeight(spec: string, option: string): { name: string; weight: number } {
  const at = spec.lastIndexOf('@');
  if (at <= 0) return { name: spec, weight: 1 };
  const w = spec.slice(at + 1);
  if (!/^\d+$/.test(w)) throw usageError('BAD_WEIGHT', `${option}: invalid weight "${w}" in "${spec}" (expected NAME@INTEGER)`);
  return { name: spec.slice(0, at), weight: Number(w) };
}

/** A workload as written: a built-in name (or unambiguous prefix), a .sql script, or a module; @WEIGHT optional. */
export function parseWorkloadSpec(spec: string, where: string): WorkloadSpec {
  const { name, weight } = splitWeight(spec, where);
  if (isModulePath(name)) return { kind: 'module', name, weight };
  if (/\.(sql|pgbench|txt)$/i.test(name) || name.includes('/')) return { kind: 'file', name, weight };
  if (isBuiltinModule(name)) return { kind: 'module', name, weight };
  const b = resolveBuiltin(name);
  if (b === undefined) {
    throw usageError(
      'UNKNOWN_WORKLOAD',
      `${where === 'WORKLOAD' ? '' : `${where}: `}unknown workload "${name}" (built-ins: ${[...BUILTIN_NAMES, ...Object.keys(BUILTIN_MODULES)].join(', ')}; or a .sql script, or a .ts/.js workload module)`,
    );
  }
  return { kind: 'builtin', name: b, weight };
}

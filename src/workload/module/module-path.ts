/** Whether a workload argument names a TypeScript/JavaScript module (by its extension). */
const MODULE_EXTENSIONS = /\.(ts|mts|cts|js|mjs|cjs)$/i;

export function isModulePath(name: string): boolean {
  return MODULE_EXTENSIONS.test(name);
}

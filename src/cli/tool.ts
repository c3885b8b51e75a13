import { readFileSync } from 'node:fs';

/** Name and version, from package.json (two levels above dist/src/cli and src/cli alike). */
function readVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pgsurge' && pkg.version !== undefined) return pkg.version;
    } catch {
      /* try the next */
    }
  }
  return '0.0.0';
}

export const TOOL = { name: 'pgsurge', version: readVersion() } as const;

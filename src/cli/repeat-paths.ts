/**
 * The file names of `run --repeat N`: repetition K of `--json out.json` is `out.K.json` (the
 * number before the extension, so the file keeps its type; `out` without one becomes `out.K`),
 * and `--out DIR` gets one complete output directory per repetition, `DIR/K/`. `compare` reads a
 * missing `out.json` whose numbered files exist as the set of them.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/** `out.json`, 2 → `out.2.json`; `out`, 2 → `out.2`; `a/b.c/out.csv`, 1 → `a/b.c/out.1.csv`. */
export function numberedPath(path: string, k: number): string {
  const ext = extname(basename(path));
  return `${path.slice(0, path.length - ext.length)}.${k}${ext}`;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The existing `stem.K.ext` files of `path` (K = 1, 2, …), in the order of K; empty when there are none. */
export function numberedSiblings(path: string): string[] {
  const dir = dirname(path);
  const name = basename(path);
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  const pattern = new RegExp(`^${escapeRegExp(stem)}\\.(\\d+)${escapeRegExp(ext)}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .flatMap((n) => {
      const m = pattern.exec(n);
      return m === null ? [] : [{ n: Number(m[1]), file: dir === '.' && !path.startsWith('.') ? n : join(dir, n) }];
    })
    .sort((a, b) => a.n - b.n)
    .map((x) => x.file);
}

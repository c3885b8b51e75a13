/**
 * What makes results parts of the same run. Each part's result keeps its redacted configuration;
 * the parts of one run agree on it except in what each process may set for itself: which part it
 * is, its threads, where its outputs go, its own sampling, and its random seed (a part's streams
 * are its own anyway: share.ts). Merge compares configurations field by field so that it can name
 * the one that differs; the identity is a hash of the same comparison, and the default run id.
 */
import { createHash } from 'node:crypto';
import { canonicalJson as canonical } from '../util/canonical-json.js';

/** Config fields a part may set for itself (src/config/run-schema.ts names them). */
const PER_PART = new Set([
  'shard',
  'runId',
  'threads',
  'threadsAsked',
  'pgBin',
  'json',
  'csv',
  'log',
  'html',
  'out',
  'verbose',
  'progressMs',
  'prometheus',
  'serverMetrics',
  'observe',
  'noVacuum',
  'teardown',
  'perStatement',
  'randomSeed',
  'thresholds',
  // Where a part records its result is its own affair (a coordinated part records nothing).
  'history',
  // How a part reaches its coordinator (an address of its own network).
  'coordinatorUrl',
]);

/** The fields the parts of one run must agree on, each as canonical JSON. */
export function sharedFields(config: Readonly<Record<string, unknown>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(config)) if (!PER_PART.has(k) && v !== undefined) out.set(k, canonical(v));
  return out;
}

/** A short hash of the shared fields and the number of parts (hex): a part's, computed when it runs. */
export function identityOf(config: Readonly<Record<string, unknown>>): string {
  const n = (config['shard'] as { n?: unknown } | undefined)?.n ?? null;
  const fields = [...sharedFields(config), ['shard.n', canonical(n)]].sort(([a], [b]) => (a! < b! ? -1 : 1));
  return createHash('sha256').update(canonical(fields)).digest('hex').slice(0, 16);
}

/** The first field in which two configurations differ: its name and both values (shortened). */
export function firstDifference(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): { field: string; a: string; b: string } | undefined {
  const fa = sharedFields(a);
  const fb = sharedFields(b);
  const names = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  const short = (s: string | undefined): string => (s === undefined ? '(not set)' : s.length > 60 ? `${s.slice(0, 57)}...` : s);
  for (const k of names) if (fa.get(k) !== fb.get(k)) return { field: k, a: short(fa.get(k)), b: short(fb.get(k)) };
  return undefined;
}

/**
 * Tags: KEY=VALUE labels a run carries in its result's config (`run --tag env=ci`), so that the
 * history, merge and compare see them. The same syntax filters the history (`history list --tag`).
 */
import { usageError } from '../errors.js';
import { printable } from '../workload/pgbench/printable.js';

/** What a tag's key may hold: letters, digits, `_`, `.` and `-` (a URL query and a shell take it as it is). */
export const TAG_KEY = /^[A-Za-z0-9_.-]+$/;

/** `env=ci` → ['env', 'ci']; the value is everything after the first `=` and may not be empty. */
export function parseTag(text: string, label: string): [string, string] {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  if (eq <= 0 || !TAG_KEY.test(key))
    throw usageError('BAD_OPTIONS', `${label}: expected KEY=VALUE with a KEY of letters, digits, _ . and -, got "${printable(text)}"`);
  const value = text.slice(eq + 1);
  // An empty value is most often a shell variable that was not set (--tag env=$ENV).
  if (value === '') throw usageError('BAD_OPTIONS', `${label} ${printable(text)}: the value is empty; give KEY=VALUE`);
  return [key, value];
}

/** Parsed tags as one record; a key given twice is a usage error (which value was meant?). */
export function tagRecord(pairs: readonly (readonly [string, string])[], label: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (Object.hasOwn(tags, key)) throw usageError('BAD_OPTIONS', `${label}: ${key} is given twice (${key}=${tags[key]!}, ${key}=${value})`);
    tags[key] = value;
  }
  return tags;
}

/** `env=ci, host=db1`, in key order ('' for none). */
export function formatTags(tags: Readonly<Record<string, string>>): string {
  return Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]!}`)
    .join(', ');
}

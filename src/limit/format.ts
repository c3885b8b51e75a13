/** The text of a --find-limit search: a table of its steps and the one `limit:` line. */
import type { LimitSection } from '../report/limit-schema.js';
import type { LimitBound } from './bound.js';
import type { LimitOutcome } from './search.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** "-R 1,900" or "4 clients". */
export function formatTarget(kind: LimitSection['kind'], target: number): string {
  return kind === 'rate' ? `-R ${int(target)}` : `${target} client${target === 1 ? '' : 's'}`;
}

export function limitLine(kind: LimitSection['kind'], outcome: LimitOutcome, bound: LimitBound | undefined): string {
  const t = (n: number): string => formatTarget(kind, n);
  const by = bound === undefined ? '' : `; bound: ${bound.evidence}`;
  switch (outcome.kind) {
    case 'found':
      return `limit: ${int(outcome.held.achievedTps)} tps held at ${t(outcome.held.target)}; broke at ${t(outcome.broke.target)} (${outcome.broke.broke ?? 'broke'})${by}`;
    case 'first-broke':
      return `limit: below ${t(outcome.broke.target)}: the first step already broke (${outcome.broke.broke ?? 'broke'}); start lower${kind === 'rate' ? ' with -R' : ''}${by}`;
    case 'no-break':
      return outcome.held === undefined
        ? 'limit: not found: no step was completed (make -T longer than two steps)'
        : `limit: not found: ${int(outcome.held.achievedTps)} tps held at ${t(outcome.held.target)}, nothing broke ${kind === 'clients' ? 'up to -c' : 'before -T ended'}`;
    case 'unfinished': {
      const held = outcome.held === undefined ? 'nothing held yet' : `${int(outcome.held.achievedTps)} tps held at ${t(outcome.held.target)}`;
      const broke = outcome.broke === undefined ? '' : `, broke at ${t(outcome.broke.target)} (${outcome.broke.broke ?? 'broke'})`;
      return `limit: search not finished when the run ended (-T too short or interrupted): ${held}${broke}${by}`;
    }
  }
}

/** The steps as a table: asked, achieved, p99, errors, held/broke. */
export function formatLimit(limit: LimitSection): string {
  const head = ['step', 'asked', 'achieved tps', 'p99 ms', 'errors', 'verdict'];
  const rows = limit.steps.map((s, i) => [
    String(i + 1),
    formatTarget(limit.kind, s.target),
    int(s.achievedTps),
    s.p99Ms === null ? 'n/a' : s.p99Ms.toFixed(1),
    String(s.failed),
    s.held ? 'held' : `broke: ${s.broke ?? ''}`,
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]): string =>
    r
      .map((x, c) => (c === r.length - 1 ? x : x.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [
    `find-limit (${limit.steps.length} step${limit.steps.length === 1 ? '' : 's'} of ${limit.stepS} s, first interval of each not judged):`,
    line(head),
    ...rows.map(line),
    limit.line,
  ].join('\n');
}

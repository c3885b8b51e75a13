/** `pgsurge history list` as a table a person reads: one run a line, newest first. */
import { formatTags } from '../config/tags.js';
import { fmtMs, fmtNum } from '../report/format.js';
import type { HistoryEntry } from './store.js';

/** "2026-05-01 14:02:03" (UTC, as results give it), from an ISO time. */
const startedText = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');

const verdictText = (passed: boolean | null): string => (passed === null ? '-' : passed ? 'passed' : 'FAILED');

/** Numbers right-aligned, text left; the last column is not padded. */
export function formatHistoryTable(entries: readonly HistoryEntry[]): string {
  const head = ['id', 'started (UTC)', 'status', 'workload', 'target', 'tags', 'tps', 'p99 ms', 'failed', 'verdict'];
  const numeric = new Set([6, 7, 8]);
  const rows = entries.map((e) => [
    e.id,
    startedText(e.startedAt),
    e.status,
    e.workload,
    e.target,
    formatTags(e.tags) || '-',
    e.tps === null ? '-' : fmtNum(e.tps, 1),
    fmtMs(e.p99Ms),
    fmtNum(e.failed),
    verdictText(e.passed),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((x, c) => (c === cells.length - 1 ? x : numeric.has(c) ? x.padStart(widths[c]!) : x.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

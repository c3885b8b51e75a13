/**
 * The --find-limit section of the HTML run report: the `limit:` line, then one row per step with
 * its time range on the timeline (the charts above show the ramp and the edge), asked and
 * achieved load, p99, errors and its verdict. '' without `result.limit`.
 */
import { escapeHtml } from './html-page.js';
import { table, type Cell } from './html-tables.js';
import type { HtmlResult } from './html-charts.js';
import { formatTarget } from '../limit/format.js';

export function limitSection(result: HtmlResult): string {
  const limit = result.limit;
  if (limit === undefined) return '';
  const gridS = result.intervals.length > 1 ? result.intervals[1]!.tS - result.intervals[0]!.tS : limit.stepS;
  const cell = (text: string, cls = ''): Cell => ({ text, align: 'r', cls });
  const rows = limit.steps.map((s, i) => [
    cell(String(i + 1)),
    cell(`${(s.firstInterval * gridS).toFixed(1)}–${((s.lastInterval + 1) * gridS).toFixed(1)} s`),
    cell(formatTarget(limit.kind, s.target)),
    cell(Math.round(s.achievedTps).toLocaleString('en-US')),
    cell(s.p99Ms === null ? 'n/a' : s.p99Ms.toFixed(1)),
    cell(String(s.failed)),
    { text: s.held ? 'held' : `broke: ${s.broke ?? ''}`, align: 'l' as const, cls: s.held ? 'good' : 'bad' },
  ]);
  const head = ['step', 'time', 'asked', 'achieved tps', 'p99 ms', 'errors', 'verdict'].map((t) => cell(t));
  return (
    `<h2 id="limit">Limit</h2><p><b>${escapeHtml(limit.line)}</b></p>` +
    `<p class="note">Steps of ${limit.stepS} s; the first interval of each is its warm-up and is not judged.</p>${table(head, rows)}`
  );
}

/**
 * The HTML report's bloat estimates (serverFacts[].bloat, src/observe/bloat.ts): per host, each
 * workload table and btree index with its size, dead rows and estimated bloat at the start and the
 * end of the run, so what the run left behind shows beside what was there before. Values pass
 * through `table` (escaped there).
 */
import type { HtmlResult } from './html-charts.js';
import { escapeHtml } from './html-page.js';
import { table, type Cell } from './html-tables.js';
import { fmtNum } from './format.js';
import type { BloatFacts } from './server-schema.js';

export const BLOAT_COLUMNS = ['relation', 'kind', 'size', 'dead rows', 'estimated bloat, start', 'estimated bloat, end'] as const;

const r = (text: string): Cell => ({ text, align: 'r' });
const mb = (bytes: number): string => (bytes < 1048576 ? `${fmtNum(bytes / 1024, 0)} kB` : `${fmtNum(bytes / 1048576, 1)} MB`);
const share = (ratio: number | null | undefined, bytes: number | null | undefined): string =>
  ratio === null || ratio === undefined || bytes === null || bytes === undefined ? '-' : `${fmtNum(ratio * 100, 0)} % (${mb(bytes)})`;

export function bloatSection(result: HtmlResult): string {
  const facts = result.serverFacts;
  if (facts === undefined) return '';
  const hosts = new Map<string, { start?: BloatFacts; end?: BloatFacts }>();
  for (const h of facts.start.hosts) if (h.bloat !== undefined) hosts.set(h.host, { start: h.bloat });
  for (const h of facts.end.hosts) if (h.bloat !== undefined) hosts.set(h.host, { ...hosts.get(h.host), end: h.bloat });
  const parts: string[] = [];
  for (const [host, { start, end }] of hosts) {
    const last = end ?? start;
    if (last === undefined) continue;
    const rows: Cell[][] = [];
    for (const t of last.tables) {
      const before = start?.tables.find((x) => x.name === t.name);
      const dead = t.deadRatio === null ? '-' : `${fmtNum(t.deadRows)} (${fmtNum(t.deadRatio * 100, 0)} %)`;
      rows.push([
        { text: t.name, align: 'l' },
        { text: 'table', align: 'l' },
        r(mb(t.bytes)),
        r(dead),
        r(share(before?.bloatRatio, before?.bloatBytes)),
        r(end === undefined ? '-' : share(t.bloatRatio, t.bloatBytes)),
      ]);
    }
    for (const i of last.indexes) {
      const before = start?.indexes.find((x) => x.name === i.name);
      rows.push([
        { text: i.name, align: 'l' },
        { text: `index on ${i.table}`, align: 'l' },
        r(mb(i.bytes)),
        r('-'),
        r(share(before?.bloatRatio, before?.bloatBytes)),
        r(end === undefined ? '-' : share(i.bloatRatio, i.bloatBytes)),
      ]);
    }
    const errors = [start?.error, end?.error].filter((e): e is string => e !== undefined);
    parts.push(
      `<h3>Bloat estimates: ${escapeHtml(host)}</h3>`,
      rows.length === 0
        ? ''
        : table(
            BLOAT_COLUMNS.map((text) => ({ text, align: text === 'relation' || text === 'kind' ? 'l' : 'r' })),
            rows,
          ),
      errors.length === 0 ? '' : `<p class="note">Not estimated: ${escapeHtml(errors.join('; '))}.</p>`,
    );
  }
  if (parts.length === 0) return '';
  return (
    `<h2>Tables and indexes</h2>${parts.join('\n')}` +
    '<p class="note">Size: main fork. Estimated bloat: space beyond what the rows need at the fill factor, from the planner\'s statistics against the real size ' +
    '(no scan); "-" for an empty relation or one with a column without statistics (run ANALYZE). Dead rows: n_dead_tup at the end.</p>'
  );
}

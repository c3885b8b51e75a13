/**
 * Another process using a history, for the store's tests (two processes at once, a process that
 * dies in the middle of a write, one that holds the lock). Test support only.
 *
 *   node child.fixture.js record FILE TAG N     N distinct results, tagged child=TAG; prints their ids
 *   node child.fixture.js begin FILE            begins a run and exits, leaving it 'running'
 *   node child.fixture.js crash FILE            killed (SIGKILL) in the middle of a transaction
 *   node child.fixture.js hold FILE MS          holds the history's lock for MS milliseconds
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleResult } from '../report/sample.fixture.js';
import type { ResultV1 } from '../report/result.js';
import { inTransaction, withDatabase } from './database.js';
import { openHistory } from './store.js';

/** Result number `i` of a series: distinct start times, tagged. */
export function seriesResult(base: ResultV1, tags: Record<string, string>, i: number): ResultV1 {
  return { ...base, startedAt: new Date(Date.parse(base.startedAt) + i * 1000).toISOString(), config: { ...base.config, tags } };
}

function main(argv: readonly string[]): void {
  const [command, file, a, b] = argv;
  if (file === undefined) throw new Error('usage: child.fixture.js COMMAND FILE ...');
  switch (command) {
    case 'record': {
      const store = openHistory(file);
      const base = sampleResult();
      const ids: string[] = [];
      for (let i = 0; i < Number(b); i++) ids.push(store.record(seriesResult(base, { child: a ?? '' }, i), { source: 'cli' }));
      store.close();
      process.stdout.write(`${JSON.stringify(ids)}\n`);
      return;
    }
    case 'begin': {
      const store = openHistory(file);
      store.begin({ source: 'ui', startedAt: new Date(), workload: 'tpcb-like', target: 'h:5432/db', tags: {} });
      store.close();
      return;
    }
    case 'crash':
      withDatabase(file, 5000, (db) =>
        inTransaction(db, () => {
          // Enough rows that SQLite writes pages to the WAL before the commit.
          db.exec('PRAGMA cache_size = 5');
          for (let i = 0; i < 200; i++) {
            db.run(
              `INSERT INTO runs (id, status, source, started_at, started_ms, workload, target, tags, failed, recorded_ms, result)
               VALUES (?, 'finished', 'cli', '', 0, 'half-written', '', '{}', 0, 0, ?)`,
              [`crash${i}`, 'x'.repeat(4000)],
            );
          }
          process.kill(process.pid, 'SIGKILL');
        }),
      );
      return;
    case 'hold':
      withDatabase(file, 5000, () => {
        process.stdout.write('holding\n');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(a));
      });
      return;
    default:
      throw new Error(`unknown command ${String(command)}`);
  }
}

// Run as a program (not when a test imports seriesResult).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));

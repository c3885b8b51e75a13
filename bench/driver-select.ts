/**
 * Driver self-benchmark (DESIGN.md "Driver notes"): select-only, 8 connections, prepared, random aid,
 * on a throwaway server. Side by side in one run:
 *   (a) a naive loop over `pg` (8 clients, named prepared query, await per query)
 *   (b) pgsurge's Session, 8 sessions in this one thread, prepared protocol
 *   (c) Debian's pgbench -S -M prepared -c 8 -j 2 for reference
 * Reports TPS and client CPU µs per transaction (process.cpuUsage; for pgbench its rusage).
 *
 *   node dist/bench/driver-select.js [seconds=5]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { parseConnInfo } from '../src/driver/conninfo.js';
import { openSession } from '../src/driver/session.js';
import type { Session } from '../src/driver/types.js';
import { startLocalServer, type LocalServer } from '../src/local/server.js';

const CLIENTS = 8;
const ROWS = 100_000;
const SQL = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';
const seconds = Number(process.argv[2] ?? 5);
const PGBENCH = process.env['PGBENCH'] ?? '/usr/lib/postgresql/15/bin/pgbench';

interface Figure {
  readonly name: string;
  readonly tps: number;
  readonly cpuUsPerTxn: number;
}

const randomAid = (): number => 1 + Math.floor(Math.random() * ROWS);

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function measure(name: string, run: (deadlineMs: number) => Promise<number>): Promise<Figure> {
  await run(Date.now() + 1000); // warm-up (JIT, caches)
  const cpu0 = cpuUs();
  const t0 = performance.now();
  const txns = await run(Date.now() + seconds * 1000);
  const elapsedS = (performance.now() - t0) / 1000;
  return { name, tps: txns / elapsedS, cpuUsPerTxn: (cpuUs() - cpu0) / txns };
}

async function naivePg(server: LocalServer): Promise<Figure> {
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      return c;
    }),
  );
  const fig = await measure('naive pg loop, 8 clients', async (deadline) => {
    let n = 0;
    await Promise.all(
      clients.map(async (c) => {
        while (Date.now() < deadline) {
          await c.query({ name: 'sel', text: SQL, values: [randomAid()] });
          n++;
        }
      }),
    );
    return n;
  });
  await Promise.all(clients.map((c) => c.end()));
  return fig;
}

async function sessions(server: LocalServer): Promise<Figure> {
  const ci = parseConnInfo(server.url, {});
  const statements = [{ parts: ['SELECT abalance FROM pgbench_accounts WHERE aid = ', ''], text: SQL, line: 1, wantsRows: false }];
  const all: Session[] = await Promise.all(
    Array.from({ length: CLIENTS }, () => openSession(ci, { host: server.host, port: server.port }, { protocol: 'prepared', statements })),
  );
  // One reused params array per session: the engine's runners hand over the same array each time.
  const fig = await measure('pgsurge Session, 8 sessions, 1 thread', (deadline) => {
    let n = 0;
    let running = all.length;
    return new Promise<number>((resolve, reject) => {
      for (const s of all) {
        const params: (number | null)[] = [0];
        // Date.now() per completion is cheap next to a round trip; the engine uses its own clock.
        s.setHandler({
          onQueryDone: (err) => {
            if (err !== null) return reject(new Error(err.message));
            n++;
            if (Date.now() < deadline) {
              params[0] = randomAid();
              s.exec(0, params, false);
            } else if (--running === 0) resolve(n);
          },
          onClose: (e) => reject(new Error(e.message)),
        });
        params[0] = randomAid();
        s.exec(0, params, false);
      }
    });
  });
  await Promise.all(all.map((s) => s.close()));
  return fig;
}

/** CPU time of waited-for children (utime+stime of /proc/self/stat fields 16, 17), in µs. */
function childrenCpuUs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[13]) + Number(f[14])) * 10_000; // clock ticks of 10 ms
}

function pgbench(server: LocalServer, args: string[]): { out: string; ok: boolean } {
  const r = spawnSync(PGBENCH, ['-h', server.host, '-p', String(server.port), '-U', server.user, ...args, server.database], { encoding: 'utf8' });
  return { out: `${r.stdout}${r.stderr}`, ok: r.status === 0 };
}

function pgbenchRun(server: LocalServer): Figure | string {
  const cpu0 = childrenCpuUs();
  const r = pgbench(server, ['-S', '-M', 'prepared', '-c', String(CLIENTS), '-j', '2', '-T', String(seconds)]);
  const cpu = childrenCpuUs() - cpu0;
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(r.out)?.[1];
  const txns = /number of transactions actually processed: (\d+)/.exec(r.out)?.[1];
  if (!r.ok || tps === undefined || txns === undefined) return `pgbench failed: ${r.out.trim().split('\n').slice(-3).join(' | ')}`;
  return { name: 'pgbench -S -M prepared -c 8 -j 2', tps: Number(tps), cpuUsPerTxn: cpu / Number(txns) };
}

async function main(): Promise<void> {
  if (!existsSync(PGBENCH)) throw new Error(`no pgbench at ${PGBENCH} (set PGBENCH)`);
  const server = await startLocalServer({ settings: { fsync: 'off', synchronous_commit: 'off', max_connections: 50 } });
  try {
    // pgbench -i -s 1: pgbench_accounts with exactly 100k rows, used by all three clients.
    const init = pgbench(server, ['-i', '-s', '1', '-q']);
    if (!init.ok) throw new Error(`pgbench -i failed: ${init.out}`);
    const figures: (Figure | string)[] = [];
    // PGSURGE_BENCH_ONLY=session|pg|pgbench runs one of them (e.g. under --cpu-prof).
    const only = process.env['PGSURGE_BENCH_ONLY'];
    if (only === undefined || only === 'pg') figures.push(await naivePg(server));
    if (only === undefined || only === 'session') figures.push(await sessions(server));
    if (only === undefined || only === 'pgbench') figures.push(pgbenchRun(server));
    console.log(`select-only, ${CLIENTS} connections, prepared, ${seconds} s each, ${ROWS} rows, server ${server.host}:${server.port}`);
    console.log(`${'client'.padEnd(40)} ${'TPS'.padStart(9)} ${'CPU µs/txn'.padStart(11)}`);
    for (const f of figures) {
      if (typeof f === 'string') console.log(f);
      else console.log(`${f.name.padEnd(40)} ${f.tps.toFixed(0).padStart(9)} ${f.cpuUsPerTxn.toFixed(1).padStart(11)}`);
    }
  } finally {
    await server.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});

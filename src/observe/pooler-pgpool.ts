/**
 * A Pgpool-II in front of the target, read in band: it answers `SHOW pool_version` and
 * `SHOW POOL_NODES` on an ordinary connection to it (PostgreSQL itself knows neither, so they are
 * sent only where something is known to sit in between). SHOW POOL_NODES gives each backend's
 * status and role and the SELECTs Pgpool-II sent it (select_cnt, cumulative since Pgpool-II
 * started, not counting its own queries): which node takes the reads.
 */
import type pg from 'pg';
import type { HostSpec } from '../driver/types.js';
import { nowUs } from '../engine/clock.js';
import type { PgpoolNode, PgpoolUsage } from './types.js';

type Row = Record<string, unknown>;

export interface PgpoolReading {
  readonly atUs: number;
  readonly nodes: readonly Row[];
}

/** Pgpool-II's version ("Pgpool-II 4.3.5 (tamahomeboshi)"), or undefined when what answers is not Pgpool-II. */
export async function pgpoolVersion(client: pg.Client): Promise<string | undefined> {
  try {
    const res = await client.query<Row>('SHOW pool_version');
    const v = Object.values(res.rows[0] ?? {})[0];
    return typeof v === 'string' && v !== '' ? `Pgpool-II ${v}` : undefined;
  } catch {
    return undefined;
  }
}

/** num_init_children: the clients Pgpool-II serves at once (others wait for a child); null when not read. */
/** Its children (num_init_children: the clients it serves at once) and the backend connections each caches (max_pool). */
export async function pgpoolChildren(client: pg.Client): Promise<{ children: number | null; maxPool: number | null }> {
  try {
    const res = await client.query<Row>('SHOW pool_status');
    const item = (name: string): number | null => num(res.rows.find((r) => r['item'] === name)?.['value']);
    return { children: item('num_init_children'), maxPool: item('max_pool') };
  } catch {
    return { children: null, maxPool: null };
  }
}

export async function readPoolNodes(client: pg.Client): Promise<PgpoolReading> {
  const atUs = nowUs();
  const res = await client.query<Row>('SHOW POOL_NODES');
  return { atUs: Math.round((atUs + nowUs()) / 2), nodes: res.rows };
}

const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

const labelOf = (r: Row): string => `${String(r['hostname'] ?? '')}:${String(r['port'] ?? '')}`;

/** Each node as of `cur`, its SELECTs per second since `prev` (null on the first reading, or when the counter went back). */
export function pgpoolBetween(version: string, at: string, prev: PgpoolReading | undefined, cur: PgpoolReading): PgpoolUsage {
  const spanS = prev === undefined ? 0 : (cur.atUs - prev.atUs) / 1e6;
  const nodes: PgpoolNode[] = cur.nodes.map((r) => {
    const before = prev?.nodes.find((p) => p['node_id'] === r['node_id']);
    const a = num(before?.['select_cnt']);
    const b = num(r['select_cnt']);
    return {
      id: num(r['node_id']) ?? -1,
      host: labelOf(r),
      status: String(r['status'] ?? ''),
      role: String(r['role'] ?? ''),
      selectsPerS: a === null || b === null || b < a || spanS <= 0 ? null : (b - a) / spanS,
      loadBalanceNode: r['load_balance_node'] === 'true' || r['load_balance_node'] === true,
      replicationDelay: num(r['replication_delay']),
    };
  });
  return { kind: 'pgpool', version, at, nodes };
}

/** The backends Pgpool-II knows, as host:port (those it reaches over a Unix socket left out). */
export function pgpoolBackends(reading: PgpoolReading): HostSpec[] {
  return reading.nodes.flatMap((r) => {
    const host = r['hostname'];
    const port = num(r['port']);
    return typeof host === 'string' && host !== '' && !host.startsWith('/') && port !== null ? [{ host, port }] : [];
  });
}

/** What the observer asks of Pgpool-II, over a connection of its own to it (opened by `open`). */
export function pgpoolSource(
  version: string,
  at: string,
  open: () => Promise<pg.Client>,
): { readonly version: string; backends(): Promise<HostSpec[]>; sample(): Promise<PgpoolUsage>; close(): Promise<void> } {
  let client: pg.Client | undefined;
  let last: PgpoolReading | undefined;
  return {
    version,
    async backends() {
      client ??= await open();
      return pgpoolBackends(await readPoolNodes(client));
    },
    async sample() {
      try {
        client ??= await open();
        const reading = await readPoolNodes(client);
        const usage = pgpoolBetween(version, at, last, reading);
        last = reading;
        return usage;
      } catch (e) {
        const c = client;
        client = undefined;
        await c?.end().catch(() => undefined);
        return { kind: 'pgpool', version, at, nodes: [], error: e instanceof Error ? e.message : String(e) };
      }
    },
    async close() {
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

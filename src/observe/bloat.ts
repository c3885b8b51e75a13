/**
 * Bloat estimates of the workload tables and their btree indexes: how much of each is dead or free
 * space, from the planner's statistics (pg_stats widths and null fractions, reltuples) against the
 * relation's real size. No extension and no scan: catalog reads only, so it is cheap, and it is
 * read with the start and end facts only (never per interval), on the observer's connection
 * (whose client-side deadline and statement_timeout bound it).
 *
 * The estimate is the one of ioguix/pgsql-bloat-estimation (table/table_bloat.sql and
 * btree/btree_bloat.sql), computed here from the catalog figures the SQL returns, with two changes:
 * the real size is pg_relation_size (relpages is only updated by VACUUM and ANALYZE, so it misses
 * exactly the bloat of a table that autovacuum does not reach), and the row count is the larger of
 * reltuples and n_live_tup (rows added since the last ANALYZE are not bloat). TOAST is left out.
 * An estimate is null when a column has no statistics (never analysed, an expression index column,
 * a `name` column): it would be a guess.
 *
 * Copyright (c) 2015-2019, Jehan-Guillaume (ioguix) de Rorthais. All rights reserved.
 * Redistribution and use in source and binary forms, with or without modification, are permitted
 * provided that the following conditions are met: 1. Redistributions of source code must retain
 * the above copyright notice, this list of conditions and the following disclaimer. 2.
 * Redistributions in binary form must reproduce the above copyright notice, this list of conditions
 * and the following disclaimer in the documentation and/or other materials provided with the
 * distribution. THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY
 * EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE
 * COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL,
 * EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE
 * GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON
 * ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR
 * OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY
 * OF SUCH DAMAGE.
 */
import type pg from 'pg';
import { round } from '../util/round.js';
import { tableFilter } from './server-queries.js';
import type { BloatFacts, IndexBloat, TableBloat } from './types.js';

/** Page header (PageHeaderData), bytes. */
const PAGE_HEADER = 24;
/** btree special space (BTPageOpaqueData), bytes. */
const BTREE_OPAQUE = 16;
/** ItemIdData: the line pointer of every tuple, bytes. */
const ITEM_ID = 4;
/** HeapTupleHeaderData without the null bitmap, bytes. */
const HEAP_TUPLE_HEADER = 23;
/** IndexTupleData, bytes; with nullable columns an IndexAttributeBitMapData (4 bytes) follows. */
const INDEX_TUPLE_HEADER = 8;
const INDEX_NULL_BITMAP = 4;

/** Per table: its real size, rows, fill factor and the mean width of a row from pg_stats. */
export function tableBloatSql(tables: readonly string[]): string {
  return (
    `select c.oid::regclass::text as name, pg_relation_size(c.oid) as bytes, coalesce(st.n_live_tup, 0) as live, ` +
    `coalesce(st.n_dead_tup, 0) as dead, greatest(c.reltuples, coalesce(st.n_live_tup, 0), 0) as tuples, ` +
    `coalesce(substring(array_to_string(c.reloptions, ' ') from 'fillfactor=([0-9]+)')::int, 100) as ff, ` +
    `current_setting('block_size')::int as bs, case when version() ~ '64-bit|x86_64|ppc64|ia64|amd64|aarch64|mingw32' then 8 else 4 end as ma, ` +
    `w.cols, w.nullable, w.width, w.na ` +
    `from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_stat_all_tables st on st.relid = c.oid ` +
    `cross join lateral (select count(*) as cols, coalesce(max(s.null_frac), 0) > 0 as nullable, ` +
    `coalesce(sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)), 0) as width, ` +
    `count(*) <> count(s.attname) or coalesce(bool_or(a.atttypid = 'pg_catalog.name'::regtype), false) as na ` +
    `from pg_attribute a left join pg_stats s on s.schemaname = n.nspname and s.tablename = c.relname and s.attname = a.attname and not s.inherited ` +
    `where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) w ` +
    `where c.relkind in ('r','m') and ${tableFilter(tables)} order by 1`
  );
}

/** Per btree index of those tables: its real size, entries, fill factor and mean key width. */
export function indexBloatSql(tables: readonly string[]): string {
  return (
    `select i.indexrelid::regclass::text as name, c.oid::regclass::text as tbl, pg_relation_size(i.indexrelid) as bytes, ` +
    // A partial index has fewer entries than the table has rows.
    `case when i.indpred is null then greatest(ci.reltuples, coalesce(st.n_live_tup, 0), 0) else greatest(ci.reltuples, 0) end as tuples, ` +
    `coalesce(substring(array_to_string(ci.reloptions, ' ') from 'fillfactor=([0-9]+)')::int, 90) as ff, ` +
    `current_setting('block_size')::int as bs, case when version() ~ '64-bit|x86_64|ppc64|ia64|amd64|aarch64|mingw32' then 8 else 4 end as ma, ` +
    `w.nullable, w.width, w.na ` +
    `from pg_index i join pg_class ci on ci.oid = i.indexrelid join pg_class c on c.oid = i.indrelid ` +
    `join pg_namespace n on n.oid = c.relnamespace left join pg_stat_all_tables st on st.relid = c.oid ` +
    `cross join lateral (select coalesce(max(s.null_frac), 0) > 0 as nullable, ` +
    `coalesce(sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 1024)), 0) as width, ` +
    `count(*) <> count(s.attname) or coalesce(bool_or(a.atttypid = 'pg_catalog.name'::regtype), false) as na ` +
    `from generate_series(0, i.indnatts - 1) k(pos) left join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[k.pos] and i.indkey[k.pos] <> 0 ` +
    `left join pg_stats s on s.schemaname = n.nspname and s.tablename = c.relname and s.attname = a.attname and not s.inherited) w ` +
    `where ci.relam = (select oid from pg_am where amname = 'btree') and c.relkind in ('r','m') and ${tableFilter(tables)} order by 2, 1`
  );
}

/** Rounds `n` up to a multiple of `align` (MAXALIGN padding), as the server lays tuples out. */
const padded = (n: number, align: number): number => Math.ceil(n / align) * align;

/** The catalog figures of one relation that an estimate needs. */
export interface RelationStats {
  readonly bytes: number;
  readonly tuples: number;
  readonly fillfactor: number;
  readonly blockBytes: number;
  readonly maxAlign: number;
  readonly nullable: boolean;
  /** Mean bytes of a row's (or key's) data, nulls counted as absent. */
  readonly width: number;
  /** Some column has no statistics: no estimate. */
  readonly noStats: boolean;
}

/** Bytes beyond what the rows need at the fill factor; null when the statistics cannot tell. */
export function tableBloatBytes(r: RelationStats & { readonly columns: number }): number | null {
  if (r.noStats || r.bytes === 0) return r.bytes === 0 ? 0 : null;
  const header = HEAP_TUPLE_HEADER + (r.nullable ? Math.floor((7 + r.columns) / 8) : 0);
  const tuple = ITEM_ID + padded(header, r.maxAlign) + padded(Math.ceil(r.width), r.maxAlign);
  const perPage = ((r.blockBytes - PAGE_HEADER) * r.fillfactor) / (100 * tuple);
  const needed = Math.ceil(r.tuples / perPage);
  return Math.max(0, Math.floor(r.bytes / r.blockBytes) - needed) * r.blockBytes;
}

export function indexBloatBytes(r: RelationStats): number | null {
  if (r.noStats || r.bytes === 0) return r.bytes === 0 ? 0 : null;
  const header = INDEX_TUPLE_HEADER + (r.nullable ? INDEX_NULL_BITMAP : 0);
  const entry = padded(header, r.maxAlign) + (r.width === 0 ? 0 : padded(Math.floor(r.width), r.maxAlign));
  const perPage = Math.floor(((r.blockBytes - BTREE_OPAQUE - PAGE_HEADER) * r.fillfactor) / (100 * (ITEM_ID + entry)));
  // One metapage, then the leaf pages the entries need (inner pages are few: ignored, as upstream).
  const needed = 1 + Math.ceil(r.tuples / Math.max(1, perPage));
  return Math.max(0, Math.floor(r.bytes / r.blockBytes) - needed) * r.blockBytes;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const ratio = (part: number | null, whole: number): number | null => (part === null || whole <= 0 ? null : round(part / whole, 4));

function statsOf(row: Row): RelationStats {
  return {
    bytes: num(row['bytes']),
    tuples: num(row['tuples']),
    fillfactor: num(row['ff']) || 100,
    blockBytes: num(row['bs']) || 8192,
    maxAlign: num(row['ma']) || 8,
    nullable: row['nullable'] === true,
    width: num(row['width']),
    noStats: row['na'] === true,
  };
}

export function parseTableBloat(row: Row): TableBloat {
  const stats = statsOf(row);
  const live = num(row['live']);
  const dead = num(row['dead']);
  const bloatBytes = tableBloatBytes({ ...stats, columns: num(row['cols']) });
  return {
    name: String(row['name']),
    bytes: stats.bytes,
    liveRows: live,
    deadRows: dead,
    deadRatio: live + dead === 0 ? null : round(dead / (live + dead), 4),
    bloatBytes,
    bloatRatio: ratio(bloatBytes, stats.bytes),
  };
}

export function parseIndexBloat(row: Row): IndexBloat {
  const stats = statsOf(row);
  const bloatBytes = indexBloatBytes(stats);
  return { name: String(row['name']), table: String(row['tbl']), bytes: stats.bytes, bloatBytes, bloatRatio: ratio(bloatBytes, stats.bytes) };
}

/** The estimates of one host; a failure is recorded as the reason, never thrown (facts are best effort). */
export async function readBloat(client: pg.Client, tables: readonly string[]): Promise<BloatFacts> {
  try {
    const t = await client.query<Row>(tableBloatSql(tables));
    const i = await client.query<Row>(indexBloatSql(tables));
    return { tables: t.rows.map(parseTableBloat), indexes: i.rows.map(parseIndexBloat) };
  } catch (e) {
    return { tables: [], indexes: [], error: e instanceof Error ? e.message : String(e) };
  }
}

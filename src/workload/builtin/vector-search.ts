/**
 * vector-search: similarity search over embeddings (an agent's memory store). Transactions, by
 * weight 10/3/2/1: top-k in one namespace, top-k across several namespaces, fetch by id, insert.
 *
 * Two index paths, chosen at setup and recorded in memory_config so every later run reports it:
 *   - pgvector (when the server has the `vector` extension): vector(dim) with an HNSW index
 *     (m, ef_construction); ef_search is set as the database's default for new sessions.
 *   - cube (contrib, in every PostgreSQL distribution): cube with a GiST index and the `<->` kNN
 *     operator; exact search, at most 100 dimensions (cube's limit). With btree_gist the index is
 *     (namespace, embedding), so the namespace filter is an index condition of the kNN scan.
 * The statements are the same on both paths: embeddings travel as float8[] and `to_memory_vec()`,
 * created by setup for the chosen path, turns them into the column's type.
 */
import { defineWorkload, type OptionValues, type Random, type SetupDb, type Vars } from '../module/api.js';
import { usageError } from '../../errors.js';
import { checkRanges, formatCount, logStage, ONLY_OPTION, onlyWeights, tableSizesMb } from './common.js';

const NAME = 'vector-search';
const CUBE_MAX_DIM = 100;

const options = {
  dimension: { type: 'int', default: 32, description: 'embedding dimensions (cube path: at most 100)' },
  entries: { type: 'int', default: 10_000, description: 'memories loaded by setup' },
  namespaces: { type: 'int', default: 10, description: 'distinct namespaces' },
  k: { type: 'int', default: 10, description: 'results per search (LIMIT k)' },
  search_namespaces: { type: 'int', default: 3, description: 'namespaces per cross-namespace search' },
  path: { type: 'string', default: 'auto', description: 'auto (pgvector if available, else cube), pgvector, or cube' },
  m: { type: 'int', default: 16, description: 'pgvector HNSW: links per node' },
  ef_construction: { type: 'int', default: 64, description: 'pgvector HNSW: candidate list size while building' },
  ef_search: { type: 'int', default: 40, description: 'pgvector HNSW: candidate list size while searching (database default)' },
  only: ONLY_OPTION,
} as const;

type O = OptionValues<typeof options>;
type VectorPath = 'pgvector' | 'cube';

const DEFAULT_WEIGHTS = { search_one: 10, search_many: 3, fetch: 2, insert: 1 } as const;

function check(o: O): void {
  checkRanges(NAME, [
    ['dimension', o.dimension, 1, 16_000],
    ['entries', o.entries, 1, 1e10],
    ['namespaces', o.namespaces, 1, 1e6],
    ['k', o.k, 1, 10_000],
    ['search_namespaces', o.search_namespaces, 1, o.namespaces],
    ['m', o.m, 2, 100],
    ['ef_construction', o.ef_construction, 4, 1000],
    ['ef_search', o.ef_search, 1, 1000],
  ]);
  if (!['auto', 'pgvector', 'cube'].includes(o.path)) throw usageError('WORKLOAD_BAD_OPTION', `${NAME}: -D path=${o.path}: expected auto, pgvector or cube`);
}

async function available(db: SetupDb, ext: string): Promise<boolean> {
  return (await db.query('select 1 from pg_available_extensions where name = $1', [ext])).rows.length > 0;
}

/** The path setup takes on this server; explains itself when it cannot take the one asked for. */
async function choosePath(db: SetupDb, o: O): Promise<VectorPath> {
  const hasVector = await available(db, 'vector');
  if (o.path === 'pgvector' && !hasVector)
    throw usageError('WORKLOAD_BAD_OPTION', `${NAME}: -D path=pgvector: the server has no "vector" extension (pgvector); use -D path=cube or auto`);
  const path: VectorPath = o.path === 'cube' || !hasVector ? 'cube' : 'pgvector';
  if (path === 'cube' && o.dimension > CUBE_MAX_DIM) {
    throw usageError(
      'WORKLOAD_BAD_OPTION',
      `${NAME}: -D dimension=${o.dimension}: the cube fallback allows at most ${CUBE_MAX_DIM} dimensions${hasVector ? '' : ' (this server has no pgvector)'}`,
    );
  }
  return path;
}

/** A random embedding as a float8[] literal (components in [0, 1), 4 decimals). */
function embedding(r: Random, dim: number): string {
  const parts: string[] = [];
  for (let i = 0; i < dim; i++) parts.push(r.double().toFixed(4));
  return `{${parts.join(',')}}`;
}

const namespace = (r: Random, o: O): string => `ns_${r.int(1, o.namespaces)}`;

function namespaces(r: Random, o: O): string {
  const chosen = new Set<number>();
  while (chosen.size < o.search_namespaces) chosen.add(r.int(1, o.namespaces));
  return `{${[...chosen].map((n) => `ns_${n}`).join(',')}}`;
}

export default defineWorkload({
  name: NAME,
  description: 'top-k similarity search over embeddings: pgvector HNSW, or a cube GiST kNN fallback',
  tables: ['memory_entries', 'memory_config'],
  options,

  async setup(db, o) {
    check(o);
    const path = await choosePath(db, o);
    if (path === 'cube') {
      logStage(
        NAME,
        `${o.path === 'cube' ? 'cube path asked for' : 'no pgvector on this server'}: using the cube fallback (GiST kNN, exact search, ${o.dimension} dimensions)`,
      );
    }
    await db.query('drop table if exists memory_entries, memory_config');
    await db.query('drop function if exists to_memory_vec(float8[])');
    let btreeGist = false;
    if (path === 'pgvector') {
      await db.query('create extension if not exists vector');
      await db.query(`create function to_memory_vec(a float8[]) returns vector language sql immutable parallel safe as $f$ select a::vector $f$`);
    } else {
      await db.query('create extension if not exists cube');
      btreeGist = await available(db, 'btree_gist');
      if (btreeGist) await db.query('create extension if not exists btree_gist');
      await db.query(`create function to_memory_vec(a float8[]) returns cube language sql immutable parallel safe as $f$ select cube(a) $f$`);
    }
    const type = path === 'pgvector' ? `vector(${o.dimension})` : 'cube';
    await db.query(`create table memory_entries (
      id bigint generated always as identity primary key, namespace text not null, embedding ${type} not null,
      content text not null, metadata jsonb not null default '{}', created_at timestamptz not null default now())`);
    const t0 = Date.now();
    // "where g > 0" ties the inner select to the row, so each row gets its own random vector.
    await db.query(
      `insert into memory_entries (namespace, embedding, content, metadata, created_at)
       select 'ns_' || (1 + g % $2), to_memory_vec(array(select random() from generate_series(1, $3) where g > 0)),
              'memory ' || g || ': ' || md5(g::text), jsonb_build_object('source', 'seed', 'n', g), now() - g * interval '1 second'
       from generate_series(1, $1::bigint) as g`,
      [o.entries, o.namespaces, o.dimension],
    );
    const loadS = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    let index: string;
    if (path === 'pgvector') {
      await db.query(
        `create index memory_entries_embedding on memory_entries using hnsw (embedding vector_l2_ops) with (m = ${o.m}, ef_construction = ${o.ef_construction})`,
      );
      await db.query('create index on memory_entries (namespace)');
      // New sessions (the run's) take ef_search from the database; iterative scans (pgvector ≥ 0.8)
      // keep a filtered search from returning fewer than k rows. Older versions lack the setting.
      await db.query(`do $d$ begin execute format('alter database %I set hnsw.ef_search = ${o.ef_search}', current_database()); end $d$`);
      await db.query(
        `do $d$ begin execute format('alter database %I set hnsw.iterative_scan = relaxed_order', current_database()); exception when others then null; end $d$`,
      );
      index = `hnsw (m=${o.m}, ef_construction=${o.ef_construction}), ef_search=${o.ef_search}`;
    } else if (btreeGist) {
      await db.query('create index memory_entries_embedding on memory_entries using gist (namespace, embedding)');
      index = 'gist (namespace, embedding) with btree_gist, exact kNN';
    } else {
      await db.query('create index memory_entries_embedding on memory_entries using gist (embedding)');
      await db.query('create index on memory_entries (namespace)');
      index = 'gist (embedding), exact kNN';
    }
    const indexS = (Date.now() - t1) / 1000;
    await db.query('vacuum analyze memory_entries');
    await db.query('create table memory_config (key text primary key, value text not null)');
    await db.query(`insert into memory_config values ('path', $1), ('index', $2), ('dimension', $3), ('entries', $4)`, [
      path,
      index,
      String(o.dimension),
      String(o.entries),
    ]);
    logStage(NAME, `path ${path}: ${formatCount(o.entries)} entries loaded in ${loadS.toFixed(2)} s, index ${index} built in ${indexS.toFixed(2)} s`);
  },

  async reset(db, o) {
    // Remove what insert transactions added; setup's rows keep their ids 1..entries.
    await db.query('delete from memory_entries where id > $1', [o.entries]);
    await db.query('vacuum analyze memory_entries');
  },

  async teardown(db) {
    await db.query('drop table if exists memory_entries, memory_config');
    await db.query('drop function if exists to_memory_vec(float8[])');
  },

  weights: (o) => onlyWeights(NAME, o.only, DEFAULT_WEIGHTS),

  async report(db) {
    const config = await db.query('select key, value from memory_config');
    const get = (k: string): string => String(config.rows.find((r) => r['key'] === k)?.['value'] ?? 'unknown');
    const rows = await db.query('select count(*)::bigint as n from memory_entries');
    return {
      vectorPath: get('path'),
      index: get('index'),
      dimension: Number(get('dimension')),
      entries: Number(rows.rows[0]?.['n'] ?? 0),
      ...(await tableSizesMb(db, ['memory_entries'])),
    };
  },

  transactions: {
    search_one: {
      weight: DEFAULT_WEIGHTS.search_one,
      read: true,
      steps: [
        {
          sql: `select id, content, embedding <-> to_memory_vec($2::float8[]) as distance from memory_entries
                where namespace = $1 order by embedding <-> to_memory_vec($2::float8[]) limit $3`,
          params: (r: Random, _v: Vars, o: O) => [namespace(r, o), embedding(r, o.dimension), o.k],
        },
      ],
    },
    search_many: {
      weight: DEFAULT_WEIGHTS.search_many,
      read: true,
      steps: [
        {
          // k nearest per namespace (each an index scan with namespace as its condition), then the k
          // nearest of those: a filter "namespace = any(…)" on one kNN scan reads far more of the index.
          sql: `select id, namespace, content, distance from unnest($1::text[]) as ns(name) cross join lateral (
                  select id, namespace, content, embedding <-> to_memory_vec($2::float8[]) as distance from memory_entries
                  where namespace = ns.name order by embedding <-> to_memory_vec($2::float8[]) limit $3) as nearest
                order by distance limit $3`,
          params: (r: Random, _v: Vars, o: O) => [namespaces(r, o), embedding(r, o.dimension), o.k],
        },
      ],
    },
    fetch: {
      weight: DEFAULT_WEIGHTS.fetch,
      read: true,
      steps: [
        {
          sql: 'select id, namespace, content, metadata, created_at from memory_entries where id = $1',
          params: (r: Random, _v: Vars, o: O) => [r.int(1, o.entries)],
        },
      ],
    },
    insert: {
      weight: DEFAULT_WEIGHTS.insert,
      steps: [
        {
          sql: `insert into memory_entries (namespace, embedding, content, metadata) values ($1, to_memory_vec($2::float8[]), $3, $4::jsonb)`,
          params: (r: Random, _v: Vars, o: O) => [
            namespace(r, o),
            embedding(r, o.dimension),
            `memory: ${r.string(120)}`,
            `{"source":"agent","turn":${r.int(1, 100)}}`,
          ],
        },
      ],
    },
  },
});

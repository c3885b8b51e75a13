/**
 * inference-writes: the write path of an LLM gateway. Each request is one transaction of up to four
 * writes: the inference (input + output JSON), the model call (raw request + raw response JSON), a
 * rate-limit bucket upsert (~100 B) and an experiment-assignment upsert (~100 B).
 *
 * Statements are the same in every mode, so one set of prepared statements serves them all: a
 * payload is `coalesce($n::jsonb, inference_payload($size))`, so with server_side_data the client
 * sends NULL and a size and the server makes the payload (nothing large crosses the network). The
 * rate-limit and experiment writes are switched off by choosing a variant of the transaction (the
 * `weights` hook), not by a no-op statement that would still cost a round trip.
 */
import { defineWorkload, type OptionValues, type Random, type Vars } from '../module/api.js';
import { checkRanges, countOf, ONLY_OPTION, onlyWeights, round, tableSizesMb } from './common.js';

const NAME = 'inference-writes';
const TABLES = ['chat_inference', 'model_inference', 'resource_bucket', 'variant_by_episode'] as const;
const MAX_KB = 2048;
const FUNCTIONS = ['chat', 'summarize', 'classify', 'extract'] as const;
const VARIANTS = ['baseline', 'prompt_v2', 'small_model', 'large_model'] as const;
const MODELS = ['gpt-4o-mini', 'claude-3-5-haiku', 'llama-3.1-70b', 'mistral-large'] as const;

const options = {
  input_kb: { type: 'number', default: 1.5, description: 'input JSON of chat_inference, KB (max 2048)' },
  output_kb: { type: 'number', default: 1, description: 'output JSON of chat_inference, KB (max 2048)' },
  raw_request_kb: { type: 'number', default: 1, description: 'raw request JSON of model_inference, KB (max 2048)' },
  raw_response_kb: { type: 'number', default: 1, description: 'raw response JSON of model_inference, KB (max 2048)' },
  rate_limit: { type: 'boolean', default: true, description: 'write the rate-limit bucket (resource_bucket upsert)' },
  experiment: { type: 'boolean', default: true, description: 'write the experiment assignment (variant_by_episode upsert)' },
  server_side_data: { type: 'boolean', default: false, description: 'generate payloads in SQL: parameters carry sizes, not payloads' },
  unlogged: { type: 'boolean', default: false, description: 'create the tables UNLOGGED (no WAL; lost on a crash)' },
  buckets: { type: 'int', default: 1000, description: 'distinct rate-limit buckets (tenant × model)' },
  episodes: { type: 'int', default: 100_000, description: 'distinct episodes (experiment assignments)' },
  only: ONLY_OPTION,
} as const;

type O = OptionValues<typeof options>;

const bytes = (kb: number): number => Math.round(kb * 1024);

/** Payload bytes one transaction of each variant writes (the two upserts counted as ~100 B each). */
function bytesPerRequest(o: O, withBucket: boolean, withVariant: boolean): number {
  const payloads = bytes(o.input_kb) + bytes(o.output_kb) + bytes(o.raw_request_kb) + bytes(o.raw_response_kb);
  return payloads + (withBucket ? 100 : 0) + (withVariant ? 100 : 0);
}

function check(o: O): void {
  checkRanges(NAME, [
    ['input_kb', o.input_kb, 0, MAX_KB],
    ['output_kb', o.output_kb, 0, MAX_KB],
    ['raw_request_kb', o.raw_request_kb, 0, MAX_KB],
    ['raw_response_kb', o.raw_response_kb, 0, MAX_KB],
    ['buckets', o.buckets, 1, 1e9],
    ['episodes', o.episodes, 1, 1e12],
  ]);
}

/** NULL payload with server_side_data (the server makes it from the size parameter). */
const payload = (r: Random, o: O, kb: number): string | null => (o.server_side_data ? null : r.json(bytes(kb)));

const chatInference = {
  sql: `insert into chat_inference (episode_id, function_name, variant_name, input, output)
        values ($1, $2, $3, coalesce($4::jsonb, inference_payload($6)), coalesce($5::jsonb, inference_payload($7)))`,
  params: (r: Random, v: Vars, o: O) => {
    v.episode = r.int(1, o.episodes);
    v.fn = r.pick(FUNCTIONS);
    v.variant = r.pick(VARIANTS);
    return [
      v.episode as number,
      v.fn as string,
      v.variant as string,
      payload(r, o, o.input_kb),
      payload(r, o, o.output_kb),
      bytes(o.input_kb),
      bytes(o.output_kb),
    ];
  },
};

const modelInference = {
  // currval of chat_inference's identity: the id the previous step took, in this session.
  sql: `insert into model_inference (inference_id, model_name, raw_request, raw_response, input_tokens, output_tokens, response_time_ms)
        values (currval('chat_inference_id_seq'), $1, coalesce($2::jsonb, inference_payload($4)), coalesce($3::jsonb, inference_payload($5)), $6, $7, $8)`,
  params: (r: Random, v: Vars, o: O) => {
    v.model = r.pick(MODELS);
    return [
      v.model as string,
      payload(r, o, o.raw_request_kb),
      payload(r, o, o.raw_response_kb),
      bytes(o.raw_request_kb),
      bytes(o.raw_response_kb),
      r.int(50, 4000),
      r.int(10, 2000),
      r.exponential(50, 30_000, 3),
    ];
  },
};

const resourceBucket = {
  sql: `insert into resource_bucket (bucket_key, tokens, requests, window_start, updated_at)
        values ($1, $2, 1, date_trunc('minute', now()), now())
        on conflict (bucket_key) do update
        set tokens = resource_bucket.tokens + excluded.tokens, requests = resource_bucket.requests + 1, updated_at = excluded.updated_at`,
  params: (r: Random, v: Vars, o: O) => [`tenant_${r.int(1, o.buckets)}:${v.model as string}`, r.int(60, 6000)],
};

const variantByEpisode = {
  sql: `insert into variant_by_episode (episode_id, function_name, variant_name, updated_at)
        values ($1, $2, $3, now())
        on conflict (episode_id, function_name) do update set variant_name = excluded.variant_name, updated_at = excluded.updated_at`,
  params: (_r: Random, v: Vars) => [v.episode as number, v.fn as string, v.variant as string],
};

const BEGIN = { sql: 'begin' };
const COMMIT = { sql: 'commit' };

/** Transaction name for the chosen writes. */
function variantName(o: O): string {
  if (o.rate_limit && o.experiment) return 'request';
  if (o.rate_limit) return 'request_no_experiment';
  if (o.experiment) return 'request_no_rate_limit';
  return 'request_inferences_only';
}

export default defineWorkload({
  name: NAME,
  description: 'LLM gateway write path: 2 JSON inserts + 2 small upserts per request, payload sizes as options',
  tables: TABLES,
  options,

  async setup(db, o) {
    check(o);
    const kind = o.unlogged ? 'unlogged table' : 'table';
    await db.query(`drop table if exists ${TABLES.join(', ')}`);
    await db.query(`create ${kind} chat_inference (
      id bigint generated always as identity primary key, episode_id bigint not null, function_name text not null,
      variant_name text not null, input jsonb not null, output jsonb not null, created_at timestamptz not null default now())`);
    await db.query(`create ${kind} model_inference (
      id bigint generated always as identity primary key, inference_id bigint not null, model_name text not null,
      raw_request jsonb not null, raw_response jsonb not null, input_tokens int not null, output_tokens int not null,
      response_time_ms int not null, created_at timestamptz not null default now())`);
    await db.query('create index on model_inference (inference_id)');
    await db.query(`create ${kind} resource_bucket (
      bucket_key text primary key, tokens bigint not null, requests bigint not null,
      window_start timestamptz not null, updated_at timestamptz not null)`);
    await db.query(`create ${kind} variant_by_episode (
      episode_id bigint not null, function_name text not null, variant_name text not null,
      updated_at timestamptz not null, primary key (episode_id, function_name))`);
    // Incompressible like the client's random text (md5 hex), so table sizes compare across modes;
    // repeat() of one md5 would be compressed away by TOAST and flatter the server-side mode.
    await db.query(`create or replace function inference_payload(size int) returns jsonb language sql volatile as $f$
      select jsonb_build_object('text', left(coalesce(string_agg(md5(random()::text), ''), ''), greatest(size - 11, 0)))
      from generate_series(1, (greatest(size - 11, 0) + 31) / 32)
    $f$`);
  },

  async reset(db) {
    await db.query(`truncate ${TABLES.join(', ')} restart identity`);
  },

  async teardown(db) {
    await db.query(`drop table if exists ${TABLES.join(', ')}`);
    await db.query('drop function if exists inference_payload(int)');
  },

  weights(o) {
    check(o);
    const chosen = variantName(o);
    const defaults = { request: 0, request_no_experiment: 0, request_no_rate_limit: 0, request_inferences_only: 0, [chosen]: 1 };
    return onlyWeights(NAME, o.only, defaults);
  },

  async report(db, o, run) {
    const perType: Record<string, number> = {
      request: bytesPerRequest(o, true, true),
      request_no_experiment: bytesPerRequest(o, true, false),
      request_no_rate_limit: bytesPerRequest(o, false, true),
      request_inferences_only: bytesPerRequest(o, false, false),
    };
    let written = 0;
    for (const [name, b] of Object.entries(perType)) written += countOf(run.transactions, [name]) * b;
    const mb = written / 1048576;
    return {
      payloads: o.server_side_data ? 'server-side' : 'client-side',
      tables: o.unlogged ? 'unlogged' : 'logged',
      data_written_mb: round(mb, 2),
      data_written_mb_per_s: run.durationS > 0 ? round(mb / run.durationS, 2) : 0,
      ...(await tableSizesMb(db, TABLES)),
    };
  },

  transactions: {
    request: { steps: [BEGIN, chatInference, modelInference, resourceBucket, variantByEpisode, COMMIT] },
    request_no_experiment: { weight: 0, steps: [BEGIN, chatInference, modelInference, resourceBucket, COMMIT] },
    request_no_rate_limit: { weight: 0, steps: [BEGIN, chatInference, modelInference, variantByEpisode, COMMIT] },
    request_inferences_only: { weight: 0, steps: [BEGIN, chatInference, modelInference, COMMIT] },
  },
});

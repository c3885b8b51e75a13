/**
 * The write path of an LLM gateway, in miniature: each request stores its input and output as
 * JSON and updates a per-user rate-limit bucket, in one transaction. Payload sizes are options, so
 * the same module measures small chats and large completions.
 *
 *   npx pgsurge run examples/inference-log.ts -R 200 -T 1m -D output_kb=64
 */
import { defineWorkload } from 'pgsurge';

export default defineWorkload({
  name: 'inference-log',
  description: 'JSON-heavy inserts plus a rate-limit upsert per request',
  options: {
    input_kb: { type: 'number', default: 1.5, description: 'size of the input JSON, KB' },
    output_kb: { type: 'number', default: 1, description: 'size of the output JSON, KB' },
    users: { type: 'int', default: 1000, description: 'distinct users (rate-limit buckets)' },
  },

  async setup(db) {
    await db.query('drop table if exists inference, rate_bucket');
    await db.query(`create table inference (
      id bigint generated always as identity primary key, user_id int not null,
      input jsonb not null, output jsonb not null, created_at timestamptz not null default clock_timestamp())`);
    await db.query('create table rate_bucket (user_id int primary key, tokens int not null, updated_at timestamptz not null)');
  },

  async teardown(db) {
    await db.query('drop table if exists inference, rate_bucket');
  },

  transactions: {
    request: {
      steps: [
        { sql: 'begin' },
        {
          sql: 'insert into inference (user_id, input, output) values ($1, $2, $3)',
          params: (r, v, o) => [(v.user = r.int(1, o.users)), r.json(o.input_kb * 1024), r.json(o.output_kb * 1024)],
        },
        {
          sql: `insert into rate_bucket (user_id, tokens, updated_at) values ($1, 1, now())
                on conflict (user_id) do update set tokens = rate_bucket.tokens + 1, updated_at = now()`,
          params: (_r, v) => [v.user as number],
        },
        { sql: 'commit' },
      ],
    },
  },
});

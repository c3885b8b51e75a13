import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poolerView } from './pooler-view.js';
import { poolerLine } from '../report/failover-text.js';
import type { ServerSample } from '../report/result.js';

const bouncer = (clientsWaiting: number | null, maxWaitMs: number | null, servers: number | null) => ({
  kind: 'pgbouncer' as const,
  version: 'PgBouncer 1.18.0',
  at: '127.0.0.1:6432',
  database: 'app',
  user: 'app',
  poolMode: 'transaction',
  poolSize: 20,
  clientsActive: 4,
  clientsWaiting,
  serversActive: servers,
  serversIdle: servers === null ? null : 0,
  maxWaitMs,
  waiting: 0,
  transactionsPerS: 100,
  waitPerTransactionMs: 0,
});
const pgpool = (primary: string, down: string | null) => ({
  kind: 'pgpool' as const,
  version: 'Pgpool-II 4.3.5',
  at: '127.0.0.1:9999',
  nodes: ['127.0.0.1:5432', '127.0.0.1:5433'].map((host, id) => ({
    id,
    host,
    status: host === down ? 'down' : 'up',
    role: host === primary ? 'primary' : 'standby',
    selectsPerS: 0,
    loadBalanceNode: false,
    replicationDelay: 0,
  })),
});
const at = (tS: number, pooler: unknown, error?: string): ServerSample =>
  ({
    tS,
    durationS: 1,
    hosts: [{ host: 'db:5432', ok: true, pooler: error === undefined ? pooler : { ...(pooler as object), error } }],
  }) as unknown as ServerSample;

test("PgBouncer's view: its extremes over the run and the interval each was read in; failed readings skipped", () => {
  const view = poolerView([
    at(0, bouncer(0, 0, 4)),
    at(1, bouncer(4, 640, 0)),
    at(2, bouncer(9, 99_999, 0), 'console did not answer'),
    at(3, bouncer(1, 20, 2)),
  ]);
  assert.deepEqual(
    { w: view?.clientsWaitingMax, m: view?.maxWaitMs, s: view?.serverConnectionsMin, n: view?.nodeChanges },
    { w: { value: 4, atS: 1 }, m: { value: 640, atS: 1 }, s: { value: 0, atS: 1 }, n: [] },
  );
  assert.equal(
    poolerLine(view!),
    'PgBouncer 1.18.0 at 127.0.0.1:6432: up to 4 client(s) waiting (at 1 s), longest wait 640 ms (at 1 s), server connections down to 0 (at 1 s)',
  );
});

test("Pgpool-II's view: every change of a node's status or role, when it was read", () => {
  const a = '127.0.0.1:5432';
  const b = '127.0.0.1:5433';
  const view = poolerView([at(0, pgpool(a, null)), at(1, pgpool(a, null)), at(2, pgpool(b, a)), at(3, pgpool(b, a))]);
  assert.deepEqual(view?.nodeChanges, [
    { atS: 2, host: a, before: 'up primary', after: 'down standby' },
    { atS: 2, host: b, before: 'up standby', after: 'up primary' },
  ]);
  assert.equal(poolerLine(view!), `Pgpool-II 4.3.5 at 127.0.0.1:9999: ${a} up primary → down standby at 2 s; ${b} up standby → up primary at 2 s`);
  assert.equal(poolerView([at(0, undefined), at(1, undefined)]), undefined, 'no pooler, no view');
});

/**
 * What makes two runs "not comparable" in their server settings: settings of the server, not of the
 * connection a pooler hands out (client_encoding and friends), nor where the instance listens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparabilityDifferences } from './compare-config.js';
import { sampleResult } from './sample.fixture.js';
import type { ResultV1 } from './result.js';

function withSettings(settings: Record<string, string>): ResultV1 {
  const r = sampleResult();
  return {
    ...r,
    serverFacts: {
      start: {
        hosts: [
          {
            host: '127.0.0.1:5432',
            serverVersion: '17.2',
            serverVersionNum: 170002,
            inRecovery: false,
            maxConnections: 100,
            sharedBuffersBytes: 134217728,
            settings,
            pgStatStatements: false,
            tables: [],
          },
        ],
      },
      end: { hosts: [] },
    },
  };
}

// As the observer records them: directly (its own connection's settings among them) and through
// PgBouncer (which sets none of them on the server connection).
const SERVER = { shared_buffers: '16384 (8kB)', max_connections: '100' };
const direct = withSettings({
  ...SERVER,
  application_name: 'pgsurge',
  client_encoding: 'UTF8',
  DateStyle: 'ISO, MDY',
  TimeZone: 'Etc/UTC',
  statement_timeout: '2000 (ms)',
  port: '5432',
  listen_addresses: '127.0.0.1',
});
const pooled = withSettings({ ...SERVER, port: '5433', unix_socket_directories: '/tmp/sock' });

test('direct vs through PgBouncer: connection settings the pooler does not show are no difference', () => {
  assert.deepEqual(comparabilityDifferences(direct, pooled, 'pgbouncer'), []);
  assert.deepEqual(comparabilityDifferences(pooled, direct, 'direct'), []);
});

test('a server setting that differs is still named, beside connection settings that are ignored', () => {
  const bigger = withSettings({ ...SERVER, shared_buffers: '32768 (8kB)', client_encoding: 'LATIN1' });
  assert.deepEqual(comparabilityDifferences(direct, bigger, 'B'), ['setting shared_buffers: 16384 (8kB) → 32768 (8kB) (B)']);
  const tuned = withSettings({ ...SERVER, work_mem: '65536 (kB)' });
  assert.deepEqual(comparabilityDifferences(pooled, tuned, 'C'), ['setting work_mem: (none) → 65536 (kB) (C)']);
});

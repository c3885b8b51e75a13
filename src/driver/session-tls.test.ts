/** TLS per sslmode, against a throwaway server with a self-signed certificate for 127.0.0.1. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startTestServer } from '../../test/helpers/server.js';
import { parseConnInfo } from './conninfo.js';
import { openSession, type OpenError } from './session.js';
import type { SslMode } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cert = join(dir, 'server.crt');
const key = join(dir, 'server.key');
const gen = spawnSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ],
  { encoding: 'utf8' },
);
assert.equal(gen.status, 0, gen.stderr);
const otherCa = join(dir, 'other.crt');
spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other', '-keyout', join(dir, 'other.key'), '-out', otherCa]);
// The server runs as an unprivileged user when we are root: it must own its key (mode 0600).
chmodSync(dir, 0o755);
chmodSync(key, 0o600);
if (process.getuid?.() === 0) {
  const name = process.env['PGSURGE_LOCAL_USER'] ?? 'nobody';
  const uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
  chownSync(key, uid, gid);
  chownSync(cert, uid, gid);
}
const server = await startTestServer({ settings: { ssl: 'on', ssl_cert_file: cert, ssl_key_file: key } });
const host = { host: '127.0.0.1', port: server.port };
const SSL_IN_USE = [{ parts: ['SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], text: 'ssl?', line: 1, wantsRows: true }];

async function sslInUse(mode: SslMode, extra = ''): Promise<string | null | undefined> {
  const ci = parseConnInfo(`${server.url}?sslmode=${mode}${extra}`, {});
  const s = await openSession(ci, host, { protocol: 'prepared', statements: SSL_IN_USE });
  try {
    return await new Promise((resolve, reject) => {
      s.setHandler({
        onQueryDone: (err, rows) => (err !== null ? reject(new Error(err.message)) : resolve(rows?.rows[0]?.[0])),
        onClose: (e) => reject(new Error(e.message)),
      });
      s.exec(0, [], true);
    });
  } finally {
    await s.close();
  }
}

test('sslmode=disable → plain', async () => assert.equal(await sslInUse('disable'), 'false'));
test('sslmode=prefer → TLS when offered', async () => assert.equal(await sslInUse('prefer'), 'true'));
test('sslmode=require → TLS', async () => assert.equal(await sslInUse('require'), 'true'));
test('sslmode=verify-full with the right sslrootcert → TLS', async () => assert.equal(await sslInUse('verify-full', `&sslrootcert=${cert}`), 'true'));
test('sslmode=verify-ca with another CA → OpenError', async () => {
  await assert.rejects(sslInUse('verify-ca', `&sslrootcert=${otherCa}`), (e: OpenError) => {
    assert.equal(e.name, 'OpenError');
    assert.match(e.message, /SSL error/);
    return true;
  });
});

/**
 * The admin client's deadlines against a server that answers the startup and then never a query
 * (a stalled server or path, made here in-process): the query is given up with one message naming
 * the host and the statement, later queries fail at once, and end() does not wait for the server.
 * The bounds only catch a hang.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { openAdminClient } from './admin-client.js';
import { PgsurgeError } from '../errors.js';
import type { ConnInfo } from './types.js';

const msg = (type: string, body: Buffer): Buffer => {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};

/** Answers every startup (trust), never a query. */
const sockets = new Set<net.Socket>();
// allowHalfOpen: a client's FIN is not answered, as on a stalled path.
const server = net.createServer({ allowHalfOpen: true }, (sock) => {
  sockets.add(sock);
  sock.on('error', () => undefined);
  sock.on('close', () => sockets.delete(sock));
  let started = false;
  sock.on('data', () => {
    if (started) return;
    started = true;
    const key = Buffer.alloc(8);
    key.writeInt32BE(4242, 0);
    key.writeInt32BE(7, 4);
    sock.write(Buffer.concat([msg('R', Buffer.alloc(4)), msg('K', key), msg('Z', Buffer.from('I'))]));
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});
const port = (server.address() as net.AddressInfo).port;
const host = { host: '127.0.0.1', port };
const ci: ConnInfo = {
  hosts: [host],
  user: 'u',
  password: undefined,
  database: 'd',
  sslmode: 'disable',
  sslrootcert: undefined,
  applicationName: 'pgsurge-test',
  connectTimeoutMs: 2_000,
  targetSessionAttrs: 'any',
  options: undefined,
};

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

test('answer deadline: a query with no answer is given up, naming the host and the statement (escaped); the client is then unusable', async () => {
  const c = await openAdminClient(ci, host, { deadline: { kind: 'answer', ms: 300 } });
  const t0 = Date.now();
  const e = await rejection(c.query('select  pg_is_in_recovery()\n  from "\x1b[2J"'));
  assert.ok(Date.now() - t0 < 20_000, 'given up, not hung');
  assert.ok(e instanceof PgsurgeError && e.code === 'ADMIN_NO_ANSWER', String(e));
  assert.match(e.message, /^127\.0\.0\.1:\d+: no answer to "select pg_is_in_recovery\(\) from "\\x1b\[2J"" within 0\.3 s: the server or the network path/);
  // The connection was given up: a later query fails with the same reason, at once.
  const again = await rejection(c.query('select 1'));
  assert.equal(again, e);
  await c.end();
});

test('silence deadline: when a second connection gets no answer either, the query is given up', async () => {
  const c = await openAdminClient(ci, host, { deadline: { kind: 'silence', ms: 300 } });
  const e = await rejection(c.query('create index on t (x)'));
  assert.ok(e instanceof PgsurgeError && e.code === 'ADMIN_NO_ANSWER', String(e));
  assert.match(e.message, /no answer to "create index on t \(x\)" within 0\.3 s, and a second connection got no answer either/);
  await c.end();
});

test('end() on a connection whose server no longer reads does not wait for the server', async () => {
  const c = await openAdminClient(ci, host);
  const t0 = Date.now();
  await c.end();
  assert.ok(Date.now() - t0 < 20_000);
});

/** The protocol over HTTP: parts dial in, wait for a coordinator that is not up yet, and are refused when they should be. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { listenForParts } from './http-parts.js';
import { connectToCoordinator } from './http-part.js';
import { decodeLine, encodeMessage, lineReader, coordinatorMessageSchema, shardMessageSchema } from './protocol.js';

const quiet = (): void => undefined;

/** One POST as a stranger would send it: the status and body. */
function post(address: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`http://${address}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('messages flow both ways over one request per part, and its end is the part ending', async (t) => {
  const listener = await listenForParts('127.0.0.1:0', 2, { token: 'tok', log: quiet });
  t.after(() => listener.close());
  const fromPart: string[] = [];
  const peer = listener.peers[1]!;
  peer.stdout.on(
    'data',
    lineReader((l) => fromPart.push(l)),
  );
  peer.stdin.write(encodeMessage({ t: 'env', env: {} }));

  const conn = await connectToCoordinator(`http://${listener.address}`, { k: 2, n: 2 }, { token: 'tok', waitMs: 5_000, log: quiet });
  const toPart: string[] = [];
  conn.stdin.on(
    'data',
    lineReader((l) => toPart.push(l)),
  );
  conn.stdout.write(encodeMessage({ t: 'hello', version: '1', k: 2, n: 2 }));
  peer.stdin.write(encodeMessage({ t: 'ping', id: 7 }));
  for (let i = 0; i < 50 && (toPart.length < 2 || fromPart.length < 1); i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    toPart.map((l) => decodeLine(coordinatorMessageSchema, l)),
    [
      { ok: true, message: { t: 'env', env: {} } },
      { ok: true, message: { t: 'ping', id: 7 } },
    ],
  );
  assert.deepEqual(decodeLine(shardMessageSchema, fromPart[0]!), { ok: true, message: { t: 'hello', version: '1', k: 2, n: 2 } });
  conn.end();
  assert.deepEqual(await peer.exited, { code: 0, signal: null });
});

test('refused: no token or a wrong one, a part outside 1..N, a part that is connected already; the result only once the run is over', async (t) => {
  const listener = await listenForParts('127.0.0.1:0', 2, { token: 'tok', log: quiet });
  t.after(() => listener.close());
  const auth = { authorization: 'Bearer tok' };
  assert.equal((await post(listener.address, '/v1/parts/1')).status, 401);
  assert.equal((await post(listener.address, '/v1/parts/1', { authorization: 'Bearer tok2' })).status, 401);
  const outside = await post(listener.address, '/v1/parts/3', auth);
  assert.equal(outside.status, 404);
  assert.match(outside.body, /no part 3 in a run of 2 parts/);
  const first = await connectToCoordinator(`http://${listener.address}`, { k: 1, n: 2 }, { token: 'tok', waitMs: 5_000, log: quiet });
  const again = await post(listener.address, '/v1/parts/1', auth);
  assert.equal(again.status, 409);
  assert.match(again.body, /part 1\/2 is connected already/);
  // A part that is refused is told why at once, not after its wait.
  await assert.rejects(
    connectToCoordinator(`http://${listener.address}`, { k: 1, n: 2 }, { token: 'tok', waitMs: 60_000, log: quiet }),
    /--coordinator http:\/\/127\.0\.0\.1:\d+: HTTP 409: part 1\/2 is connected already/,
  );
  await assert.rejects(
    connectToCoordinator(`http://${listener.address}`, { k: 2, n: 2 }, { token: 'nope', waitMs: 60_000, log: quiet }),
    /HTTP 401: wrong or missing token \(PGSURGE_COORDINATOR_TOKEN\)/,
  );
  const res = await fetch(`http://${listener.address}/result.json`);
  assert.equal(res.status, 503);
  listener.serveResult({ json: '{"schema":"pgsurge.result/v1"}\n', html: '<html></html>' });
  assert.deepEqual(await (await fetch(`http://${listener.address}/result.json`)).json(), { schema: 'pgsurge.result/v1' });
  first.end();
});

test('a part waits for a coordinator that is not listening yet, and gives up after its wait with the reason', async () => {
  // A port nobody listens on, then a listener on it.
  const probe = await listenForParts('127.0.0.1:0', 1, { log: quiet });
  const address = probe.address;
  await probe.close();
  const connecting = connectToCoordinator(`http://${address}`, { k: 1, n: 1 }, { waitMs: 10_000, log: quiet });
  await new Promise((r) => setTimeout(r, 1_500));
  const listener = await listenForParts(address, 1, { log: quiet });
  listener.peers[0]!.stdout.resume();
  const conn = await connecting;
  conn.end();
  assert.deepEqual(await listener.peers[0]!.exited, { code: 0, signal: null });
  await listener.close();
  await assert.rejects(connectToCoordinator(`http://${address}`, { k: 1, n: 1 }, { waitMs: 1_500, log: quiet }), /not reachable within 2 s \(ECONNREFUSED\)/);
});

test('a part whose connection drops before it is done is lost, with the reason', async (t) => {
  const listener = await listenForParts('127.0.0.1:0', 1, { log: quiet });
  t.after(() => listener.close());
  const peer = listener.peers[0]!;
  let said = '';
  peer.stderr.on('data', (d: Buffer) => (said += d.toString()));
  peer.stdout.resume();
  const req = request(`http://${listener.address}/v1/parts/1`, { method: 'POST', agent: false });
  req.on('error', () => undefined);
  req.write(encodeMessage({ t: 'hello', version: '1', k: 1, n: 1 }));
  await new Promise((r) => setTimeout(r, 300));
  req.destroy();
  await peer.exited;
  assert.match(said, /its connection closed before it finished/);
});

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { main } from './main.js';
import { printErr, printOut, type CliIO } from './output.js';

function captureIO(): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { io: { stdout, stderr, env: {} }, out: () => out, err: () => err };
}

test('printOut and printErr redact every line, whatever the scheme', () => {
  const { io, out, err } = captureIO();
  printOut(io, 'target mysql://u:Out-Secret@h/db');
  printErr(io, "pgsurge: host=h password='Err Secret' failed");
  assert.equal(out(), 'target mysql://u:***@h/db\n');
  assert.equal(err(), 'pgsurge: host=h password=*** failed\n');
});

test("commander's own messages go through the same redaction", async () => {
  const { io, out, err } = captureIO();
  const code = await main(['postgresql+psycopg2://u:Commander-Secret@h/db'], io);
  assert.equal(code, 2);
  assert.equal(out(), '');
  assert.match(err(), /^pgsurge: unknown command 'postgresql\+psycopg2:\/\/u:\*\*\*@h\/db'/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Param, StatementSpec } from '../workload/types.js';
import type { Protocol } from './types.js';
import { StatementWriter, placeholderSql } from './wire-writer.js';

/** The messages of one exec, as a server reads them: type byte, int32 length (itself included), body. */
function messages(bytes: Buffer): { type: string; body: Buffer }[] {
  const out: { type: string; body: Buffer }[] = [];
  let p = 0;
  while (p < bytes.length) {
    const len = bytes.readInt32BE(p + 1);
    assert.ok(len >= 4 && p + 1 + len <= bytes.length, `message at ${p} overruns the bytes`);
    out.push({ type: String.fromCharCode(bytes[p]!), body: bytes.subarray(p + 5, p + 1 + len) });
    p += 1 + len;
  }
  return out;
}

function cString(b: Buffer, p: number): [string, number] {
  const end = b.indexOf(0, p);
  return [b.toString('utf8', p, end), end + 1];
}

/** Bind's statement name and parameter values (text; null for SQL NULL). */
function readBind(body: Buffer): { statement: string; values: (string | null)[] } {
  const [, afterPortal] = cString(body, 0);
  const [statement, afterName] = cString(body, afterPortal);
  let p = afterName;
  assert.equal(body.readInt16BE(p), 0, 'parameter format codes: none (all text)');
  const n = body.readInt16BE(p + 2);
  p += 4;
  const values: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const len = body.readInt32BE(p);
    p += 4;
    values.push(len === -1 ? null : body.toString('utf8', p, p + len));
    if (len > 0) p += len;
  }
  assert.equal(body.readInt16BE(p), 0, 'result format codes: none (all text)');
  assert.equal(p + 2, body.length);
  return { statement, values };
}

const param: fc.Arbitrary<Param> = fc.oneof(
  fc.integer({ min: -1e12, max: 1e12 }),
  fc.constantFrom(0, 9, 10, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
);
const textOf = (v: Param): string | null => (v === null ? null : String(v));

test('every exec of a statement goes out as the messages a server expects, whatever its parameters, in every protocol', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<Protocol>('prepared', 'extended', 'simple'),
      fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      fc.array(fc.array(param, { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 30 }),
      (protocol, parts, wantsRows, execs) => {
        const spec: StatementSpec = { parts, text: parts.join('?'), line: 1, wantsRows };
        const w = new StatementWriter(spec, protocol, 'P_7');
        for (const all of execs) {
          const params = all.slice(0, parts.length - 1);
          const msgs = messages(Buffer.from(w.build(params, wantsRows)));
          if (protocol === 'simple') {
            let sql = parts[0]!;
            for (let i = 1; i < parts.length; i++) sql += (textOf(params[i - 1]!) ?? 'NULL') + parts[i]!;
            assert.deepEqual(
              msgs.map((m) => m.type),
              ['Q'],
            );
            assert.equal(cString(msgs[0]!.body, 0)[0], sql);
            continue;
          }
          const types = msgs.map((m) => m.type);
          assert.deepEqual(types, [...(protocol === 'extended' ? ['P'] : []), 'B', ...(wantsRows ? ['D'] : []), 'E', 'S']);
          let i = 0;
          if (protocol === 'extended') {
            const body = msgs[i++]!.body;
            const [name, p] = cString(body, 0);
            assert.equal(name, '');
            assert.equal(cString(body, p)[0], placeholderSql(spec));
          }
          const bind = readBind(msgs[i++]!.body);
          assert.equal(bind.statement, protocol === 'prepared' ? 'P_7' : '');
          assert.deepEqual(bind.values, params.map(textOf));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('a view handed out stays as built until the next build of the same statement', () => {
  const spec: StatementSpec = { parts: ['select ', ''], text: 'select ?', line: 1, wantsRows: true };
  const w = new StatementWriter(spec, 'prepared', 'P_1');
  const first = w.build([123456], true);
  const copy = Buffer.from(first);
  const other = new StatementWriter(spec, 'prepared', 'P_1').build([654321], true);
  assert.deepEqual(Buffer.from(first), copy);
  assert.notDeepEqual(Buffer.from(other), copy);
  // Same length, other digits: the same bytes are rewritten in place (what release() exists for).
  const second = w.build([654321], true);
  assert.deepEqual(Buffer.from(second), Buffer.from(other));
});

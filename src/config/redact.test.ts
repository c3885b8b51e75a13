import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PgsurgeError } from '../errors.js';
import { MASK, maskSecretText, redact, redactValue, registerSecret } from './redact.js';

const NUM_RUNS = process.env['PGSURGE_LONG'] === '1' ? 100_000 : 1_000;

describe('redact: examples', () => {
  const cases: [string, string][] = [
    // Every scheme, and none: the user info is found by position.
    ['postgres://u:secret@h:5432/d', 'postgres://u:***@h:5432/d'],
    ['postgresql://u:se@cret@h/d', 'postgresql://u:***@h/d'],
    ['postgresql+psycopg2://u:secret@h/db', 'postgresql+psycopg2://u:***@h/db'],
    ['mysql://u:secret@h/db', 'mysql://u:***@h/db'],
    ['postgress://u:secret@h/db', 'postgress://u:***@h/db'],
    ['u:secret@h:5432/db', 'u:***@h:5432/db'],
    ['u:se%40c%3Aret@h', 'u:***@h'],
    ['u:a:b@c@h1:5432,h2:5433/db', 'u:***@h1:5432,h2:5433/db'],
    ['direct=mysql://u:secret@h/db', 'direct=mysql://u:***@h/db'],
    [
      'could not connect to root@/var/run/postgresql:5432/u:secret@h:5432/db: ENOENT',
      'could not connect to root@/var/run/postgresql:5432/u:***@h:5432/db: ENOENT',
    ],
    ["unknown command 'postgres://u:secret@h/db'", "unknown command 'postgres://u:***@h/db'"],
    // No password: unchanged.
    ['postgres://u@h/d', 'postgres://u@h/d'],
    ['postgres://h:5432/d', 'postgres://h:5432/d'],
    ['u@[::1]:5432/db', 'u@[::1]:5432/db'],
    ['git@github.com:org/repo', 'git@github.com:org/repo'],
    ['tpcb-like@3: 1234 tx, p99 1.1 ms', 'tpcb-like@3: 1234 tx, p99 1.1 ms'],
    // Query parameters.
    ['postgres://h/d?user=u&password=secret&sslmode=require', 'postgres://h/d?user=u&password=***&sslmode=require'],
    ['postgres://h/d?password=secret', 'postgres://h/d?password=***'],
    // key=value, quoted, escaped, spaced.
    ["host=h password='a b' user=u", 'host=h password=*** user=u'],
    ["host=h password='it\\'s a secret' user=u", 'host=h password=*** user=u'],
    ['host=h password=a\\ b user=u', 'host=h password=*** user=u'],
    ["host=h password = 'x y' port=1", 'host=h password = *** port=1'],
    ['password=secret host=h', 'password=*** host=h'],
    ['PGPASSWORD=secret pgsurge run', 'PGPASSWORD=*** pgsurge run'],
    // A key quoted with a JSON escape right before it (a digit ends the escape).
    ['unknown key "\\u0000password=\'secret\'x" next', 'unknown key "\\u0000password=*** next'],
    ["host=h password='unterminated and more", 'host=h password=***'],
    ['--url postgres://u:secret@h/d --rate 5', '--url postgres://u:***@h/d --rate 5'],
    // One rule cannot hide a password from the other.
    // (Masking more than the password where the two overlap: the value runs to the whitespace.)
    ['u:x&password=y@h/db next', 'u:*** next'],
    ["a:password='b c'@h next", 'a:*** next'],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => {
      assert.equal(redact(input), expected);
      assert.equal(redact(expected), expected);
    });
  }

  test('a short password does not garble output; a long registered one is masked wherever it is', () => {
    registerSecret('1');
    registerSecret('pgsurge');
    const summary = 'pgsurge run: 1 client, 10 s, tps 1001.1, p99 1.11 ms (postgres://u:***@h:5432/db)';
    assert.equal(redact(summary), summary);
    assert.equal(maskSecretText('connect ECONNREFUSED 127.0.0.1:1', '1'), 'connect ECONNREFUSED 127.0.0.1:1');
    assert.equal(maskSecretText('auth failed for Long-Secret-42', 'Long-Secret-42'), 'auth failed for ***');
    assert.equal(maskSecretText('anything', undefined), 'anything');
    registerSecret('Long-Secret-42');
    assert.equal(redact('server said: bad Long-Secret-42 here'), 'server said: bad *** here');
  });
});

describe('redactValue and PgsurgeError', () => {
  test('every string of a JSON-like value, and password-named fields', () => {
    const v = redactValue({ url: 'mysql://u:pw@h/db', list: ['password=pw x', 3, null], nested: { PGPASSWORD: 'pw', n: 1, ok: true }, password: 'pw' });
    assert.deepEqual(v, { url: 'mysql://u:***@h/db', list: ['password=*** x', 3, null], nested: { PGPASSWORD: MASK, n: 1, ok: true }, password: MASK });
  });
  test('an error made with a password in it keeps none, in message, details or stack', () => {
    const e = new PgsurgeError('X', 'cannot use u:hunter2@h', { details: ["host=h password='hunter2'"] });
    assert.equal(e.message, 'cannot use u:***@h');
    assert.deepEqual(e.details, ['host=h password=***']);
    assert.ok(!(e.stack ?? '').includes('hunter2'), e.stack);
  });
});

// ---- property-based tests ----

/** Text around the secrets: no '@', '=', '~' (the password sentinel) and no '\'. */
const PLAIN_CHARS = [...'abcxyzABC0123456789 .,:;!-_()[]"\'/?&%+#\n\t'];
const plainText = (maxLength: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...PLAIN_CHARS), { maxLength }).map((a) => a.join(''));
/** A password whose every other character is the sentinel '~' (which nothing else contains). */
const password = fc.string({ minLength: 0, maxLength: 12, unit: 'grapheme' }).map((s) => `~${[...s].join('~')}~`);
/** Characters a URL password may hold raw (libpq's URL parser splits at '/' and '?'). */
const rawPassword = fc
  .array(fc.constantFrom(...'abcXYZ019:@#%&=\'"!$*+,;[]~'.split('')), { maxLength: 12 })
  .map((a) => `~${a.join('')}~`)
  .filter((s) => !/\s/.test(s));
const scheme = fc.oneof(
  fc.constant(''),
  fc.constantFrom('postgres://', 'postgresql://', 'postgresql+psycopg2://', 'mysql://', 'postgress://', 'jdbc:postgresql://', 'redis://'),
  fc.stringMatching(/^[a-z][a-z0-9+.-]{0,8}$/).map((s) => `${s}://`),
);
const user = fc.string({ maxLength: 8 }).map((s) => encodeURIComponent(s.replace(/~/g, '')));
const hostPart = fc.constantFrom('h', 'db.example:5432', '[::1]:6432', 'h1:5432,h2:5433', '10.0.0.1');
const tail = fc.constantFrom('', '/db', '/db?sslmode=require', '/db?application_name=x&connect_timeout=3');

const url = fc.tuple(scheme, user, fc.oneof(password.map(encodeURIComponent), rawPassword), hostPart, tail).map(([s, u, p, h, t]) => `${s}${u}:${p}@${h}${t}`);
const queryUrl = fc
  .tuple(fc.constantFrom('postgres://', 'mysql://', ''), hostPart, password.map(encodeURIComponent), fc.boolean())
  .map(([s, h, p, first]) => `${s}${h}/db?${first ? '' : 'user=u&'}password=${p}${first ? '&sslmode=require' : ''}`);
const conninfo = fc
  .tuple(password, fc.constantFrom('quoted', 'escaped', 'plain'), fc.constantFrom('password', 'PGPASSWORD', 'sslpassword'), fc.constantFrom('=', ' = ', '= '))
  .map(([p, style, key, eq]) => {
    const value = style === 'quoted' ? `'${p.replace(/[\\']/g, '\\$&')}'` : style === 'escaped' ? p.replace(/[\\\s']/g, '\\$&') : p.replace(/[\s\\']/g, '');
    return `host=h port=5432 ${key}${eq}${value} dbname=d`;
  });
const secretThing = fc.oneof(url, queryUrl, conninfo);

/** Secrets embedded in text, separated from it by whitespace as they are in messages. */
const textWithSecrets = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(plainText(maxLength), secretThing, fc.constantFrom(' ', '\n', ' "', ': ', ' (')), { maxLength: 6 })
    .chain((parts) =>
      plainText(maxLength).map((end) => parts.map(([t, s, sep]) => `${t}${sep}${s}${sep === ' "' ? '"' : sep === ' (' ? ')' : ''} `).join('') + end),
    );

describe('redact: properties', () => {
  test('no character of a password survives, whatever the scheme, encoding or quoting', () => {
    fc.assert(
      fc.property(textWithSecrets(40), (s) => !redact(s).includes('~')),
      { numRuns: NUM_RUNS },
    );
  });
  test('text with no "@" and no "=" is unchanged', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (s) => {
        const t = s.replace(/[@=]/g, '');
        return redact(t) === t;
      }),
      { numRuns: NUM_RUNS },
    );
  });
  test('redaction is idempotent, on secrets in text and on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(textWithSecrets(40), fc.string({ maxLength: 200 }), fc.stringMatching(/^[a-z:@=' \\/?&]{0,60}$/)), (s) => {
        const once = redact(s);
        return redact(once) === once;
      }),
      { numRuns: NUM_RUNS },
    );
  });
  test('inputs around 100 KB: no password survives, plain text is unchanged, redaction is idempotent', () => {
    // A plain chunk repeated up to ~100 KB keeps generation cheap enough for 1,000 runs.
    const big = fc
      .array(fc.tuple(plainText(300), secretThing), { minLength: 1, maxLength: 8 })
      .map((parts) => parts.map(([t, secret]) => `${t.repeat(Math.floor(12_500 / Math.max(1, t.length)))} ${secret} `).join(''));
    fc.assert(
      fc.property(big, (s) => {
        const out = redact(s);
        const plain = s.replace(/[@=~]/g, '');
        return !out.includes('~') && redact(out) === out && redact(plain) === plain;
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { describe, test } from 'node:test';
import { PgsurgeError } from '../errors.js';
import { defaultSocketDir, describeTarget, hasEnvironmentTarget, parseConnInfo, redactUrl } from './conninfo.js';

const osUser = userInfo().username;

describe('parseConnInfo: URLs and key=value strings', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['postgres://alice:s3cret@db.example:6543/shop', { hosts: [{ host: 'db.example', port: 6543 }], user: 'alice', password: 's3cret', database: 'shop' }],
    ['postgresql://127.0.0.1/db', { hosts: [{ host: '127.0.0.1', port: 5432 }], user: osUser, password: undefined, database: 'db' }],
    ['postgres://u@[::1]:5433/d', { hosts: [{ host: '::1', port: 5433 }] }],
    [
      'postgres://u@h1:5432,h2:5433,[::1]/d',
      {
        hosts: [
          { host: 'h1', port: 5432 },
          { host: 'h2', port: 5433 },
          { host: '::1', port: 5432 },
        ],
      },
    ],
    ['postgres://us%40er:p%3Aw%2Fd@h/my%20db', { user: 'us@er', password: 'p:w/d', database: 'my db' }],
    ['postgres://u:p@ss@h/d', { user: 'u', password: 'p@ss', hosts: [{ host: 'h', port: 5432 }] }],
    ['postgresql:///db?host=/var/run/pg&port=6000', { hosts: [{ host: '/var/run/pg', port: 6000 }], database: 'db' }],
    [
      'postgres://h/d?sslmode=require&application_name=x&connect_timeout=3&target_session_attrs=read-write&options=-c%20work_mem%3D4MB',
      {
        sslmode: 'require',
        applicationName: 'x',
        connectTimeoutMs: 3000,
        targetSessionAttrs: 'read-write',
        options: '-c work_mem=4MB',
      },
    ],
    ['postgres://h/d?user=bob&password=pw&dbname=other&sslrootcert=/ca.pem', { user: 'bob', password: 'pw', database: 'other', sslrootcert: '/ca.pem' }],
    ['postgres://h/d?connect_timeout=1', { connectTimeoutMs: 2000 }],
    ['postgres://h/d?connect_timeout=0', { connectTimeoutMs: 0 }],
    ['postgres://h/d?keepalives=1', { hosts: [{ host: 'h', port: 5432 }] }],
    [
      "host=localhost port=5999 dbname=x user=y password='a b\\'c'",
      { hosts: [{ host: 'localhost', port: 5999 }], database: 'x', user: 'y', password: "a b'c" },
    ],
    [
      'host=h1,h2 port=1,2 sslmode = disable',
      {
        hosts: [
          { host: 'h1', port: 1 },
          { host: 'h2', port: 2 },
        ],
        sslmode: 'disable',
      },
    ],
    ['mydb', { database: 'mydb' }],
  ];
  for (const [target, expected] of cases) {
    test(target, () => {
      const ci = parseConnInfo(target, {}) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(ci[k], v, k);
    });
  }

  test('defaults', () => {
    const ci = parseConnInfo(undefined, {});
    assert.deepEqual(ci.hosts, [{ host: defaultSocketDir(), port: 5432 }]);
    assert.equal(ci.user, osUser);
    assert.equal(ci.database, osUser);
    assert.equal(ci.sslmode, 'prefer');
    assert.equal(ci.applicationName, 'pgsurge');
    assert.equal(ci.connectTimeoutMs, 10_000);
    assert.equal(ci.targetSessionAttrs, 'any');
  });

  test('environment fills what the target leaves out', () => {
    const env = {
      PGHOST: 'e1,e2',
      PGPORT: '7000',
      PGUSER: 'envuser',
      PGPASSWORD: 'envpw',
      PGDATABASE: 'envdb',
      PGSSLMODE: 'disable',
      PGAPPNAME: 'app',
      PGCONNECT_TIMEOUT: '5',
      PGTARGETSESSIONATTRS: 'primary',
      PGOPTIONS: '-c x=1',
      PGSSLROOTCERT: '/r.pem',
    };
    const ci = parseConnInfo(undefined, env);
    assert.deepEqual(ci.hosts, [
      { host: 'e1', port: 7000 },
      { host: 'e2', port: 7000 },
    ]);
    assert.equal(ci.user, 'envuser');
    assert.equal(ci.password, 'envpw');
    assert.equal(ci.database, 'envdb');
    assert.equal(ci.sslmode, 'disable');
    assert.equal(ci.applicationName, 'app');
    assert.equal(ci.connectTimeoutMs, 5000);
    assert.equal(ci.targetSessionAttrs, 'primary');
    assert.equal(ci.options, '-c x=1');
    assert.equal(ci.sslrootcert, '/r.pem');
    const url = parseConnInfo('postgres://u@h/d', env);
    assert.equal(url.user, 'u');
    assert.equal(url.database, 'd');
    assert.deepEqual(url.hosts, [{ host: 'h', port: 7000 }]);
    assert.equal(url.password, 'envpw');
  });
});

describe('parseConnInfo: bad input is one clear usage error without the password', () => {
  const bad: [string, RegExp, Record<string, string>?][] = [
    ['postgres://u:hunter2@h:abc/d', /invalid port "abc" in --url/],
    ['postgres://u:hunter2@h:70000/d', /invalid port "70000"/],
    ['postgres://u:hunter2@h/d?sslmode=x', /unknown sslmode "x"/],
    ['postgres://u:hunter2@h/d?target_session_attrs=master', /unknown target_session_attrs "master"/],
    ['postgres://u:hunter2@h/d?connect_timeout=soon', /invalid connect_timeout "soon"/],
    ['postgres://u:hunter2@h/d?bogus=1', /unknown connection option "bogus"/],
    ['postgres://u:hunt%ZZer2@h/d', /invalid percent-encoding in the password/],
    ['postgres://u:hunter2@[::1/d', /unterminated IPv6/],
    ['host=h password=hunter2 port', /missing "=" after "port"/],
    ['host=h password=hunter2', /invalid port "x" in PGPORT/, { PGPORT: 'x' }],
    ['host=h1,h2,h3 port=1,2 password=hunter2', /2 ports for 3 hosts/],
  ];
  for (const [target, re, env] of bad) {
    test(target, () => {
      assert.throws(
        () => parseConnInfo(target, env ?? {}),
        (e: unknown) => {
          assert.ok(e instanceof PgsurgeError);
          assert.equal(e.exitCode, 2);
          assert.match(e.message, re);
          assert.doesNotMatch(e.message, /hunter2|hunt/);
          assert.doesNotMatch(e.message, /\n/);
          return true;
        },
      );
    });
  }
});

test('another URL scheme is refused with one line naming it, never the password', () => {
  for (const scheme of ['mysql', 'postgresql+psycopg2', 'postgress', 'jdbc:postgresql', 'HTTP']) {
    assert.throws(
      () => parseConnInfo(`${scheme}://u:s3cret@h/db`, { PGHOST: 'x', PGUSER: 'me' }),
      (e: unknown) => {
        assert.ok(e instanceof PgsurgeError);
        assert.equal(e.code, 'CONNINFO_BAD_SCHEME');
        assert.equal(e.exitCode, 2);
        assert.equal(e.message, `--url: unsupported scheme "${scheme}://"; use postgres:// or postgresql:// (or a key=value string: host=… dbname=…)`);
        return true;
      },
    );
  }
  // Either accepted spelling, in any case; a key=value string and a lone database name are no URL.
  assert.equal(parseConnInfo('PostgreSQL://u@h/db', {}).database, 'db');
  assert.equal(parseConnInfo("host=h dbname=db options='-c x=1'", {}).database, 'db');
  assert.equal(parseConnInfo('mydb', { PGUSER: 'me' }).database, 'mydb');
});

test('user:password@host/db without its scheme is refused, redacted, with the URL to write', () => {
  for (const [typed, shown] of [
    ['u:s3cret@h:5432/db', 'u:***@h:5432/db'],
    ['app:1@db.internal/shop', 'app:***@db.internal/shop'],
    ['u@h', 'u@h'],
  ] as const) {
    assert.throws(
      () => parseConnInfo(typed, {}),
      (e: unknown) => {
        assert.ok(e instanceof PgsurgeError);
        assert.equal(e.code, 'CONNINFO_NO_SCHEME');
        assert.equal(e.exitCode, 2);
        assert.equal(e.message, `--url: "${shown}" looks like a URL without its scheme; write postgresql://${shown}`);
        return true;
      },
    );
  }
  // A database name may hold "@" (libpq allows any name); one with no host after it stays a name.
  assert.equal(parseConnInfo('team@', { PGUSER: 'me' }).database, 'team@');
  assert.equal(parseConnInfo('my db', { PGUSER: 'me' }).database, 'my db');
});

test('describeTarget: all hosts, no password', () => {
  assert.equal(describeTarget(parseConnInfo('postgres://postgres:pw@127.0.0.1:5432/db', {})), 'postgres@127.0.0.1:5432/db');
  assert.equal(describeTarget(parseConnInfo('postgres://u:pw@h1,[::1]:5433/db', {})), 'u@h1:5432,[::1]:5433/db');
});

test('redactUrl', () => {
  assert.equal(redactUrl('postgres://u:secret@h:5432/d'), 'postgres://u:***@h:5432/d');
  assert.equal(redactUrl('postgresql://u:se@cret@h/d'), 'postgresql://u:***@h/d');
  assert.equal(redactUrl('postgres://u@h/d'), 'postgres://u@h/d');
  assert.equal(redactUrl('postgres://h/d?user=u&password=secret&sslmode=require'), 'postgres://h/d?user=u&password=***&sslmode=require');
  assert.equal(redactUrl("host=h password='a b' user=u"), 'host=h password=*** user=u');
  assert.equal(redactUrl('password=secret host=h'), 'password=*** host=h');
  assert.equal(redactUrl('--url postgres://u:secret@h/d --rate 5'), '--url postgres://u:***@h/d --rate 5');
});

test('hasEnvironmentTarget', () => {
  assert.equal(hasEnvironmentTarget({}), false);
  assert.equal(hasEnvironmentTarget({ PGPASSWORD: 'x', PGSSLMODE: 'disable' }), false);
  for (const k of ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSERVICE']) assert.equal(hasEnvironmentTarget({ [k]: 'v' }), true, k);
  assert.equal(hasEnvironmentTarget({ PGHOST: '' }), false);
});

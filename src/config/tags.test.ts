import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgsurgeError } from '../errors.js';
import { formatTags, parseTag, tagRecord } from './tags.js';
import { redactRunConfig, resolveRunRequest } from './run-config.js';

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgsurgeError && e.exitCode === 2, String(e));
    return [e.message, ...e.details].join('\n');
  }
  assert.fail('no usage error');
}

test('a tag is KEY=VALUE: the key of letters, digits, _ . -; the value anything but empty', () => {
  assert.deepEqual(parseTag('env=ci', '--tag'), ['env', 'ci']);
  assert.deepEqual(parseTag('build.id=a=b c', '--tag'), ['build.id', 'a=b c']);
  assert.deepEqual(parseTag('A_1-x=1', '--tag'), ['A_1-x', '1']);
  for (const bad of ['env', '=ci', 'a b=c', 'é=1', 'a/b=c', ''])
    assert.match(
      usageMessage(() => parseTag(bad, '--tag')),
      /^--tag: expected KEY=VALUE/,
    );
  assert.match(
    usageMessage(() => parseTag('env=', '--tag')),
    /^--tag env=: the value is empty/,
  );
  assert.match(
    usageMessage(() =>
      tagRecord(
        [
          ['env', 'a'],
          ['env', 'b'],
        ],
        '--tag',
      ),
    ),
    /--tag: env is given twice \(env=a, env=b\)/,
  );
  assert.equal(formatTags({ team: 'db', env: 'ci' }), 'env=ci, team=db');
});

test('run --tag lands in the config a result echoes; a bad one names --tag; --history and --no-history', () => {
  const cfg = resolveRunRequest({ tag: ['env=ci', 'team=db'] });
  assert.deepEqual(cfg.tags, { env: 'ci', team: 'db' });
  assert.deepEqual(redactRunConfig(cfg)['tags'], { env: 'ci', team: 'db' });
  assert.deepEqual(resolveRunRequest({}).tags, {});
  assert.match(
    usageMessage(() => resolveRunRequest({ tag: ['nokey'] })),
    /--tag: expected KEY=VALUE/,
  );
  assert.match(
    usageMessage(() => resolveRunRequest({ tag: ['a=1', 'a=2'] })),
    /--tag: a is given twice/,
  );
  assert.equal(resolveRunRequest({}).history, undefined);
  assert.equal(resolveRunRequest({ history: true }).history, true);
  assert.equal(resolveRunRequest({ history: 'h.db' }).history, 'h.db');
  assert.equal(resolveRunRequest({ history: false }).history, false, '--no-history');
  assert.equal(resolveRunRequest({ out: false }).out, undefined, 'an option without --no-x: false is not given');
});

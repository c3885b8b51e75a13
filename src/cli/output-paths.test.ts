import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgsurgeError } from '../errors.js';
import { checkOutputPaths, outputPathProblem, writeOutputFile } from './output-paths.js';

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-output-paths-'));
const file = join(dir, 'a-file');
writeFileSync(file, 'x');

test('a file output: fine in an existing directory or over an existing file; else why not', () => {
  assert.equal(outputPathProblem({ option: '--json', path: join(dir, 'new.json'), kind: 'file' }), undefined);
  assert.equal(outputPathProblem({ option: '--json', path: file, kind: 'file' }), undefined);
  assert.equal(outputPathProblem({ option: '--json', path: join(dir, 'no', 'x.json'), kind: 'file' }), `directory ${join(dir, 'no')} does not exist`);
  assert.equal(outputPathProblem({ option: '--json', path: dir, kind: 'file' }), 'is a directory; give a file name');
  assert.equal(outputPathProblem({ option: '--json', path: join(file, 'x.json'), kind: 'file' }), `${file} is a file, not a directory`);
  assert.match(outputPathProblem({ option: '--json', path: '/proc/x.json', kind: 'file' }) ?? '', /files cannot be created in \/proc/);
  assert.deepEqual(readdirSync(dir).sort(), ['a-file'], 'the checks leave nothing behind');
});

test('a directory output: created if missing under a directory; a file in the way is named', () => {
  assert.equal(outputPathProblem({ option: '--out', path: join(dir, 'x', 'y'), kind: 'dir' }), undefined);
  assert.equal(outputPathProblem({ option: '--out', path: dir, kind: 'dir' }), undefined);
  assert.match(outputPathProblem({ option: '--out', path: file, kind: 'dir' }) ?? '', /is an existing file, not a directory/);
  assert.equal(outputPathProblem({ option: '--out', path: join(file, 'y'), kind: 'dir' }), `${file} is a file, not a directory`);
  assert.ok(!existsSync(join(dir, 'x')), 'nothing created by the check');
});

test('checkOutputPaths: every problem at once, same file twice, an output onto an input', () => {
  let err: unknown;
  try {
    checkOutputPaths(
      [
        { option: '--json', path: join(dir, 'r.json'), kind: 'file' },
        { option: '--csv', path: join(dir, 'r.json'), kind: 'file' },
        { option: '--html', path: file, kind: 'file' },
        { option: '--out', path: file, kind: 'dir' },
      ],
      [{ path: file, given: `-f ${file}` }],
    );
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof PgsurgeError);
  assert.equal(err.exitCode, 2);
  assert.match(err.message, /^--csv \S+r\.json: the same file as --json; give each output its own; and 2 more output problems:$/);
  assert.match(err.details[0]!, /^--html \S+a-file: that is an input of the run/);
  assert.match(err.details[1]!, /^--out \S+a-file: is an existing file/);
});

test('writeOutputFile returns the failure with what the path looks like now, and does not throw', () => {
  const gone = join(dir, 'gone');
  mkdirSync(gone);
  rmSync(gone, { recursive: true });
  const f = writeOutputFile({ option: '--json', path: join(gone, 'r.json') }, () => '{}');
  assert.deepEqual(f, { option: '--json', path: join(gone, 'r.json'), reason: `directory ${gone} does not exist (ENOENT)` });
  assert.equal(
    writeOutputFile({ option: '--json', path: join(dir, 'ok.json') }, () => '{}'),
    undefined,
  );
});

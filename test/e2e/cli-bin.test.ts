/**
 * The command as npm runs it (`npx pgsurge`, or the linked `pgsurge`): the bin file itself is
 * executed, so it must be executable and start with a node shebang. tsc writes it 0644; the build
 * sets the bit (package.json "build"), and without it `npx pgsurge` after `npm ci` failed with
 * "Permission denied".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLI, cleanEnv } from '../helpers/cli.js';

test('the built bin runs by itself: executable, node shebang, --version prints the package version', () => {
  accessSync(CLI, constants.X_OK);
  assert.match(readFileSync(CLI, 'utf8').split('\n')[0] ?? '', /^#!\/usr\/bin\/env node$/);
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
    version: string;
    bin: Record<string, string>;
  };
  assert.equal(pkg.bin['pgsurge'], 'dist/src/cli/bin.js');
  const r = spawnSync(CLI, ['--version'], { env: cleanEnv(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), pkg.version);
});

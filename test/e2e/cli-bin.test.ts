/**
 * The command as npm runs it (`npx pgsurge`, or the linked `pgsurge`): the bin file itself is
 * executed, so it must be executable and start with a shebang. tsc writes it 0644; the build sets
 * the bit (package.json "build"), and without it `npx pgsurge` after `npm ci` failed with
 * "Permission denied". The shebang is /bin/sh, whose first command runs Node on the same file
 * with the main thread's V8 options and glibc's arena cap (unless the user set one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, cleanEnv } from '../helpers/cli.js';

test('the built bin runs by itself: executable, shell shebang, --version prints the package version', () => {
  accessSync(CLI, constants.X_OK);
  assert.match(readFileSync(CLI, 'utf8').split('\n')[0] ?? '', /^#!\/bin\/sh$/);
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
    version: string;
    bin: Record<string, string>;
  };
  assert.equal(pkg.bin['pgsurge'], 'dist/src/cli/bin.js');
  const r = spawnSync(CLI, ['--version'], { env: cleanEnv(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('started through a link as npm makes it, the bin runs Node with its options and passes every argument unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-bin-'));
  const link = join(dir, 'pgsurge');
  symlinkSync(CLI, link);
  // A server that takes the connection and never answers: the run stays up until connect_timeout.
  const held: Socket[] = [];
  const silent = createServer((s) => held.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of held) s.destroy();
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = (silent.address() as { port: number }).port;
  const url = `postgres://u@127.0.0.1:${port}/db?connect_timeout=3`;
  const env = cleanEnv();
  delete env['MALLOC_ARENA_MAX'];
  const child = spawn(link, ['run', '-b', 'select-only', '-T', '1', '-n', '--tag', 'note=two words', '--url', url], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A user's own MALLOC_ARENA_MAX is kept.
  const own = spawn(link, ['run', '-b', 'select-only', '-T', '1', '-n', '--url', url], {
    env: { ...cleanEnv(), MALLOC_ARENA_MAX: '6' },
    stdio: 'ignore',
  });
  const ownExited = new Promise<number | null>((resolve) => own.on('close', resolve));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // The same process (the shell execs Node), now Node with the option, the file and the arguments.
  let argv: string[] = [];
  for (let i = 0; i < 100 && !argv.includes('--max-semi-space-size=1'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    try {
      argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    } catch {
      break;
    }
  }
  assert.ok(argv.includes('--max-semi-space-size=1'), argv.join(' '));
  assert.ok(argv.includes('note=two words'), argv.join(' '));
  const environ = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  assert.ok(environ(child.pid!).includes('MALLOC_ARENA_MAX=2'));
  for (let i = 0; i < 100 && !readFileSync(`/proc/${own.pid}/cmdline`, 'utf8').includes('--max-semi-space-size=1'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(environ(own.pid!).includes('MALLOC_ARENA_MAX=6'));
  assert.equal(await exited, 1, stderr);
  assert.equal(await ownExited, 1);
  assert.match(stderr, /timeout expired after 3 s while connecting/);
});

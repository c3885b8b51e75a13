/** A daemon is known by its program and its own directory, not by a pid that may have been reused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDaemonPid } from './daemon.js';

test("a pid is a daemon's only when the program matches and its output goes to the daemon's directory", async (t) => {
  const mine = mkdtempSync(join(tmpdir(), 'pgsurge-daemon-a-'));
  const other = mkdtempSync(join(tmpdir(), 'pgsurge-daemon-b-'));
  const fd = openSync(join(mine, 'stdout.log'), 'a');
  // Another test's process in a directory of its own, as a reused pid would be.
  const child = spawn('sleep', ['30'], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  t.after(() => {
    child.kill('SIGKILL');
    rmSync(mine, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  });
  const pid = child.pid!;
  // spawn() returns once the exec began (its close-on-exec pipe closed), which is before the kernel
  // has set up the new program's arguments: until then /proc/PID/cmdline reads empty. A loaded
  // machine shows that window; a daemon pgsurge checks was started long before.
  for (const deadline = Date.now() + 10_000; readFileSync(`/proc/${pid}/cmdline`, 'utf8') === '' && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(isDaemonPid(pid, 'sleep', mine), true);
  assert.equal(isDaemonPid(pid, 'sleep', other), false, 'the same program, another directory');
  assert.equal(isDaemonPid(pid, 'pgbouncer', mine), false, 'another program');
  assert.equal(isDaemonPid(pid, 'sleep', mine.slice(0, -1)), false, 'a directory whose name is a prefix is not it');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(isDaemonPid(pid, 'sleep', mine), false, 'gone');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcFiles, readProcessTree } from './proc-stats.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** A shell with `n` sleeping children and one that burns CPU; killed when the test ends. */
async function family(t: { after(fn: () => void): void }, n: number): Promise<{ shell: ChildProcess; children: () => number[] }> {
  const sleepers = Array.from({ length: n }, () => 'sleep 30 &').join(' ');
  const shell = spawn('sh', ['-c', `${sleepers} while :; do :; done & wait`], { stdio: 'ignore', detached: true });
  t.after(() => {
    try {
      process.kill(-shell.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  const children = (): number[] => {
    try {
      return readFileSync(`/proc/${shell.pid}/task/${shell.pid}/children`, 'latin1')
        .split(' ')
        .filter((w) => w.trim() !== '')
        .map(Number);
    } catch {
      return [];
    }
  };
  for (let i = 0; i < 100 && children().length < n + 1; i++) await sleep(20);
  return { shell, children };
}

test('process tree through kept-open files: the same figures as one-off reads, fewer opens, gone processes dropped', async (t) => {
  const { shell, children } = await family(t, 3);
  const files = new ProcFiles();
  const before = openFds();
  const first = readProcessTree(shell.pid!, 0, files);
  files.sweep();
  assert.equal(first?.processes, 5, 'the shell and its 4 children');
  const kept = files.openFiles;
  assert.ok(kept >= 10, `stat and statm of 5 processes and the children file are kept open (${kept})`);
  assert.equal(openFds() - before, kept);

  await sleep(300);
  const second = readProcessTree(shell.pid!, 300_000, files);
  files.sweep();
  const oneOff = readProcessTree(shell.pid!, 300_000);
  assert.equal(second?.processes, 5);
  assert.equal(files.openFiles, kept, 'a second scan opens nothing new');
  // The busy child's CPU shows through the kept-open files: they are read anew, not cached.
  assert.ok(second!.cpuUs > first!.cpuUs, `CPU went on: ${first!.cpuUs} → ${second!.cpuUs} µs`);
  assert.ok(Math.abs(oneOff!.cpuUs - second!.cpuUs) <= 20_000, `kept-open and one-off reads agree (${second!.cpuUs} vs ${oneOff!.cpuUs} µs)`);

  // A child that exits is dropped, and its files are closed at the sweep.
  const victim = children()[0]!;
  process.kill(victim, 'SIGKILL');
  for (let i = 0; i < 100 && children().includes(victim); i++) await sleep(20);
  const third = readProcessTree(shell.pid!, 600_000, files);
  files.sweep();
  assert.equal(third?.processes, 4);
  assert.equal(files.openFiles, kept - 2, "the gone child's stat and statm are closed");

  files.close();
  assert.equal(files.openFiles, 0);
  assert.equal(openFds(), before, 'close() leaves no file open');
  // After close, reads still work, each file opened and closed.
  assert.equal(readProcessTree(shell.pid!, 900_000, files)?.processes, 4);
  assert.equal(openFds(), before);
});

test('process tree: a root that is gone reads as absent, and its kept files are closed', async (t) => {
  const { shell } = await family(t, 1);
  const files = new ProcFiles();
  const before = openFds();
  assert.equal(readProcessTree(shell.pid!, 0, files)?.processes, 3);
  files.sweep();
  process.kill(-shell.pid!, 'SIGKILL');
  await new Promise((resolve) => shell.once('exit', resolve));
  for (let i = 0; i < 100; i++) {
    if (readProcessTree(shell.pid!, 1, files) === undefined) break;
    await sleep(20);
  }
  assert.equal(readProcessTree(shell.pid!, 1, files), undefined);
  files.sweep();
  assert.equal(files.openFiles, 0);
  assert.equal(openFds(), before);
});

// A postmaster's children file passes one 4 KiB read at ~600 backends; a regular file stands in for it
// here, since forking that many processes takes minutes on a busy machine.
test('kept-open files: a file longer than the read buffer comes back whole, and as it is now on each read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'procfiles-'));
  try {
    const path = join(dir, 'long');
    const long = Array.from({ length: 3000 }, (_x, i) => String(100_000 + i)).join(' ');
    writeFileSync(path, long);
    const files = new ProcFiles();
    assert.equal(files.text(path, true), long);
    writeFileSync(path, 'short now');
    assert.equal(files.text(path), 'short now', 'the kept-open file is read anew');
    assert.equal(files.text(join(dir, 'missing')), undefined);
    files.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("kept-open files: a /proc list longer than one read (a stopped process's maps) comes back whole", async (t) => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await sleep(300);
  // Stopped, its mappings cannot change between the two reads.
  process.kill(child.pid!, 'SIGSTOP');
  const path = `/proc/${child.pid}/maps`;
  const whole = readFileSync(path, 'latin1');
  assert.ok(whole.length > 4096, `maps of ${whole.length} bytes`);
  const files = new ProcFiles();
  t.after(() => files.close());
  assert.equal(files.text(path, true), whole);
  assert.equal(files.text(path, true), whole, 'and again through the kept-open file');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirOf, nodePid } from './pg-node.js';

test('nodePid: a postmaster.pid left behind that names another live process (a reused pid) is not the node', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-node-'));
  const n = { name: 'pg0', port: 1, dir };
  mkdirSync(dataDirOf(n));
  try {
    // This test's own process is alive, and it is not that node's postmaster.
    writeFileSync(join(dataDirOf(n), 'postmaster.pid'), `${process.pid}\n${dataDirOf(n)}\n`);
    assert.equal(nodePid(n), undefined);
    // A process whose command line names the data directory, as a postmaster's does, is.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', '-D', dataDirOf(n)], { stdio: 'ignore' });
    try {
      writeFileSync(join(dataDirOf(n), 'postmaster.pid'), `${child.pid}\n`);
      assert.equal(nodePid(n), child.pid);
    } finally {
      child.kill('SIGKILL');
    }
    writeFileSync(join(dataDirOf(n), 'postmaster.pid'), 'garbage\n');
    assert.equal(nodePid(n), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

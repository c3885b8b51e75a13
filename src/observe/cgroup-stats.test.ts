/** The control group of a process, from fixture trees laid out as /proc and /sys/fs/cgroup are, and from this machine. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cgroupBetween, parseCpuStat, parseProcCgroup, readCgroup, type CgroupRoots } from './cgroup-stats.js';

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-cgroup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): CgroupRoots {
  const roots = { proc: join(dir, name, 'proc'), sys: join(dir, name, 'sys') };
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, name, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, text);
  }
  return roots;
}

const DOCKER = '/system.slice/docker-4f1c.scope';

test('cgroup v2: the container group of the postmaster, CPU over the span, memory and its limit', () => {
  const v2 = (usageUs: number): CgroupRoots =>
    tree(`v2-${usageUs}`, {
      'proc/77/cgroup': `0::${DOCKER}\n`,
      'sys/cgroup.controllers': 'cpu memory io\n',
      [`sys${DOCKER}/cpu.stat`]: `usage_usec ${usageUs}\nuser_usec 1\nsystem_usec 2\n`,
      [`sys${DOCKER}/memory.current`]: '268435456\n',
      [`sys${DOCKER}/memory.max`]: '1073741824\n',
    });
  const a = readCgroup(77, 0, v2(1_000_000));
  const b = readCgroup(77, 2_000_000, v2(2_500_000));
  assert.deepEqual(cgroupBetween(a, b), { path: DOCKER, cpuPct: 75, memoryBytes: 268435456, memoryLimitBytes: 1073741824 });
});

test('cgroup v2: the root group, a missing file and an unreadable /proc entry are said, with null figures', () => {
  const root = tree('root', { 'proc/5/cgroup': '0::/\n', 'sys/cgroup.controllers': 'cpu\n' });
  assert.deepEqual(cgroupBetween(undefined, readCgroup(5, 0, root)), {
    path: null,
    cpuPct: null,
    memoryBytes: null,
    memoryLimitBytes: null,
    reason: 'the server runs in the root cgroup (no container or group of its own)',
  });
  assert.match(cgroupBetween(undefined, readCgroup(6, 0, root))?.reason ?? '', /cannot read .*\/6\/cgroup/);
  const noMem = tree('nomem', {
    'proc/8/cgroup': '0::/pg\n',
    'sys/cgroup.controllers': 'cpu\n',
    'sys/pg/cpu.stat': 'usage_usec 5\n',
    'sys/pg/memory.max': 'max\n',
  });
  const u = cgroupBetween(undefined, readCgroup(8, 0, noMem));
  assert.equal(u?.memoryBytes, null);
  assert.equal(u?.memoryLimitBytes, null, '"max" is no limit');
  assert.match(u?.reason ?? '', /memory\.current of cgroup \/pg not readable/);
});

test('cgroup v1: memory and cpuacct hierarchies; an unlimited limit is null', () => {
  const v1 = tree('v1', {
    'proc/9/cgroup': '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/\n',
    'sys/memory/docker/abc/memory.usage_in_bytes': '1048576\n',
    'sys/memory/docker/abc/memory.limit_in_bytes': '9223372036854771712\n',
    'sys/cpuacct/docker/abc/cpuacct.usage': '3000000000\n',
  });
  const r = readCgroup(9, 0, v1);
  assert.deepEqual(r, { kind: 'group', atUs: 0, path: '/docker/abc', cpuUs: 3_000_000, memoryBytes: 1048576, memoryLimitBytes: null });
});

test('parsers: /proc/PID/cgroup lines and cpu.stat', () => {
  const p = parseProcCgroup('0::/a/b\n3:cpu,cpuacct:/x\n');
  assert.equal(p.v2, '/a/b');
  assert.equal(p.v1.get('cpuacct'), '/x');
  assert.equal(parseCpuStat('user_usec 3\nusage_usec 42\n'), 42);
  assert.equal(parseCpuStat('nothing'), null);
});

test("this machine's own process: a group with figures, or null figures with the reason", () => {
  const u = cgroupBetween(readCgroup(process.pid, 0), readCgroup(process.pid, 1_000_000));
  assert.ok(u !== null);
  if (u.path === null) assert.ok((u.reason ?? '').length > 0, JSON.stringify(u));
  else assert.ok(u.memoryBytes === null ? (u.reason ?? '') !== '' : u.memoryBytes > 0, JSON.stringify(u));
});

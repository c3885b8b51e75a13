/**
 * `run --fleet`: a coordinator starts the parts of a run over real OpenSSH sessions (sshd on
 * 127.0.0.2–127.0.0.4, a key made for the test), merges them live and writes one result. Also:
 * an unreachable host and a host with another version are named before anything starts, a part
 * killed mid-run leaves a partial result (exit 1), and Ctrl-C of the coordinator ends every part.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, firstRow } from '../helpers/server.js';
import { CLI, cleanEnv, runCli, type CliRun } from '../helpers/cli.js';
import { readResult } from '../helpers/result.js';
import { SSHD, startSshd, type TestSshd } from '../helpers/sshd.js';

const haveSshd = existsSync(SSHD);
const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-fleet-'));
const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);
const sshd: TestSshd | undefined = haveSshd ? await startSshd(['127.0.0.2', '127.0.0.3', '127.0.0.4']) : undefined;
const REMOTE = `${process.execPath} ${CLI}`;
const hostsOf = (...last: number[]): string => last.map((x) => `127.0.0.${x}:${sshd!.port}`).join(',');
const sshArgs = (): string[] => sshd!.sshOptions.flatMap((o) => ['--ssh-option', o]);
/** The password is never checked (the test server trusts loopback): it must only never show. */
const PASSWORD = 'fleet-Secr3t-pw';
const urlWithPassword = server.url.replace('postgres://postgres@', `postgres://postgres:${PASSWORD}@`);

const remoteParts = (): string[] =>
  spawnSync('pgrep', ['-af', '--', '--coordinated'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes(CLI));

async function commits(): Promise<number> {
  return Number((await firstRow(server.url, 'SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()'))['xact_commit']);
}

test('three hosts at 900/s: one merged result with every part, the rate held, the server agrees, no password anywhere', async (t) => {
  if (sshd === undefined) return t.skip('openssh-server is not installed (npm run test:deps)');
  const json = join(dir, 'fleet.json');
  const before = await commits();
  const r = await runCli([
    'run',
    '-b',
    'select-only',
    '--url',
    urlWithPassword,
    '-c',
    '6',
    '-R',
    '900',
    '--arrivals',
    'uniform',
    '-T',
    '4',
    '-n',
    '--threshold',
    'success_rate>=99%',
    '--fleet',
    hostsOf(2, 3, 4),
    '--remote-command',
    REMOTE,
    ...sshArgs(),
    '--json',
    json,
  ]);
  assert.equal(r.code, 0, r.stderr);
  // Pg_stat_database is flushed lazily by busy backends: wait until it has caught up.
  await new Promise((res) => setTimeout(res, 1500));
  const after = await commits();
  assert.match(r.stderr, /clocks: 127\.0\.0\.2:\d+ [+-][\d.]+ ms \(±[\d.]+\), 127\.0\.0\.3/);
  assert.match(r.stderr, /^progress: 2\.0 s, [\d.]+ tps/m);
  assert.match(r.stdout, /^merged: +3 of 3 parts of run fleet-/m);
  assert.match(r.stdout, /PASSED: the threshold held; rate achieved: asked 900\/s/);
  const res = readResult(json);
  assert.deepEqual(res.merged?.parts, [1, 2, 3]);
  assert.deepEqual(res.merged?.missing, []);
  assert.ok(Math.abs(res.summary.arrivals - 3600) <= 1, `arrivals ${res.summary.arrivals}: the three parts are one schedule`);
  assert.ok(res.verdict?.rate?.achieved === true);
  // Each part's own result beside the merged one, and the merge of those files is the same run.
  for (const k of [1, 2, 3]) assert.ok(existsSync(join(dir, `fleet.part${k}.json`)), `part ${k}`);
  const again = await runCli(['merge', ...[1, 2, 3].map((k) => join(dir, `fleet.part${k}.json`))]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`transactions: +${res.summary.transactions.toLocaleString('en-US')} ok`));
  // The server saw the transactions the merge counts (plus the observer's own few).
  const delta = after - before;
  assert.ok(delta >= res.summary.transactions && delta <= res.summary.transactions * 1.05 + 300, `server commits ${delta}, merged ${res.summary.transactions}`);
  const everything = r.stdout + r.stderr + [json, ...[1, 2, 3].map((k) => join(dir, `fleet.part${k}.json`))].map((f) => readFileSync(f, 'utf8')).join('');
  assert.doesNotMatch(everything, new RegExp(PASSWORD));
  assert.deepEqual(remoteParts(), [], 'every part has ended');
});

test('a pgbench script file goes to the machines over their sessions; its type is in the merged result', async (t) => {
  if (sshd === undefined) return t.skip('openssh-server is not installed (npm run test:deps)');
  const script = join(dir, 'balance.sql');
  writeFileSync(script, '\\set aid random(1, 100000 * :scale)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n');
  const r = await runCli([
    ...['run', '-b', 'select-only@1', '-f', `${script}@2`, '--url', server.url, '-c', '4', '-R', '300', '-T', '2', '-n'],
    ...['--fleet', hostsOf(2, 3), '--remote-command', REMOTE, ...sshArgs()],
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^merged: +2 of 2 parts/m);
  // Types are drawn at random with weights 1:2, so the share is binomial: within 4 standard deviations of 2/3.
  const share = /^transaction type "balance\.sql" \((\d+\.\d+)% of completed\)/m.exec(r.stdout);
  const total = /^transactions: +([\d,]+) ok/m.exec(r.stdout);
  assert.ok(share !== null && total !== null, r.stdout);
  const n = Number((total[1] ?? '').replaceAll(',', ''));
  const sd = Math.sqrt(((2 / 3) * (1 / 3)) / n);
  assert.ok(Math.abs(Number(share[1]) / 100 - 2 / 3) <= 4 * sd, `balance.sql ${share[1]}% of ${n}, expected 66.7% ± ${(400 * sd).toFixed(1)}`);
  const runId = /run (fleet-[a-z0-9]+-[0-9a-f]+):/.exec(r.stderr)?.[1];
  assert.ok(runId !== undefined, r.stderr);
  assert.ok(!existsSync(`/tmp/pgsurge-${runId}`), 'the machines removed the files when their parts ended');
});

test('an unreachable host and a host with another pgsurge are named before anything starts (exit 1)', async (t) => {
  if (sshd === undefined) return t.skip('openssh-server is not installed (npm run test:deps)');
  const base = ['run', '-b', 'select-only', '--url', server.url, '-c', '2', '-T', '2', '-n', ...sshArgs()];
  const down = await runCli([...base, '--fleet', `${hostsOf(2)},127.0.0.5:1`, '--remote-command', REMOTE]);
  assert.equal(down.code, 1, down.stderr);
  assert.match(down.stderr, /127\.0\.0\.5:1: .*(refused|closed)/i);
  assert.doesNotMatch(down.stderr, /progress:/);
  const fake = join(dir, 'old-pgsurge.sh');
  writeFileSync(fake, `echo '{"t":"hello","version":"0.0.1","k":2,"n":2}'\nsleep 30\n`);
  const old = await runCli([...base, '--fleet', hostsOf(2, 3), '--remote-command', `sh ${fake}`]);
  assert.equal(old.code, 1, old.stderr);
  assert.match(old.stderr, /127\.0\.0\.\d:\d+ runs pgsurge 0\.0\.1, this is \d+\.\d+\.\d+: run the same version everywhere/);
  await waitFor(() => remoteParts().length === 0, 'no part left running');
});

async function waitFor(ok: () => boolean, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) assert.fail(what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The coordinator as a child, with a hook on its stderr. */
function coordinator(args: string[], onStderr: (all: string, pid: number) => void): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr(stderr, child.pid!);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`coordinator did not finish\n${stderr}`));
    }, 90_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A select-only run of 4 clients on two hosts, with these load options, its result to `json`. */
const twoHosts = (load: string[], json: string): string[] => [
  ...['run', '-b', 'select-only', '--url', server.url, '-c', '4', ...load, '-n'],
  ...['--fleet', hostsOf(2, 3), '--remote-command', REMOTE, ...sshArgs(), '--json', json],
];

test('a part killed mid-run: the others finish, the result says what is missing, exit 1', async (t) => {
  if (sshd === undefined) return t.skip('openssh-server is not installed (npm run test:deps)');
  const json = join(dir, 'partial.json');
  let killed = false;
  const r = await coordinator(twoHosts(['-R', '400', '-T', '5'], json), (all) => {
    if (killed || !/^progress: 2\.0 s/m.test(all)) return;
    killed = true;
    const victim = remoteParts().find((l) => l.includes('--shard 2/2'));
    if (victim !== undefined) process.kill(Number(victim.trim().split(/\s+/)[0]), 'SIGKILL');
  });
  assert.ok(killed, r.stderr);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /lost 127\.0\.0\.3:\d+ \(part 2\/2\)/);
  const res = readResult(json);
  assert.deepEqual(res.merged?.missing, [2]);
  assert.match(r.stdout, /FAILED: part 2\/2 missing from the merge \(partial results\)/);
  assert.ok(res.summary.transactions > 0, 'what part 1 measured is kept');
  await waitFor(() => remoteParts().length === 0, 'no part left running');
});

test('Ctrl-C of the coordinator stops every part; what they measured is written, marked interrupted', async (t) => {
  if (sshd === undefined) return t.skip('openssh-server is not installed (npm run test:deps)');
  const json = join(dir, 'interrupted.json');
  let sent = false;
  const r = await coordinator(twoHosts(['-T', '60'], json), (all, pid) => {
    if (sent || !/^progress: 2\.0 s/m.test(all)) return;
    sent = true;
    process.kill(pid, 'SIGINT');
  });
  assert.ok(sent, r.stderr);
  assert.equal(r.code, 1, r.stderr);
  const res = readResult(json);
  assert.deepEqual(res.merged?.missing, []);
  assert.equal(res.stop?.reason, 'interrupted');
  assert.ok(res.durationS < 30, `stopped early: ${res.durationS} s`);
  assert.match(r.stdout, /FAILED: .*interrupted/);
  await waitFor(() => remoteParts().length === 0, 'no part left running');
});

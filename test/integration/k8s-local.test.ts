/**
 * The pods of `pgsurge k8s`, run here as local processes: no cluster runs on these machines, so the
 * test does what Kubernetes would. It prints the manifests, takes each container's command exactly
 * as written there and runs it with `sh -c` and the container's environment (its own `value`s, the
 * `secretKeyRef`s resolved from the manifests' Secret, `JOB_COMPLETION_INDEX` 0..N-1 for the Indexed
 * Job's pods), with the ConfigMap's files where its volume is mounted and the Service's name
 * resolved to loopback. What is left out is what Kubernetes itself does: scheduling, images, DNS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startTestServer, firstRow } from '../helpers/server.js';
import { CLI, cleanEnv, runCli } from '../helpers/cli.js';
import type { ResultV1 } from '../../src/report/result.js';

const server = await startTestServer();
const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-k8s-local-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const script = join(dir, 'balance.sql');
writeFileSync(script, '\\set aid random(1, 100000 * :scale)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

// The manifests are read back as untyped YAML: a field that is missing fails the assertion that reads it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

interface Pod {
  readonly child: ChildProcess;
  stderr: string;
  readonly exited: Promise<number | null>;
}

/** A container of the manifests, started as Kubernetes would start it (see the file's comment). */
function startContainer(docs: Obj[], job: Obj, extraEnv: Record<string, string>, inputsDir: string, serviceHost: string): Pod {
  const c = job['spec'].template.spec.containers[0] as Obj;
  const secrets = new Map<string, Record<string, string>>(
    docs.filter((d) => d['kind'] === 'Secret').map((d) => [d['metadata'].name as string, d['stringData'] as Record<string, string>]),
  );
  const env: Record<string, string> = {};
  for (const e of c['env'] as Obj[]) {
    if (e['value'] !== undefined) env[e['name']] = String(e['value']).replace(/^http:\/\/[^:/]+/, `http://${serviceHost}`);
    else {
      const ref = e['valueFrom'].secretKeyRef as { name: string; key: string };
      const v = secrets.get(ref.name)?.[ref.key];
      assert.ok(v !== undefined, `secret ${ref.name}/${ref.key} is in the manifests`);
      env[e['name']] = v;
    }
  }
  const mount = (c['volumeMounts'] as Obj[] | undefined)?.[0]?.['mountPath'] as string | undefined;
  const command = c['command'] as string[];
  assert.deepEqual(command.slice(0, 2), ['sh', '-c']);
  const line = mount === undefined ? command[2]! : command[2]!.replaceAll(mount, inputsDir);
  // HOME and npm's cache from the manifest point at /tmp: harmless here.
  const child = spawn('sh', ['-c', line], { env: { ...cleanEnv(), ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const pod: Pod = {
    child,
    stderr: '',
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
  };
  child.stdout!.resume();
  child.stderr!.on('data', (d: Buffer) => (pod.stderr += d.toString()));
  return pod;
}

async function manifests(args: readonly string[]): Promise<{ docs: Obj[]; coordinatorPort: number; metricsPort: number; inputsDir: string }> {
  const coordinatorPort = await freePort();
  const metricsPort = await freePort();
  const r = await runCli([
    'k8s',
    ...args,
    '--url',
    server.url,
    '--port',
    String(coordinatorPort),
    '--prometheus',
    `:${metricsPort}`,
    '--remote-command',
    `${process.execPath} ${CLI}`,
    '--linger',
    '60s',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
  // The ConfigMap's volume.
  const inputsDir = mkdtempSync(join(dir, 'inputs-'));
  mkdirSync(inputsDir, { recursive: true });
  for (const cm of docs.filter((d) => d['kind'] === 'ConfigMap'))
    for (const [name, text] of Object.entries(cm['data'] as Record<string, string>)) writeFileSync(join(inputsDir, name), text);
  return { docs, coordinatorPort, metricsPort, inputsDir };
}

const job = (docs: Obj[], role: string): Obj => docs.find((d) => d['kind'] === 'Job' && d['metadata'].labels['pgsurge.dev/role'] === role)!;

async function until(what: string, ms: number, f: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not within ${ms / 1000} s`);
}

/** The merged result, once the coordinator serves it (after the run, for --linger). */
async function servedResult(port: number): Promise<ResultV1> {
  let result: ResultV1 | undefined;
  await until('the merged result on /result.json', 30_000, async () => {
    const res = await fetch(`http://127.0.0.1:${port}/result.json`);
    if (res.status !== 200) return false;
    result = (await res.json()) as ResultV1;
    return true;
  });
  return result!;
}

const N = 2;
const RATE = 400;
const SECONDS = 3;

test('the pods of the manifests: N parts and a coordinator give one merged result, served over HTTP, and its verdict as exit code', async (t) => {
  const { docs, coordinatorPort, metricsPort, inputsDir } = await manifests([
    'select-only',
    `${script}@1`,
    '-c',
    '4',
    '-R',
    String(RATE),
    '--arrivals',
    'uniform',
    '-T',
    `${SECONDS}s`,
    '--threshold',
    'failed=0',
    '--parallelism',
    String(N),
    '--name',
    'local1',
  ]);
  const commitsBefore = Number((await firstRow(server.url, 'SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).xact_commit);
  const coordinator = startContainer(docs, job(docs, 'coordinator'), {}, inputsDir, '127.0.0.1');
  const parts = Array.from({ length: N }, (_, i) => startContainer(docs, job(docs, 'part'), { JOB_COMPLETION_INDEX: String(i) }, inputsDir, '127.0.0.1'));
  const all = [coordinator, ...parts];
  t.after(() => {
    for (const p of all) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });
  // The merged intervals on /metrics while the run lasts.
  await until('the coordinator starts the load', 60_000, async () => coordinator.stderr.includes('every part is ready'));
  let scraped = '';
  await until('merged transactions on /metrics', 30_000, async () => {
    scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return /^pgsurge_transactions_total [1-9]/m.test(scraped);
  });
  const codes = await Promise.all(parts.map((p) => p.exited));
  assert.deepEqual(codes, [0, 0], parts.map((p) => p.stderr).join('\n'));
  // Served for --linger; a SIGTERM (kubectl delete) ends that, and the exit code is the verdict.
  const result = await servedResult(coordinatorPort);
  assert.match(await (await fetch(`http://127.0.0.1:${coordinatorPort}/report.html`)).text(), /<html/i);
  coordinator.child.kill('SIGTERM');
  assert.equal(await coordinator.exited, 0, coordinator.stderr);

  assert.match(coordinator.stderr, /part 1\/2 connected/);
  assert.match(coordinator.stderr, /part 2\/2 connected/);
  const merged = (result as unknown as { merged: { n: number; parts: number[]; missing: number[]; runId: string } }).merged;
  assert.equal(merged.n, N);
  assert.deepEqual(merged.missing, []);
  assert.equal(merged.runId, 'local1');
  // The parts' arrivals together are the one schedule asked for: RATE × SECONDS (±1 at each edge per part).
  const s = result.summary;
  assert.ok(Math.abs(s.arrivals - RATE * SECONDS) <= 2 * N, `${s.arrivals} arrivals, ${RATE * SECONDS} scheduled`);
  assert.equal(s.failed, 0);
  assert.equal(s.transactions + s.skipped + s.dropped + s.unfinished, s.arrivals);
  assert.deepEqual(Object.keys(result.transactionTypes).sort(), ['balance.sql', 'select-only']);
  assert.deepEqual(
    result.thresholds.map((x) => [x.expr, x.ok]),
    [['failed=0', true]],
  );
  // The server saw them: every merged transaction is a commit (a few of pgsurge's own queries too).
  const commitsAfter = Number((await firstRow(server.url, 'SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).xact_commit);
  assert.ok(commitsAfter - commitsBefore >= s.transactions, `${commitsAfter - commitsBefore} commits, ${s.transactions} transactions`);
});

test('a part that dies is named, the others finish, and the merged result says what is missing (exit 1)', async (t) => {
  const { docs, coordinatorPort, inputsDir } = await manifests([
    'select-only',
    '-c',
    '4',
    '-R',
    '200',
    '-T',
    '6s',
    '--parallelism',
    String(N),
    '--name',
    'local2',
  ]);
  const coordinator = startContainer(docs, job(docs, 'coordinator'), {}, inputsDir, '127.0.0.1');
  const parts = Array.from({ length: N }, (_, i) => startContainer(docs, job(docs, 'part'), { JOB_COMPLETION_INDEX: String(i) }, inputsDir, '127.0.0.1'));
  t.after(() => {
    for (const p of [coordinator, ...parts]) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });
  await until('the coordinator starts the load', 60_000, async () => coordinator.stderr.includes('every part is ready'));
  await until('a first merged interval', 30_000, async () => /progress: /.test(coordinator.stderr));
  parts[1]!.child.kill('SIGKILL');
  assert.equal(await parts[0]!.exited, 0, parts[0]!.stderr);
  const result = await servedResult(coordinatorPort);
  coordinator.child.kill('SIGTERM');
  assert.equal(await coordinator.exited, 1, coordinator.stderr);
  assert.match(coordinator.stderr, /lost part 2\/2/);
  const merged = (result as unknown as { merged: { missing: number[] } }).merged;
  assert.deepEqual(merged.missing, [2]);
});

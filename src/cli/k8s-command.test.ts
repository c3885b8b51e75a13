/** pgsurge k8s: manifests that Kubernetes' own schema accepts, with no password in them, for a run that can be split. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { main } from './main.js';
import { textSink } from '../../test/helpers/text-sink.js';

async function k8s(args: readonly string[]): Promise<{ code: number; out: string; err: string; docs: Record<string, unknown>[] }> {
  const stdout = textSink();
  const stderr = textSink();
  const code = await main(['k8s', ...args], { stdout, stderr, env: {} });
  const docs = code === 0 ? parseAllDocuments(stdout.text).map((d) => d.toJS() as Record<string, unknown>) : [];
  return { code, out: stdout.text, err: stderr.text, docs };
}

/** Each object through the kubernetes-models class of its kind: the OpenAPI schema of the Kubernetes API. */
function validate(doc: Record<string, unknown>): void {
  const models: Record<string, new (o: never) => { validate(): void }> = { Job, ConfigMap, Secret, Service };
  const Model = models[doc['kind'] as string];
  assert.ok(Model !== undefined, `an object of an unexpected kind: ${String(doc['kind'])}`);
  new Model(doc as never).validate();
}

// The manifests are read back as untyped YAML: a field that is missing fails the assertion that reads it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const byKind = (docs: Record<string, unknown>[], kind: string, name?: string): Obj => {
  const d = docs.find((x) => x['kind'] === kind && (name === undefined || (x['metadata'] as { name: string }).name === name));
  assert.ok(d !== undefined, `no ${kind} ${name ?? ''}`);
  return d as Obj;
};

test('the manifests validate against the Kubernetes schema: an Indexed Job of N parts, a coordinator Job and Service, the token, the files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-k8s-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'pay.sql');
  writeFileSync(script, '\\set aid random(1, 100000 * :scale)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n');
  const r = await k8s([
    'select-only',
    `${script}@2`,
    '-c',
    '30',
    '-R',
    '3000',
    '-T',
    '5m',
    '--threshold',
    'p99<50ms',
    '--parallelism',
    '3',
    '--name',
    'bench1',
    '--namespace',
    'load',
    '--anti-affinity',
    '--cpu',
    '2',
    '--memory',
    '1Gi',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(
    r.docs.map((d) => `${String(d['kind'])}/${String((d['metadata'] as { name: string }).name)}`),
    ['Secret/bench1-token', 'ConfigMap/bench1-inputs', 'Service/bench1-coordinator', 'Job/bench1-coordinator', 'Job/bench1'],
  );
  for (const d of r.docs) validate(d);
  for (const d of r.docs) assert.equal((d['metadata'] as { namespace: string }).namespace, 'load');

  const parts = byKind(r.docs, 'Job', 'bench1');
  assert.equal(parts.spec.completionMode, 'Indexed');
  assert.equal(parts.spec.completions, 3);
  assert.equal(parts.spec.parallelism, 3);
  const part = parts.spec.template.spec.containers[0];
  assert.equal(part.image, 'node:20-slim');
  assert.deepEqual(part.command.slice(0, 2), ['sh', '-c']);
  assert.match(part.command[2], /^exec npx -y pgsurge@\d+\.\d+\.\d+\S* run select-only \/pgsurge\/inputs\/pay\.sql@2 /);
  assert.match(part.command[2], /--shard "\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)\/3" --coordinator "\$PGSURGE_COORDINATOR"/);
  assert.match(part.command[2], /--run-id bench1 /);
  assert.equal(part.env.find((e: { name: string }) => e.name === 'PGSURGE_COORDINATOR').value, 'http://bench1-coordinator.load.svc:7070');
  assert.deepEqual(part.envFrom, [{ secretRef: { name: 'bench1-target', optional: false } }]);
  assert.deepEqual(part.resources, { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } });
  assert.equal(parts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, 'kubernetes.io/hostname');

  const coordinator = byKind(r.docs, 'Job', 'bench1-coordinator').spec.template.spec.containers[0];
  assert.match(coordinator.command[2], / --parts 3 --parts-listen 0\.0\.0\.0:7070 --prometheus 0\.0\.0\.0:9464 --linger 10m$/);
  assert.match(coordinator.command[2], /--threshold 'p99<50ms'/, 'the coordinator judges the whole run');
  // The same run for both: only the part's place and the coordinator's role differ.
  const shared = (c: string): string => c.replace(/ --run-id .*$/, '').replace(/ --parts .*$/, '');
  assert.equal(shared(coordinator.command[2]), shared(part.command[2]));
  const service = byKind(r.docs, 'Service');
  // The Service reaches the coordinator's pod, and only it.
  const coordinatorLabels = byKind(r.docs, 'Job', 'bench1-coordinator').spec.template.metadata.labels;
  const partLabels = parts.spec.template.metadata.labels;
  const selects = (labels: Record<string, string>): boolean =>
    Object.entries(service.spec.selector as Record<string, string>).every(([k, v]) => labels[k] === v);
  assert.ok(selects(coordinatorLabels) && !selects(partLabels));
  assert.deepEqual(
    service.spec.ports.map((p: { port: number }) => p.port),
    [7070, 9464],
  );
  assert.equal(byKind(r.docs, 'ConfigMap').data['pay.sql'], '\\set aid random(1, 100000 * :scale)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n');
  assert.match(byKind(r.docs, 'Secret').stringData.token, /^[0-9a-f]{48}$/);
  assert.match(r.err, /kubectl -n load create secret generic bench1-target --from-env-file=target\.env/);
  assert.match(r.err, /kubectl -n load logs -f job\/bench1-coordinator/);
});

test('the validation is real: a Job Kubernetes would refuse fails it', () => {
  assert.throws(() => validate({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec: { completionMode: 'Sometimes', template: {} } }));
  assert.throws(() => validate({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec: { completions: 'three', template: {} } }));
});

test("the target's password never reaches the manifests, in any form the URL takes", async () => {
  for (const url of [
    'postgres://app:Sup3rSecret@db.example:5432/bench',
    'postgresql://app:Sup3rSecret@db1.example,db2.example/bench?target_session_attrs=read-write',
    'postgres://app@db.example/bench?password=Sup3rSecret',
    'host=db.example user=app password=Sup3rSecret dbname=bench',
  ]) {
    const r = await k8s(['tpcb-like', '--url', url, '-c', '4', '--parallelism', '2', '--name', 'pw']);
    assert.equal(r.code, 0, `${url}: ${r.err}`);
    assert.doesNotMatch(r.out + r.err, /Sup3rSecret/, url);
    const part = byKind(r.docs, 'Job', 'pw').spec.template.spec.containers[0];
    assert.match(part.command[2], /--url /, url);
    assert.match(part.command[2], /db\.example|db1\.example/, url);
    assert.deepEqual(part.envFrom, [{ secretRef: { name: 'pw-target', optional: true } }], 'with --url the Secret holds only the password');
    assert.match(r.err, /the password of --url is not in the manifests/, url);
  }
  // Other URLs cannot hand their password to the Secret: refused, never printed.
  for (const option of ['--replica', '--observe-server']) {
    const r = await k8s([
      'tpcb-like',
      '--url',
      'postgres://app@db.example/bench',
      option,
      'postgres://app:Sup3rSecret@db2.example/bench',
      '-c',
      '4',
      '--parallelism',
      '2',
    ]);
    assert.equal(r.code, 2, option);
    assert.equal(r.out, '', option);
    assert.doesNotMatch(r.err, /Sup3rSecret/, option);
    assert.match(r.err, new RegExp(`k8s: a ${option} URL with a password would be in the manifests: give it without one`), option);
  }
});

test('what cannot be split, or would stay in a pod, is refused before anything is printed', async () => {
  const cases: [string[], RegExp][] = [
    [['-c', '4'], /--parallelism N is required/],
    [['-c', '2', '--parallelism', '3'], /2 clients cannot be split into 3 parts/],
    [['--parallelism', '2', '--json', 'out.json'], /--json is not for pgsurge k8s: the result is served by the coordinator/],
    [['--parallelism', '2', '--fleet', 'vm1,vm2'], /--fleet is not for pgsurge k8s/],
    [['--parallelism', '0'], /--parallelism/],
    [['--parallelism', '2', '--name', 'Bad_Name'], /--name Bad_Name: lowercase letters/],
    [['--parallelism', '2', '--memory', 'lots'], /--memory lots: not a Kubernetes quantity/],
    [['--parallelism', '2', '--find-limit', '-R', '100'], /--find-limit/],
    [['-c', '2', '--parallelism', '2', 'no-such.sql'], /no-such\.sql/],
    [['-c', '2', '--parallelism', '2', '--failover'], /--parallelism and --failover/],
  ];
  for (const [args, expected] of cases) {
    const r = await k8s(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.out, '', `${args.join(' ')}: nothing printed`);
    assert.match(r.err, expected, args.join(' '));
    assert.equal(r.err.trim().split('\n')[0]!.startsWith('pgsurge: '), true, r.err);
  }
});

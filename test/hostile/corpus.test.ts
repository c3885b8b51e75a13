/**
 * The hostile-input corpus: every `test/hostile/cases/*.json` is an array of cases, each run as
 * `pgsurge ARGS` (the built CLI, spawned like a user would) in a fresh temporary directory holding
 * the case's files. A case asserts what a user would check: the exit code, what stderr/stdout say,
 * that its secret appears in neither (nor in any file pgsurge wrote), and that no stack trace is
 * printed. Case format (JSON):
 *   { "name", "args" (after `pgsurge`; "$TMP" is the temp dir, "$URL" a throwaway server's URL,
 *     "$PORT" a loopback port the OS just gave out as free, the same one throughout the case — a
 *     fixed port would sit in the ephemeral range, where any connection may take it),
 *     "files"?: { relative path: content }, "env"?: { NAME: value } (added to an environment with
 *     no PG* variable), "exit", "stderr"?: regex source, "stdout"?: regex source,
 *     "secret"?: string, "server"?: true }
 * A server is started only when some case asks for one. No assertion depends on this machine's
 * speed: the per-case timeout only catches a hang.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI, cleanEnv } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';
import { freePort } from '../../src/local/server.js';

/** Source directory of the cases (this file runs from dist/test/hostile/). */
const CASES_DIR = fileURLToPath(new URL('../../../test/hostile/cases/', import.meta.url));
/** Generous: a case that needs longer is a hang, whatever the machine. */
const CASE_TIMEOUT_MS = 120_000;
/**
 * Cases running at once, over all the case files together: a file whose cases wait out deadlines
 * (hangs.json, modules.json) no longer holds the next files back while most slots sit idle.
 */
const CONCURRENCY = 4;
/** A line of a Node stack trace. */
const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;

interface HostileCase {
  readonly name: string;
  readonly args: readonly string[];
  readonly files?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly exit: number;
  readonly stderr?: string;
  readonly stdout?: string;
  readonly secret?: string;
  readonly server?: boolean;
}

interface CaseFile {
  readonly file: string;
  readonly cases: readonly HostileCase[];
  readonly problems: readonly string[];
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Every problem of a case's shape, naming the field. */
function caseProblems(c: unknown, where: string): string[] {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return [`${where}: not an object`];
  const o = c as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof o['name'] !== 'string' || o['name'] === '') problems.push(`${where}: "name" must be a non-empty string`);
  if (!Array.isArray(o['args']) || !o['args'].every((a) => typeof a === 'string')) problems.push(`${where}: "args" must be an array of strings`);
  if (typeof o['exit'] !== 'number' || !Number.isInteger(o['exit'])) problems.push(`${where}: "exit" must be an integer`);
  for (const k of ['stderr', 'stdout', 'secret'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') problems.push(`${where}: "${k}" must be a string`);
  }
  for (const k of ['stderr', 'stdout'] as const) {
    if (typeof o[k] === 'string') {
      try {
        new RegExp(o[k]);
      } catch (e) {
        problems.push(`${where}: "${k}" is not a valid regex: ${(e as Error).message}`);
      }
    }
  }
  if (o['secret'] === '') problems.push(`${where}: "secret" must not be empty`);
  if (o['files'] !== undefined && !isStringRecord(o['files'])) problems.push(`${where}: "files" must map paths to strings`);
  if (o['env'] !== undefined && !isStringRecord(o['env'])) problems.push(`${where}: "env" must map names to strings`);
  if (o['server'] !== undefined && typeof o['server'] !== 'boolean') problems.push(`${where}: "server" must be true or false`);
  const known = new Set(['name', 'args', 'files', 'env', 'exit', 'stderr', 'stdout', 'secret', 'server']);
  for (const k of Object.keys(o)) if (!known.has(k)) problems.push(`${where}: unknown field "${k}"`);
  return problems;
}

function loadCaseFiles(): CaseFile[] {
  const names = readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return names.map((file) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(join(CASES_DIR, file), 'utf8'));
    } catch (e) {
      return { file, cases: [], problems: [`${file}: ${(e as Error).message}`] };
    }
    if (!Array.isArray(parsed)) return { file, cases: [], problems: [`${file}: not an array of cases`] };
    const problems = parsed.flatMap((c, i) => caseProblems(c, `${file}[${i}]`));
    return { file, cases: problems.length === 0 ? (parsed as HostileCase[]) : [], problems };
  });
}

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function spawnCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pgsurge ${args.join(' ')} did not finish within ${CASE_TIMEOUT_MS} ms (a hang)\nstderr: ${stderr}`));
    }, CASE_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Files under `dir` (relative paths), recursively. */
function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p, base) : [relative(base, p)];
  });
}

const caseFiles = loadCaseFiles();
const needsServer = caseFiles.some((f) => f.cases.some((c) => c.server === true));
// Top-level await: startTestServer registers its stop with this file's `after`.
const serverUrl = needsServer ? (await startTestServer()).url : undefined;

async function runCase(c: HostileCase): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-hostile-'));
  try {
    const port = JSON.stringify(c).includes('$PORT') ? String(await freePort()) : '';
    const substitute = (s: string): string => {
      let out = s.split('$TMP').join(dir).split('$PORT').join(port);
      if (serverUrl !== undefined) out = out.split('$URL').join(serverUrl);
      return out;
    };
    for (const [path, content] of Object.entries(c.files ?? {})) {
      const target = join(dir, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, substitute(content));
    }
    // A stuck worker is cut off 3 s after the grace instead of 10 (a case may set its own).
    const env = cleanEnv({ PGSURGE_STUCK_WORKER_MARGIN_S: '3', ...Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, substitute(v)])) });
    const r = await spawnCli(c.args.map(substitute), dir, env);
    const shown = `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    assert.equal(r.code, c.exit, `exit code\n${shown}`);
    if (c.stderr !== undefined) assert.match(r.stderr, new RegExp(c.stderr.split('$PORT').join(port)), `stderr\n${shown}`);
    if (c.stdout !== undefined) assert.match(r.stdout, new RegExp(c.stdout.split('$PORT').join(port)), `stdout\n${shown}`);
    assert.doesNotMatch(r.stderr, STACK_LINE, `a stack trace on stderr\n${shown}`);
    assert.doesNotMatch(r.stdout, STACK_LINE, `a stack trace on stdout\n${shown}`);
    if (c.secret !== undefined) {
      assert.ok(!r.stdout.includes(c.secret), `the secret ${JSON.stringify(c.secret)} is on stdout\n${shown}`);
      assert.ok(!r.stderr.includes(c.secret), `the secret ${JSON.stringify(c.secret)} is on stderr\n${shown}`);
      // Files pgsurge wrote (results, reports) must not hold it either; the case's own inputs may.
      const given = new Set(Object.keys(c.files ?? {}).map((p) => relative(dir, join(dir, p))));
      for (const f of filesUnder(dir)) {
        if (given.has(f)) continue;
        assert.ok(!readFileSync(join(dir, f), 'utf8').includes(c.secret), `the secret ${JSON.stringify(c.secret)} is in the written file ${f}\n${shown}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One slot of CONCURRENCY, shared by every case file; waiting cases get theirs in file order. */
let running = 0;
const waiting: (() => void)[] = [];
async function inSlot(fn: () => Promise<void>): Promise<void> {
  if (running < CONCURRENCY) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    await fn();
  } finally {
    const next = waiting.shift();
    if (next === undefined) running--;
    else next();
  }
}

// Every case is started at once and waits for a slot: the per-case hang timeout is spawnCli's, which
// starts when the case gets its slot (a node:test timeout would also count the wait, and so do the
// durations the reporter prints). The files' suites sit in one suite so that they run side by side
// (a file's top-level suites run one by one). Cases of different files share only the server, as
// cases of one file always did: no two files' cases use the same tables, ports or files.
describe('hostile corpus', { concurrency: true }, () => {
  for (const { file, cases, problems } of caseFiles) {
    describe(`hostile corpus: ${file}`, { concurrency: true }, () => {
      test('the case file is well formed', () => {
        assert.deepEqual(problems, []);
        const names = cases.map((c) => c.name);
        assert.deepEqual(
          names.filter((n, i) => names.indexOf(n) !== i),
          [],
          'case names are distinct',
        );
      });
      for (const c of cases) test(c.name, () => inSlot(() => runCase(c)));
    });
  }
});

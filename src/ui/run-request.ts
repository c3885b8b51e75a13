/**
 * A run asked for over HTTP: which of `run`'s options a request may set, the form generated from
 * them, and the request's problems named by the JSON field they belong to. Values go through
 * resolveRunRequest, the CLI's own resolution, so a field is refused with the CLI's words.
 *
 * A request may not name files on the UI's machine (scripts, modules, scenario files, output
 * paths, PostgreSQL binaries) nor start what only a terminal user should start (fleets over SSH,
 * listeners, shards): those options are not in FROM_REQUEST. Workloads are the built-in ones,
 * pgbench scripts sent with the request (`scripts`), and — only where `pgsurge ui` was started with
 * --allow-module-uploads — workload modules sent with it (`modules`): a module is code that runs on
 * this machine, which a pgbench script without `\shell` is not.
 */
import { PgsurgeError, usageError } from '../errors.js';
import { resolveRunRequest, type RunConfig } from '../config/run-config.js';
import { RUN_OPTIONS, optionKey, optionLabel, type RunOptionSpec } from '../config/run-options.js';
import { ARRIVALS, PROTOCOLS } from '../config/run-schema.js';
import { THINK_DISTS } from '../executor/think-time.js';
import { BUILTIN_NAMES } from '../config/workload-spec.js';
import { BUILTIN_MODULES } from '../workload/builtin/registry.js';

/** The option keys a request may set (resolveRunRequest's keys), in the CLI's order. */
const FROM_REQUEST = new Set([
  'url',
  'builtin',
  'client',
  'jobs',
  'time',
  'transactions',
  'rate',
  'arrivals',
  'maxQueue',
  'latencyLimit',
  'stages',
  'findLimit',
  'findLimitStep',
  'thinkTime',
  'thinkTimeDist',
  'warmup',
  'interval',
  'protocol',
  'scale',
  'define',
  'vacuum',
  'teardown',
  'reportPerCommand',
  'maxTries',
  'randomSeed',
  'queryTimeout',
  'grace',
  'threshold',
  'tag',
  'serverSetting',
  'connectRate',
  'replica',
  'observeServer',
  'routeReads',
  'serverMetrics',
  'observe',
  'failover',
  'verifyWrites',
]);

/** Every workload a request may name: the built-in scripts and the built-in workload modules. */
export const KNOWN_WORKLOADS: readonly string[] = [...BUILTIN_NAMES, ...Object.keys(BUILTIN_MODULES)];

const CHOICES: Readonly<Record<string, readonly string[]>> = {
  arrivals: ARRIVALS,
  protocol: PROTOCOLS,
  thinkTimeDist: THINK_DISTS,
  builtin: BUILTIN_NAMES,
};

/** One field of the form (and of the API's request body). */
export interface FormField {
  /** The JSON field. */
  readonly key: string;
  /** The CLI option it is (`-R/--rate`). */
  readonly option: string;
  readonly help: string;
  /** value: one text; list: several; flag: true/false (`default` says which when absent). */
  readonly kind: 'value' | 'list' | 'flag';
  readonly placeholder?: string;
  readonly default?: string | boolean;
  readonly choices?: readonly string[];
}

export function formFields(): FormField[] {
  const fields: FormField[] = [
    {
      key: 'workloads',
      option: 'WORKLOAD',
      help: 'built-in workloads, each with an optional @WEIGHT (default: tpcb-like)',
      kind: 'list',
      placeholder: 'name[@weight]',
      choices: KNOWN_WORKLOADS,
    },
  ];
  for (const o of RUN_OPTIONS as readonly RunOptionSpec[]) {
    const key = optionKey(o.long);
    if (!FROM_REQUEST.has(key) || o.hidden === true) continue;
    const choices = CHOICES[key];
    const base = { key, option: optionLabel(o), help: o.help, ...(choices === undefined ? {} : { choices }) };
    if (o.kind === 'flag') fields.push({ ...base, kind: 'flag', default: o.long.startsWith('no-') });
    else if (o.kind === 'list') fields.push({ ...base, kind: 'list', placeholder: o.placeholder });
    else fields.push({ ...base, kind: 'value', placeholder: o.placeholder, ...(o.kind === 'value' && o.default !== undefined ? { default: o.default } : {}) });
  }
  return fields;
}

/** A request's problems, each with the field it belongs to (null when it concerns several). */
export interface FieldProblem {
  readonly field: string | null;
  readonly message: string;
}

export class RequestError extends Error {
  constructor(readonly problems: readonly FieldProblem[]) {
    super(problems.map((p) => (p.field === null ? p.message : `${p.field}: ${p.message}`)).join('; '));
  }
}

/** The option labels in messages (`-R/--rate`, `--max-queue`, `WORKLOAD`) → their JSON fields, longest first. */
const LABELS: readonly (readonly [string, string])[] = [
  ...(RUN_OPTIONS as readonly RunOptionSpec[]).flatMap((o) => {
    const key = optionKey(o.long);
    const labels: (readonly [string, string])[] = [
      [optionLabel(o), key],
      [`--${o.long}`, key],
    ];
    if (o.short !== undefined) labels.push([`-${o.short}`, key]);
    return labels;
  }),
  ['WORKLOAD', 'workloads'] as const,
  ['workloads', 'workloads'] as const,
].sort((a, b) => b[0].length - a[0].length);

function fieldOf(message: string): string | null {
  for (const [label, key] of LABELS) {
    const at = message.indexOf(label);
    if (at < 0) continue;
    const after = message[at + label.length];
    const before = at === 0 ? ' ' : message[at - 1]!;
    // Whole labels only: "-t" inside "--time" or "-T/--time" is not -t.
    if ((after === undefined || /[\s:,/)]/.test(after)) && /[\s(,]/.test(before)) return key;
  }
  return null;
}

/** A file sent with the request (an upload: a pgbench script or a workload module): its file name, text and weight. */
export interface UploadedScript {
  readonly name: string;
  readonly text: string;
  readonly weight: number;
}

/** Uploads of each kind: at most this many, each at most this big (a script is a few statements, a module one file). */
const MAX_UPLOADS = 16;
const MAX_UPLOAD_BYTES = 512 * 1024;

/** What `modules` says where module uploads are off. */
export const MODULES_OFF =
  'module uploads are off: a module is code that would run on this machine; start pgsurge ui with --allow-module-uploads to accept them, or run the module with pgsurge run';

function uploadedFiles(v: unknown, field: 'scripts' | 'modules', problems: FieldProblem[]): UploadedScript[] {
  const kind = field === 'scripts' ? 'script' : 'module';
  const example = field === 'scripts' ? 'a.sql' : 'workload.ts';
  const bad = (message: string): UploadedScript[] => (problems.push({ field, message }), []);
  if (!Array.isArray(v) || v.length > MAX_UPLOADS)
    return bad(`expected a list of at most ${MAX_UPLOADS} ${field}: [{"name": "${example}", "text": "…", "weight": 1}]`);
  const out: UploadedScript[] = [];
  for (const s of v as unknown[]) {
    const o = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    const { name, text, weight = 1 } = o;
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name))
      return bad(`a ${kind}'s "name" is its file name (letters, digits, . _ -), got ${JSON.stringify(name)}`);
    if (field === 'modules' && !/\.(ts|mts|js|mjs)$/.test(name)) return bad(`${name}: a module's file name ends in .ts, .mts, .js or .mjs`);
    if (typeof text !== 'string' || Buffer.byteLength(text) > MAX_UPLOAD_BYTES)
      return bad(`${name}: "text" must be the ${kind}, at most ${MAX_UPLOAD_BYTES / 1024} KB`);
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0) return bad(`${name}: "weight" must be an integer ≥ 0`);
    if (out.some((x) => x.name === name)) return bad(`${name} is given twice`);
    out.push({ name, text, weight });
  }
  return out;
}

/**
 * The request's config, or a RequestError naming each problem's field. Uploaded pgbench scripts
 * (`scripts`) and, with `modules`, workload modules (`modules`) are handed to `save`, which writes
 * them where the run reads them and returns their paths.
 */
export function resolveRequest(body: unknown, save?: (files: readonly UploadedScript[]) => string[], opts: { readonly modules?: boolean } = {}): RunConfig {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new RequestError([{ field: null, message: 'expected a JSON object of run options' }]);
  const problems: FieldProblem[] = [];
  // Refused fields are said once and left out of the resolution (which would only add their consequences).
  const allowed: Record<string, unknown> = {};
  const b = body as Record<string, unknown>;
  const scripts = 'scripts' in body ? uploadedFiles(b['scripts'], 'scripts', problems) : [];
  if (scripts.length > 0 && save === undefined) problems.push({ field: 'scripts', message: 'scripts cannot be uploaded here' });
  let modules: UploadedScript[] = [];
  if ('modules' in body) {
    if (opts.modules !== true || save === undefined) problems.push({ field: 'modules', message: MODULES_OFF });
    else modules = uploadedFiles(b['modules'], 'modules', problems);
  }
  const twice = modules.find((m) => scripts.some((s) => s.name === m.name));
  if (twice !== undefined) problems.push({ field: 'modules', message: `${twice.name} is also the name of an uploaded script` });
  for (const [key, value] of Object.entries(body)) {
    if (key === 'scripts' || key === 'modules') continue;
    if (key !== 'workloads' && !FROM_REQUEST.has(key) && RUN_OPTIONS.some((o) => optionKey(o.long) === key))
      problems.push({ field: key, message: 'not available from the page or the API (it names files or starts processes on this machine); use pgsurge run' });
    else allowed[key] = value;
  }
  const workloads = (body as Record<string, unknown>)['workloads'];
  if (Array.isArray(workloads)) {
    for (const w of workloads) {
      const name = typeof w === 'string' ? w.replace(/@\d+$/, '') : undefined;
      if (name !== undefined && !KNOWN_WORKLOADS.includes(name) && !BUILTIN_NAMES.some((b) => b.startsWith(name)))
        problems.push({
          field: 'workloads',
          message: `"${name}" is not a built-in workload (${KNOWN_WORKLOADS.join(', ')}); scripts and modules run with pgsurge run`,
        });
    }
  }
  // Written only once everything else is known to be right.
  if (problems.length === 0 && scripts.length > 0 && save !== undefined) allowed['file'] = save(scripts).map((path, i) => `${path}@${scripts[i]!.weight}`);
  if (problems.length === 0 && modules.length > 0 && save !== undefined) {
    const paths = save(modules).map((path, i) => `${path}@${modules[i]!.weight}`);
    allowed['workloads'] = [...(Array.isArray(workloads) ? (workloads as unknown[]) : []), ...paths];
  }
  let cfg: RunConfig | undefined;
  try {
    cfg = resolveRunRequest(allowed);
  } catch (e) {
    if (!(e instanceof PgsurgeError)) throw e;
    const lines = e.details.length > 0 ? e.details : [e.message];
    const named = problems.some((p) => p.field === 'workloads');
    for (const line of lines) {
      // Said already, in the request's terms.
      if (named && /^unknown workload /.test(line)) continue;
      const unknown = /^unknown option "([^"]+)"$/.exec(line);
      problems.push({ field: unknown?.[1] ?? fieldOf(line), message: unknown === null ? line : 'not an option of pgsurge run' });
    }
  }
  if (problems.length > 0 || cfg === undefined) throw new RequestError(problems);
  return cfg;
}

/** A one-line usage error for the CLI's `--ui` address and the like. */
export function badUiOption(option: string, why: string): PgsurgeError {
  return usageError('BAD_OPTIONS', `${option}: ${why}`);
}

/**
 * Files the user names (suite and scenario files, pgbench scripts, results): read with a one-line
 * usage error, and YAML files parsed and checked against a zod schema, every problem with its line.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type * as Yaml from 'yaml';
import type { Document, Node } from 'yaml';
import type { z } from 'zod';
import { usageError, type PgsurgeError } from '../errors.js';
import { lazyRequire } from '../util/lazy-require.js';

const yaml = lazyRequire<typeof Yaml>('yaml');

/**
 * A file's text (UTF-8). A failure is a usage error `cannot read WHAT FILE: WHY`, WHY being "no such
 * file", the entry of `reasons` for the error code, or the error code.
 */
export function readUserFile(file: string, code: string, what: string, reasons: Readonly<Record<string, string>> = {}): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const errno = (e as { code?: string }).code;
    const why = errno === 'ENOENT' ? 'no such file' : errno !== undefined && Object.hasOwn(reasons, errno) ? reasons[errno]! : (errno ?? String(e));
    throw usageError(code, `cannot read ${what} ${file}: ${why}`);
  }
}

/**
 * The most a YAML file the user names may hold. Scenario and suite files are a few kilobytes; a
 * limit keeps a hostile or mistaken one (a log, /dev/zero) from exhausting memory.
 */
export const MAX_YAML_FILE_BYTES = 1024 * 1024;
/**
 * The deepest nesting accepted in a YAML file. Scenario and suite files nest 4-5 levels; the
 * `yaml` package parses recursively and overflows the stack somewhere near 1,000 levels.
 */
export const MAX_YAML_DEPTH = 100;
/**
 * The most nodes that aliases (`*name`) may add to a YAML file once expanded: enough for any real
 * reuse of anchors, far too few for a "billion laughs" bomb.
 */
export const MAX_YAML_ALIAS_NODES = 10_000;

/**
 * A YAML file's text: a regular file of at most MAX_YAML_FILE_BYTES, in UTF-8 (a BOM is allowed).
 * Anything else is a usage error naming the file (and, for bytes that are not UTF-8, the line).
 */
export function readUserYamlFile(file: string, code: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return readUserFile(file, code, what); // the same one-line reason as any other file
  }
  let bytes: Buffer;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw usageError(code, `cannot read ${what} ${file}: is a directory`);
    // A FIFO or a device would block or never end: only regular files are read.
    if (!st.isFile()) throw usageError(code, `cannot read ${what} ${file}: not a regular file`);
    if (st.size > MAX_YAML_FILE_BYTES)
      throw usageError(code, `${file}: ${what} of ${st.size} bytes is larger than ${formatBytes(MAX_YAML_FILE_BYTES)}, the most accepted`);
    // Bounded read: the file may grow between fstat and read.
    bytes = Buffer.alloc(MAX_YAML_FILE_BYTES + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < bytes.length; n += r) r = readSync(fd, bytes, n, bytes.length - n, null);
    if (n > MAX_YAML_FILE_BYTES) throw usageError(code, `${file}: ${what} is larger than ${formatBytes(MAX_YAML_FILE_BYTES)}, the most accepted`);
    bytes = bytes.subarray(0, n);
  } finally {
    closeSync(fd);
  }
  return decodeUtf8(bytes, file, code);
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Number((n / (1024 * 1024)).toFixed(1))} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/** UTF-8 text of `bytes`; at the first byte that is not UTF-8, a usage error `FILE:LINE: …`. */
function decodeUtf8(bytes: Buffer, file: string, code: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // The valid prefix re-encodes to the same bytes: the first difference is the first bad byte.
    const again = Buffer.from(new TextDecoder('utf-8').decode(bytes), 'utf8');
    let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const skip = i;
    while (i < bytes.length && bytes[i] === again[i - skip]) i++;
    let line = 1;
    for (let j = 0; j < i; j++) if (bytes[j] === 0x0a) line++;
    const hex = bytes[i]?.toString(16).padStart(2, '0') ?? '??';
    throw usageError(code, `${file}:${line}: byte 0x${hex} is not UTF-8; save the file as UTF-8`);
  }
}

/** `FILE: N problems in the KIND file:` with every problem under it. */
export function fileProblems(code: string, file: string, kind: string, problems: readonly string[]): PgsurgeError {
  return usageError(code, `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the ${kind} file:`, problems);
}

export interface YamlFileKind {
  /** "suite", "scenario": the messages say "… in the KIND file". */
  readonly kind: string;
  /** Error code of a YAML syntax error (the first one, with its line and column). */
  readonly syntaxCode: string;
  /** Error code when the document does not match the schema (every problem, with its line). */
  readonly invalidCode: string;
}

/**
 * Parse YAML (or JSON) and check it against `schema`. Returns the parsed data and `where(path)`:
 * " (line N)" for the node at that path in the file, or "" when there is none.
 */
export function parseYamlWithSchema<S extends z.ZodType>(
  source: string,
  file: string,
  schema: S,
  kind: YamlFileKind,
): { data: z.output<S>; where: (path: readonly PropertyKey[]) => string } {
  const syntax = (message: string, offset?: number): PgsurgeError => {
    const pos = offset === undefined ? undefined : lines.linePos(offset);
    return usageError(kind.syntaxCode, `${file}${pos === undefined ? '' : `:${pos.line}:${pos.col}`}: ${message}`);
  };
  const lines = new (yaml().LineCounter)();
  if (source.length > MAX_YAML_FILE_BYTES) {
    throw usageError(kind.syntaxCode, `${file}: the ${kind.kind} file is larger than ${formatBytes(MAX_YAML_FILE_BYTES)}, the most accepted`);
  }
  const tooDeep = deepestLine(source);
  if (tooDeep !== undefined) {
    throw usageError(kind.syntaxCode, `${file}:${tooDeep}: nested more than ${MAX_YAML_DEPTH} levels deep; a ${kind.kind} file needs a few`);
  }
  const doc = yaml().parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    // The parser turns its own stack overflow into an error: nesting the line scan did not see.
    const message = /call stack/i.test(e.message) ? `nested too deep; a ${kind.kind} file needs a few levels` : e.message.split('\n')[0]!;
    throw syntax(message, e.pos[0]);
  }
  const bomb = aliasBomb(doc);
  if (bomb !== undefined) {
    throw syntax(`YAML aliases here would expand to more than ${MAX_YAML_ALIAS_NODES} nodes (nested anchors and aliases); write the values out`, bomb);
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_NODES });
  } catch (e) {
    // Whatever the checks above missed is still one line about the file.
    throw syntax(e instanceof Error ? e.message.split('\n')[0]! : String(e));
  }
  const where = (path: readonly PropertyKey[]): string => {
    const node = doc.getIn(
      path.map((p) => (typeof p === 'number' ? p : String(p))),
      true,
    );
    if (!yaml().isNode(node) || node.range === undefined || node.range === null) return '';
    return ` (line ${lines.linePos(node.range[0]).line})`;
  };
  const parsed = schema.safeParse(js);
  if (!parsed.success) {
    // An unknown key is shown at its own line, not at the map's first.
    const lineOf = (i: z.core.$ZodIssue): string =>
      i.code === 'unrecognized_keys' && i.keys.length > 0 ? where([...i.path, i.keys[0]!]) || where(i.path) : where(i.path);
    const details = parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top level)'}: ${issueText(i)}${lineOf(i)}`);
    throw fileProblems(kind.invalidCode, file, kind.kind, details);
  }
  return { data: parsed.data, where };
}

/** YAML's words for the schema's types. */
const TYPE_WORDS: Readonly<Record<string, string>> = {
  record: 'a map',
  object: 'a map',
  array: 'a list',
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  null: 'nothing (null)',
};

/** A schema problem in the words of a YAML file: "missing", "expected a map, got a list", "unknown key "x"". */
function issueText(i: z.core.$ZodIssue): string {
  switch (i.code) {
    case 'invalid_type': {
      const got = /received (\w+)/.exec(i.message)?.[1];
      if (got === 'undefined') return 'missing';
      const gotWords = got === undefined ? '' : `, got ${got === 'object' ? 'a map' : (TYPE_WORDS[got] ?? got)}`;
      return `expected ${TYPE_WORDS[i.expected] ?? i.expected}${gotWords}`;
    }
    case 'invalid_union':
      return 'not of a kind this key takes';
    case 'unrecognized_keys':
      return `unknown key${i.keys.length === 1 ? '' : 's'} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return i.message;
  }
}

/**
 * The first line (1-based) where the YAML nests deeper than MAX_YAML_DEPTH, or undefined. A cheap
 * over-estimate made before parsing: open flow brackets (outside quotes and comments), plus the
 * block indentation levels open at the line, plus the `- ` / `? ` entries that start it.
 */
function deepestLine(source: string): number | undefined {
  let flow = 0;
  const indents: number[] = [];
  let line = 1;
  let i = 0;
  const n = source.length;
  while (i < n) {
    // Start of a line: its indentation and leading block entries.
    let indent = 0;
    while (i < n && source[i] === ' ') {
      indent++;
      i++;
    }
    const blank = i >= n || source[i] === '\n' || source[i] === '\r' || source[i] === '#';
    let block = 0;
    if (!blank && flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      while ((source[i] === '-' || source[i] === '?') && (source[i + 1] === ' ' || source[i + 1] === '\t')) {
        block++;
        i += 2;
        while (source[i] === ' ' || source[i] === '\t') i++;
      }
    }
    if (flow + indents.length + block > MAX_YAML_DEPTH) return line;
    // The rest of the line: flow brackets outside quoted scalars and comments.
    let prev = ' ';
    while (i < n && source[i] !== '\n') {
      const c = source[i]!;
      const atTokenStart = prev === ' ' || prev === '\t' || prev === '[' || prev === '{' || prev === ',' || prev === ':';
      if (c === '#' && (prev === ' ' || prev === '\t')) {
        while (i < n && source[i] !== '\n') i++;
        break;
      }
      if ((c === '"' || c === "'") && atTokenStart) {
        // A quoted scalar, to its closing quote on this line ('' and \" escape).
        i++;
        while (i < n && source[i] !== '\n') {
          if (c === '"' && source[i] === '\\') i += 2;
          else if (source[i] === c && c === "'" && source[i + 1] === "'") i += 2;
          else if (source[i] === c) break;
          else i++;
        }
        prev = c;
        i++;
        continue;
      }
      if (c === '[' || c === '{') {
        flow++;
        if (flow + indents.length + block > MAX_YAML_DEPTH) return line;
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
      prev = c;
      i++;
    }
    if (i < n) i++; // the newline
    line++;
  }
  return undefined;
}

/**
 * The source offset of the alias at which the aliases of `doc`, expanded, pass
 * MAX_YAML_ALIAS_NODES nodes; undefined when they stay below. Nesting is already bounded.
 */
function aliasBomb(doc: Document): number | undefined {
  const sizes = new Map<Node, number>();
  const sizeOf = (node: unknown): number => {
    if (!yaml().isNode(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, 1); // an alias cycle counts once
    let size = 1;
    if (yaml().isAlias(node)) size = sizeOf(node.resolve(doc));
    else if (yaml().isMap(node) || yaml().isSeq(node)) {
      for (const item of node.items) size += yaml().isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
    }
    sizes.set(node, Math.min(size, Number.MAX_SAFE_INTEGER));
    return size;
  };
  let total = 0;
  let at: number | undefined;
  yaml().visit(doc, {
    Alias(_key, node) {
      total += sizeOf(node.resolve(doc));
      if (total > MAX_YAML_ALIAS_NODES) {
        at = node.range?.[0] ?? 0;
        return yaml().visit.BREAK;
      }
      return undefined;
    },
  });
  return at;
}

/**
 * Connection targets with libpq's semantics: a URL (`postgres://` / `postgresql://`) or a
 * key=value string, then the PG* environment for what it leaves out, then libpq's defaults.
 * Bad input is a usage error (exit 2) with one line naming the culprit — never the password.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { redact } from '../config/redact.js';
import { usageError } from '../errors.js';
import type { ConnInfo, HostSpec, SslMode, TargetSessionAttrs } from './types.js';

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const SESSION_ATTRS: readonly TargetSessionAttrs[] = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'];
/** pgsurge's own default (libpq waits forever): a dead host must not hang a run. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_APPLICATION_NAME = 'pgsurge';

/** Keywords pgsurge uses. */
const USED_KEYS = new Set([
  'host',
  'hostaddr',
  'port',
  'user',
  'password',
  'dbname',
  'sslmode',
  'sslrootcert',
  'application_name',
  'connect_timeout',
  'target_session_attrs',
  'options',
]);
/** libpq keywords that are accepted (as libpq does) but have no effect in pgsurge. */
const IGNORED_KEYS = new Set([
  'passfile',
  'channel_binding',
  'client_encoding',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'gssencmode',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'sslcompression',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'sslnegotiation',
  'sslcertmode',
  'requirepeer',
  'require_auth',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'service',
  'load_balance_hosts',
]);

type Raw = Map<string, string>;

/** Where the value came from, for error messages ("in --url", "in PGPORT"). */
const TARGET_LABEL = '--url';

/**
 * Resolve a target (URL, key=value string or undefined) with the environment and defaults.
 * @throws PgsurgeError (exit 2) naming the bad part; the message never contains a password.
 */
export function parseConnInfo(target: string | undefined, env: NodeJS.ProcessEnv = process.env): ConnInfo {
  const raw: Raw = new Map();
  const t = target?.trim() ?? '';
  const scheme = checkTargetScheme(t, TARGET_LABEL);
  if (scheme !== undefined) parseUrl(t, raw);
  else if (t.includes('=')) parseKeyValue(t, raw);
  else if (t !== '') raw.set('dbname', t); // libpq: a lone word is a database name

  const fromEnv: [string, string][] = [
    ['host', 'PGHOST'],
    ['hostaddr', 'PGHOSTADDR'],
    ['port', 'PGPORT'],
    ['user', 'PGUSER'],
    ['password', 'PGPASSWORD'],
    ['dbname', 'PGDATABASE'],
    ['sslmode', 'PGSSLMODE'],
    ['sslrootcert', 'PGSSLROOTCERT'],
    ['application_name', 'PGAPPNAME'],
    ['connect_timeout', 'PGCONNECT_TIMEOUT'],
    ['target_session_attrs', 'PGTARGETSESSIONATTRS'],
    ['options', 'PGOPTIONS'],
  ];
  const label = new Map<string, string>();
  for (const k of raw.keys()) label.set(k, TARGET_LABEL);
  for (const [key, name] of fromEnv) {
    const v = env[name];
    if (!raw.has(key) && v !== undefined && v !== '') {
      raw.set(key, v);
      label.set(key, name);
    }
  }
  const where = (k: string): string => label.get(k) ?? TARGET_LABEL;

  const user = nonEmpty(raw.get('user')) ?? osUser();
  const database = nonEmpty(raw.get('dbname')) ?? user;
  const hosts = resolveHosts(raw, where);

  const sslmodeRaw = nonEmpty(raw.get('sslmode')) ?? 'prefer';
  if (!(SSL_MODES as readonly string[]).includes(sslmodeRaw)) {
    throw usageError('CONNINFO_BAD_SSLMODE', `unknown sslmode "${sslmodeRaw}" in ${where('sslmode')} (expected ${SSL_MODES.join(', ')})`);
  }
  const attrsRaw = nonEmpty(raw.get('target_session_attrs')) ?? 'any';
  if (!(SESSION_ATTRS as readonly string[]).includes(attrsRaw)) {
    throw usageError(
      'CONNINFO_BAD_TARGET_SESSION_ATTRS',
      `unknown target_session_attrs "${attrsRaw}" in ${where('target_session_attrs')} (expected ${SESSION_ATTRS.join(', ')})`,
    );
  }
  let connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
  const ct = nonEmpty(raw.get('connect_timeout'));
  if (ct !== undefined) {
    if (!/^-?\d+$/.test(ct)) throw usageError('CONNINFO_BAD_CONNECT_TIMEOUT', `invalid connect_timeout "${ct}" in ${where('connect_timeout')} (whole seconds)`);
    const s = Number(ct);
    // libpq: 0 or negative waits forever; 1 is raised to 2 seconds.
    connectTimeoutMs = s <= 0 ? 0 : Math.max(s, 2) * 1000;
  }
  const password = raw.get('password');
  return Object.freeze({
    hosts,
    user,
    password: password === '' ? undefined : password,
    database,
    sslmode: sslmodeRaw as SslMode,
    sslrootcert: nonEmpty(raw.get('sslrootcert')),
    applicationName: raw.get('application_name') ?? DEFAULT_APPLICATION_NAME,
    connectTimeoutMs,
    targetSessionAttrs: attrsRaw as TargetSessionAttrs,
    options: nonEmpty(raw.get('options')),
  });
}

/**
 * The URL scheme of `target` (postgres or postgresql, any case), or undefined for a key=value
 * string or a lone database name. Another scheme (mysql://, postgresql+psycopg2://, a typo) would
 * otherwise be taken for a database name, as libpq takes a lone word, and fail later as a
 * confusing connection error: it is a usage error naming `label` and the scheme (never the rest).
 */
export function checkTargetScheme(target: string, label: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.:-]*):\/\//.exec(target.trim())?.[1];
  if (scheme !== undefined && !/^postgres(ql)?$/i.test(scheme)) {
    throw usageError(
      'CONNINFO_BAD_SCHEME',
      `${label}: unsupported scheme "${scheme}://"; use postgres:// or postgresql:// (or a key=value string: host=… dbname=…)`,
    );
  }
  // "user:password@host/db" with its scheme left off: libpq would take all of it for a database
  // name and fail far from the cause. A database name with "@" followed by a host is implausible.
  if (scheme === undefined && !target.includes('=') && /^[^\s/@:]+(:[^\s@]*)?@[^\s/@]+(\/\S*)?$/.test(target.trim())) {
    const shown = redact(`postgresql://${target.trim()}`);
    throw usageError('CONNINFO_NO_SCHEME', `${label}: "${shown.slice('postgresql://'.length)}" looks like a URL without its scheme; write ${shown}`);
  }
  return scheme;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'postgres';
  }
}

/** libpq's DEFAULT_PGSOCKET_DIR: Debian builds use /var/run/postgresql, upstream /tmp. */
export function defaultSocketDir(): string {
  return existsSync('/var/run/postgresql') ? '/var/run/postgresql' : '/tmp';
}

function resolveHosts(raw: Raw, where: (k: string) => string): readonly HostSpec[] {
  // hostaddr (numeric) wins over host for connecting; pgsurge does not keep both.
  const hostKey = nonEmpty(raw.get('hostaddr')) !== undefined ? 'hostaddr' : 'host';
  const hostList = (raw.get(hostKey) ?? '').split(',').map((h) => h.trim());
  const portList = (raw.get('port') ?? '').split(',').map((p) => p.trim());
  if (portList.length > 1 && portList.length !== hostList.length) {
    throw usageError('CONNINFO_BAD_PORT', `${portList.length} ports for ${hostList.length} hosts in ${where('port')} (give one port, or one per host)`);
  }
  return Object.freeze(
    hostList.map((h, i) => {
      const p = portList.length === 1 ? portList[0] : portList[i];
      return Object.freeze({ host: h === '' ? defaultSocketDir() : h, port: parsePort(p ?? '', where('port')) });
    }),
  );
}

function parsePort(p: string, where: string): number {
  if (p === '') return 5432;
  const n = /^\d+$/.test(p) ? Number(p) : NaN;
  if (!(n >= 1 && n <= 65535)) throw usageError('CONNINFO_BAD_PORT', `invalid port "${p}" in ${where}`);
  return n;
}

function setKey(raw: Raw, key: string, value: string, what: string): void {
  if (USED_KEYS.has(key)) raw.set(key, value);
  else if (!IGNORED_KEYS.has(key)) throw usageError('CONNINFO_BAD_KEY', `unknown connection option "${key}" in ${what}`);
}

function decode(s: string, part: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // Never echo the raw text: it may be the password.
    throw usageError('CONNINFO_BAD_URL', `invalid percent-encoding in the ${part} of ${TARGET_LABEL}`);
  }
}

/** postgres://[user[:password]@][host[:port][,host[:port]...]][/dbname][?key=value&...] */
function parseUrl(url: string, raw: Raw): void {
  let rest = url.replace(/^postgres(ql)?:\/\//i, '');
  const q = rest.indexOf('?');
  const query = q >= 0 ? rest.slice(q + 1) : '';
  if (q >= 0) rest = rest.slice(0, q);
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : '';
  // The last '@' separates user info (a password may contain a raw '@').
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostpart = at >= 0 ? authority.slice(at + 1) : authority;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const u = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (u !== '') raw.set('user', decode(u, 'user name'));
    if (colon >= 0) raw.set('password', decode(userinfo.slice(colon + 1), 'password'));
  }
  if (hostpart !== '') {
    const hosts: string[] = [];
    const ports: string[] = [];
    for (const item of hostpart.split(',')) {
      let h: string;
      let p = '';
      if (item.startsWith('[')) {
        const close = item.indexOf(']');
        if (close < 0) throw usageError('CONNINFO_BAD_URL', `unterminated IPv6 address "${item}" in ${TARGET_LABEL}`);
        h = item.slice(1, close);
        const after = item.slice(close + 1);
        if (after.startsWith(':')) p = after.slice(1);
        else if (after !== '') throw usageError('CONNINFO_BAD_URL', `unexpected "${after}" after IPv6 address in ${TARGET_LABEL}`);
      } else {
        const colon = item.lastIndexOf(':');
        h = colon >= 0 ? item.slice(0, colon) : item;
        p = colon >= 0 ? item.slice(colon + 1) : '';
      }
      hosts.push(decode(h, 'host'));
      ports.push(decode(p, 'port'));
    }
    raw.set('host', hosts.join(','));
    if (ports.some((p) => p !== '')) {
      // An empty port in the list means the default port for that host.
      raw.set('port', ports.map((p) => (p === '' ? '5432' : p)).join(','));
    }
  }
  if (path !== '') raw.set('dbname', decode(path, 'database name'));
  if (query !== '') {
    for (const pair of query.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq < 0) throw usageError('CONNINFO_BAD_URL', `missing "=" after "${decode(pair, 'query')}" in the query of ${TARGET_LABEL}`);
      const key = decode(pair.slice(0, eq), 'query');
      setKey(raw, key, decode(pair.slice(eq + 1).replace(/\+/g, ' '), 'query'), `the query of ${TARGET_LABEL}`);
    }
  }
}

/** libpq key=value: whitespace-separated, values optionally in single quotes with \\ escapes. */
function parseKeyValue(s: string, raw: Raw): void {
  let i = 0;
  const n = s.length;
  const ws = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n) {
    while (i < n && ws(s[i])) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && s[i] !== '=' && !ws(s[i])) i++;
    const key = s.slice(keyStart, i);
    while (i < n && ws(s[i])) i++;
    if (s[i] !== '=') throw usageError('CONNINFO_BAD_KEYVALUE', `missing "=" after "${key}" in ${TARGET_LABEL}`);
    i++;
    while (i < n && ws(s[i])) i++;
    let value = '';
    if (s[i] === "'") {
      i++;
      let closed = false;
      while (i < n) {
        const c = s[i];
        if (c === '\\' && i + 1 < n) {
          value += s[i + 1];
          i += 2;
        } else if (c === "'") {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) throw usageError('CONNINFO_BAD_KEYVALUE', `unterminated quoted value for "${key}" in ${TARGET_LABEL}`);
    } else {
      while (i < n && !ws(s[i])) {
        if (s[i] === '\\' && i + 1 < n) i++;
        value += s[i];
        i++;
      }
    }
    setKey(raw, key, value, TARGET_LABEL);
  }
}

/**
 * `user@host:port[,host:port...]/database` — for logs and reports; never a password. Redacted all
 * the same: a URL libpq did not recognise (`mysql://u:pw@h/db`) is a database name, password and all.
 */
export function describeTarget(ci: ConnInfo): string {
  return redact(`${ci.user}@${ci.hosts.map(describeHost).join(',')}/${ci.database}`);
}

/** `host:port` of one host, IPv6 in brackets. */
export function describeHost(h: HostSpec): string {
  return `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;
}

/**
 * Replace any password in a URL (any scheme, or none) or key=value string with `***`: the one
 * redaction of config/redact.ts, under the name the connection code has always used.
 */
export function redactUrl(s: string): string {
  return redact(s);
}

/** True when the PG* environment names a target (then no throwaway server is started). */
export function hasEnvironmentTarget(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSERVICE'].some((k) => {
    const v = env[k];
    return v !== undefined && v !== '';
  });
}

/**
 * The target without its password (URL user info, `?password=`, or a key=value `password=`), and
 * the password, decoded: so that a target can be handed to another process on its command line
 * while the password travels apart (PGPASSWORD).
 */
export function withoutPassword(target: string): { target: string; password: string | undefined } {
  const password = parseConnInfo(target, {}).password;
  if (password === undefined) return { target, password };
  if (/^postgres(?:ql)?:\/\//i.test(target)) {
    const m = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(target);
    if (m === null) return { target, password };
    const user = m[2] === undefined ? '' : `${m[2].slice(0, -1).split(':')[0]}@`;
    const query =
      m[4] === undefined
        ? ''
        : m[4]
            .slice(1)
            .split('&')
            .filter((p) => !/^password=/i.test(p))
            .join('&');
    return { target: `${m[1]}${user}${m[3]}${query === '' ? '' : `?${query}`}${m[5] ?? ''}`, password };
  }
  return { target: target.replace(/(^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g, '').trim(), password };
}

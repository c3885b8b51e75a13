/**
 * `local up --pgbouncer-setting NAME=VALUE` and `--pgpool-setting NAME=VALUE`: settings of the local
 * poolers, such as the seeds tune for thousands of clients (PgBouncer's max_client_conn,
 * default_pool_size; Pgpool-II's num_init_children, max_pool). The pooler checks the value when it
 * starts; pgsurge checks the name's form and keeps what it must set itself: where the pooler
 * listens (loopback only), how clients authenticate, where its files and backends are.
 */
import { usageError } from '../errors.js';
import { printable } from '../workload/pgbench/printable.js';

export type PoolerKind = 'pgbouncer' | 'pgpool';

const OWN: Readonly<Record<PoolerKind, RegExp>> = {
  pgbouncer: /^(listen_addr|listen_port|unix_socket_dir|auth_type|auth_file|auth_hba_file|auth_query|auth_user|admin_users|stats_users|logfile|pidfile)$/,
  pgpool:
    /^(listen_addresses|port|socket_dir|pcp_listen_addresses|pcp_port|pcp_socket_dir|wd_ipc_socket_dir|pid_file_name|logdir|backend_.*|enable_pool_hba|pool_passwd|allow_clear_text_frontend_auth|health_check_(user|password|database)|sr_check_(user|password|database)|backend_clustering_mode)$/,
};

/** Why a name is pgsurge's own, for the message. */
const WHY: Readonly<Record<PoolerKind, string>> = {
  pgbouncer: 'where PgBouncer listens (loopback only), who may log in and where its files are',
  pgpool: 'where Pgpool-II listens (loopback only), its backends, who may log in and where its files are',
};

export function parsePoolerSetting(kind: PoolerKind, text: string, label: string): [string, string] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq).trim();
  if (eq <= 0 || !/^[a-z_][a-z0-9_]*$/.test(name))
    throw usageError('BAD_OPTIONS', `${label}: expected NAME=VALUE with a lower-case setting name (e.g. max_client_conn=5000), got "${printable(text)}"`);
  const value = text.slice(eq + 1).trim();
  if (value === '') throw usageError('BAD_OPTIONS', `${label} ${printable(text)}: the value is empty`);
  // One line of the configuration file: nothing may end it or start another.
  if (/[\r\n\0]/.test(value)) throw usageError('BAD_OPTIONS', `${label} ${name}: the value may not contain a line break`);
  if (OWN[kind].test(name)) throw usageError('BAD_OPTIONS', `${label}: ${name} is pgsurge's to set (${WHY[kind]})`);
  return [name, value];
}

/** The settings as one record; a name given twice is a usage error. */
export function poolerSettingRecord(kind: PoolerKind, texts: readonly string[], label: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of texts) {
    const [name, value] = parsePoolerSetting(kind, t, label);
    if (Object.hasOwn(out, name)) throw usageError('BAD_OPTIONS', `${label}: ${name} is given twice (${out[name]!}, ${value})`);
    out[name] = value;
  }
  return out;
}

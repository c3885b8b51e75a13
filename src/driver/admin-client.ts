/**
 * Connections off the hot path (checks before a run, `init`, server sampling) use the maintained
 * `pg` client. This maps a ConnInfo host onto its configuration.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { ConnInfo, HostSpec } from './types.js';
import { OpenError } from './connect.js';
import { maskSecretText } from '../config/redact.js';

function pgClientConfig(ci: ConnInfo, host: HostSpec): pg.ClientConfig {
  let ssl: pg.ClientConfig['ssl'] = false;
  // `pg` cannot fall back from TLS to plain text, so "prefer" and "allow" start without TLS here.
  if (ci.sslmode === 'require') ssl = { rejectUnauthorized: false };
  else if (ci.sslmode === 'verify-ca' || ci.sslmode === 'verify-full') {
    ssl = {
      rejectUnauthorized: true,
      ...(ci.sslrootcert === undefined ? {} : { ca: readFileSync(ci.sslrootcert) }),
      ...(ci.sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  return {
    host: host.host,
    port: host.port,
    user: ci.user,
    ...(ci.password === undefined ? {} : { password: ci.password }),
    database: ci.database,
    ssl,
    application_name: ci.applicationName,
    connectionTimeoutMillis: ci.connectTimeoutMs,
    ...(ci.options === undefined ? {} : { options: ci.options }),
  };
}

/** Open a `pg` client; failures become OpenError naming the host (never the password). */
export async function openAdminClient(ci: ConnInfo, host: HostSpec): Promise<pg.Client> {
  const client = new pg.Client(pgClientConfig(ci, host));
  client.on('error', () => undefined); // a dropped admin connection surfaces on its next query
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    const err = e as { code?: string; message?: string };
    let message = err.message ?? String(e);
    message = maskSecretText(message, ci.password);
    if (/timeout/i.test(message) && err.code === undefined) message = `timeout expired after ${ci.connectTimeoutMs / 1000} s while connecting`;
    throw new OpenError(host, { code: err.code ?? 'UNKNOWN', message, severity: undefined, detail: undefined, position: undefined });
  }
}

import type { Param, StatementSpec } from '../workload/types.js';

/** How statements travel (pgbench -M). */
export type Protocol = 'simple' | 'extended' | 'prepared';

export interface HostSpec {
  /** A host name, an IP literal, or a Unix-socket directory (starts with "/"). */
  readonly host: string;
  readonly port: number;
}

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
export type TargetSessionAttrs = 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby';

/** A resolved connection target (libpq URL or key=value string, then PG* environment, then defaults). */
export interface ConnInfo {
  readonly hosts: readonly HostSpec[];
  readonly user: string;
  /** Never printed, logged or written to a file. */
  readonly password: string | undefined;
  readonly database: string;
  readonly sslmode: SslMode;
  readonly sslrootcert: string | undefined;
  readonly applicationName: string;
  readonly connectTimeoutMs: number;
  readonly targetSessionAttrs: TargetSessionAttrs;
  /** libpq `options` (e.g. "-c synchronous_commit=off"). */
  readonly options: string | undefined;
}

/** An error reported by the server or the socket, as data (SQL errors are outcomes, not exceptions). */
export interface PgErrorInfo {
  /** SQLSTATE (e.g. "40001") or a Node socket code (e.g. "ECONNRESET") or "PGSURGE_TIMEOUT". */
  readonly code: string;
  readonly message: string;
  readonly severity: string | undefined;
  readonly detail: string | undefined;
  /** 1-based character position in the statement, when the server gives one. */
  readonly position: number | undefined;
}

export interface QueryRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/** Callbacks of a session. Exactly one `onQueryDone` or one `onClose` follows each `exec`. */
export interface SessionHandler {
  /** `err` is null on success; `rows` is non-null only for statements executed with wantsRows. */
  onQueryDone(err: PgErrorInfo | null, rows: QueryRows | null): void;
  /** The connection is gone (socket error, server closed it). Any query in flight has an unknown outcome. */
  onClose(err: PgErrorInfo): void;
}

/** One open connection running a fixed list of statements on the hot path. */
export interface Session {
  readonly protocol: Protocol;
  readonly backendPid: number;
  /** e.g. "17.10" (server_version parameter). */
  readonly serverVersion: string;
  readonly host: HostSpec;
  setHandler(handler: SessionHandler): void;
  /** Send statement `stmt` (index into the statements given at open) with its parameters. */
  exec(stmt: number, params: readonly Param[], wantsRows: boolean): void;
  /**
   * Pipeline mode (pgbench's \startpipeline): send the statement without a Sync and without waiting;
   * no callback until `sync()`. Extended and prepared protocols only.
   */
  execPipelined(stmt: number, params: readonly Param[]): void;
  /** Send a Sync: one onQueryDone follows for everything pipelined since the last one (its first error, if any). */
  sync(): void;
  /** Close politely (Terminate message). */
  close(): Promise<void>;
  /** Close abruptly (e.g. a client-side timeout). onClose is not called. */
  destroy(): void;
}

export interface OpenSessionOptions {
  readonly protocol: Protocol;
  readonly statements: readonly StatementSpec[];
}

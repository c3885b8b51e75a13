/**
 * The `pg` library, for every module of pgsurge that uses it: import it from here, not from 'pg'.
 *
 * When `pg` is loaded it asks whether it runs in Cloudflare Workers: by `navigator.userAgent`
 * where `navigator` exists (Node.js 21 and later), and otherwise by constructing a fetch
 * `Response`. On Node.js 20 that loads Node's whole fetch implementation (undici, with its
 * WebAssembly HTTP parser) into every thread that loads `pg`: the main thread and each worker
 * thread, which use `pg` only to connect. Measured on this machine: a process that loads `pg` in
 * its main thread and in two worker threads (what `pgsurge run -j 2` does) peaks at 71.0 MiB RSS,
 * and at 63.5 MiB when `pg` takes the `navigator` branch.
 *
 * So while `pg` loads, and only then, a `navigator` like Node 21's stands in where there is none.
 * `pg` reads it only at load time (lib/stream.js); nothing else of pgsurge's sees it.
 */
import { createRequire } from 'node:module';
import type PgModule from 'pg';

function load(): typeof PgModule {
  const require = createRequire(import.meta.url);
  if ('navigator' in globalThis) return require('pg') as typeof PgModule;
  const userAgent = `Node.js/${process.versions.node.split('.')[0] ?? ''}`;
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent }, configurable: true, writable: true });
  try {
    return require('pg') as typeof PgModule;
  } finally {
    delete (globalThis as { navigator?: unknown }).navigator;
  }
}

const pg = load();

// The types that pgsurge's modules name as `pg.X`, as `import pg from 'pg'` would give them.
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace pg {
  export type Client = PgModule.Client;
  export type ClientBase = PgModule.ClientBase;
  export type ClientConfig = PgModule.ClientConfig;
}

export default pg;

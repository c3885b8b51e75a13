/**
 * `pg` (with pg-protocol, pg-pool, pg-types and the rest of its dependencies), for
 * src/driver/pg.ts: nothing else imports it.
 *
 * The build (scripts/bundle-vendor.mjs) replaces this module's compiled file with `pg` bundled
 * into one minified module, with `navigator` defined as Node 21's is. Both for memory, in every
 * thread that loads `pg` (the main thread and each worker thread):
 * - `pg` is 32 CommonJS modules; one module instead, measured on this machine in a worker thread
 *   (what a `-j 2` run has two of): 7.2 → 6.3 MiB of live heap each.
 * - When `pg` loads it asks whether it runs in Cloudflare Workers: by `navigator.userAgent` where
 *   `navigator` exists (Node 21 and later), otherwise by constructing a fetch `Response`, which on
 *   Node 20 loads Node's whole fetch implementation (undici, with its WebAssembly HTTP parser). A
 *   process loading `pg` in its main thread and two worker threads peaked at 71.0 MiB RSS with
 *   it and at 63.5 MiB without.
 */
import pg from 'pg';

export default pg;

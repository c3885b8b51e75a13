/**
 * The `pg` library, for every module of pgsurge that uses it: import it from here, not from 'pg'.
 * It is src/vendor/pg.ts, which the build bundles into one module; see there for why.
 */
import type PgModule from 'pg';
import bundled from '../vendor/pg.js';

const pg: typeof PgModule = bundled;

// The types that pgsurge's modules name as `pg.X`, as `import pg from 'pg'` would give them.
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace pg {
  export type Client = PgModule.Client;
  export type ClientBase = PgModule.ClientBase;
  export type ClientConfig = PgModule.ClientConfig;
}

export default pg;

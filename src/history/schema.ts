/**
 * The history's tables. Entry i brings a database from schema version i to i + 1 (PRAGMA
 * user_version); a later version appends a step and never edits one that has shipped.
 *
 * A run is one row of `runs`: the result's JSON as it is (the file format stays the one format;
 * this is an index over it) and a few columns taken from it to filter and list without reading it.
 * `result_key` is a hash of the result's content, so that the same result recorded twice (a run's
 * own record, then an import of its --out directory) is one entry; it is NULL while a run is going.
 */
export const SCHEMA_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY NOT NULL,
    result_key TEXT UNIQUE,
    started_at TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
    source TEXT NOT NULL CHECK (source IN ('cli', 'ui', 'api', 'import')),
    workload TEXT NOT NULL,
    target TEXT NOT NULL,
    tags TEXT NOT NULL,
    tps REAL,
    p99_ms REAL,
    failed INTEGER NOT NULL,
    passed INTEGER,
    file TEXT,
    owner TEXT,
    recorded_ms INTEGER NOT NULL,
    result TEXT
  ) STRICT;
  CREATE INDEX runs_by_start ON runs (started_ms DESC);
  CREATE INDEX runs_by_workload ON runs (workload);
  CREATE INDEX runs_by_status ON runs (status);
  CREATE TABLE run_tags (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX run_tags_by_tag ON run_tags (key, value);
  `,
];

/**
 * pgbench's built-in scripts, byte for byte as `pgbench --show-script=NAME` prints them
 * (PostgreSQL 15-17; naccounts = 100000, nbranches = 1, ntellers = 10 per scale unit).
 */
export type BuiltinScriptName = 'tpcb-like' | 'simple-update' | 'select-only';

const SET_IDS =
  '\\set aid random(1, 100000 * :scale)\n' + '\\set bid random(1, 1 * :scale)\n' + '\\set tid random(1, 10 * :scale)\n' + '\\set delta random(-5000, 5000)\n';

const UPDATE_ACCOUNT =
  'UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;\n' + 'SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n';

const INSERT_HISTORY = 'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);\n';

export const BUILTIN_SCRIPTS: Readonly<Record<BuiltinScriptName, string>> = Object.freeze({
  'tpcb-like':
    SET_IDS +
    'BEGIN;\n' +
    UPDATE_ACCOUNT +
    'UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;\n' +
    'UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;\n' +
    INSERT_HISTORY +
    'END;\n',
  'simple-update': SET_IDS + 'BEGIN;\n' + UPDATE_ACCOUNT + INSERT_HISTORY + 'END;\n',
  'select-only': '\\set aid random(1, 100000 * :scale)\n' + 'SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n',
});

import type { StatementSpec, TxnProgram } from '../workload/types.js';

/** The statement every session carries last: issued after a failed statement, as pgbench does. */
const ROLLBACK_STATEMENT: StatementSpec = { parts: ['ROLLBACK'], text: 'ROLLBACK', line: 0, wantsRows: false };

/** The flat statement list a session prepares: every program's statements, then the ROLLBACK. */
export function sessionStatements(programs: readonly TxnProgram[]): StatementSpec[] {
  return [...programs.flatMap((p) => p.statements), ROLLBACK_STATEMENT];
}

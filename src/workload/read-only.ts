/**
 * Whether a transaction only reads: every statement a SELECT (or WITH … SELECT / VALUES / TABLE /
 * SHOW, and transaction control) without FOR UPDATE/SHARE, writes or sequence/advisory-lock calls.
 * Such transactions may run on a replica (read routing) and count as reads in failover figures.
 */
export function isReadOnlySql(statements: readonly { readonly text: string }[]): boolean {
  if (statements.length === 0) return false;
  return statements.every((s) => {
    const sql = s.text.replace(/--[^\n]*/g, ' ').trim();
    if (/^(begin|start transaction|commit|end|rollback|set|show)\b/i.test(sql)) return true;
    if (!/^(select|with|values|table|\()/i.test(sql)) return false;
    return !/\b(insert|update|delete|merge)\b|\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b|\b(nextval|setval|pg_advisory\w*)\s*\(/i.test(sql);
  });
}

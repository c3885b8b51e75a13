/**
 * `--target NAME=URL` (repeatable): named targets for one run each. Only the shape and the scheme are checked here;
 * each URL is parsed against the environment when its run starts (src/cli/target.ts).
 */
import { usageError } from '../errors.js';
import { checkTargetScheme } from '../driver/conninfo.js';

export interface NamedTarget {
  readonly name: string;
  readonly url: string;
}

/** One NAME=URL; a password in a rejected spec is masked in the message. */
export function parseTarget(spec: string): NamedTarget {
  const eq = spec.indexOf('=');
  const name = eq > 0 ? spec.slice(0, eq) : '';
  if (!/^[A-Za-z0-9_.-]+$/.test(name))
    throw usageError('BAD_TARGET', `--target: expected NAME=URL with a simple name, got "${spec.replace(/:[^:@/]*@/, ':***@')}"`);
  const url = spec.slice(eq + 1);
  checkTargetScheme(url, `--target ${name}`);
  return { name, url };
}

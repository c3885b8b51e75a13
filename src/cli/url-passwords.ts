/**
 * URLs given besides --url (--replica, --observe-server) whose passwords would leave this machine
 * on a part's command line or sit in Kubernetes manifests: refused before anything starts, with
 * the way out. (--url's own password is carried apart: PGPASSWORD over a session, or the Secret.)
 */
import type { RunOptionValues } from '../config/run-options.js';
import { withoutPassword } from '../driver/conninfo.js';
import { usageError } from '../errors.js';

export function refuseListedPasswords(values: RunOptionValues, how: string, wayOut: string): void {
  const lists: [string, readonly string[] | undefined][] = [
    ['--replica', values.replica],
    ['--observe-server', values.observeServer],
  ];
  for (const [option, urls] of lists) {
    for (const u of urls ?? []) {
      if (withoutPassword(u).password !== undefined) throw usageError('BAD_OPTIONS', `${how}: a ${option} URL with a password would ${wayOut}`);
    }
  }
}

/**
 * The UI's token: PGSURGE_UI_TOKEN when set; otherwise, off loopback, a random one (printed once by
 * whoever starts the server); on loopback none is needed unless one is set.
 */
import { randomBytes } from 'node:crypto';

export function uiToken(env: NodeJS.ProcessEnv, loopback: boolean, given?: string): string | undefined {
  const set = given ?? env['PGSURGE_UI_TOKEN'];
  if (set !== undefined && set !== '') return set;
  return loopback ? undefined : randomBytes(18).toString('base64url');
}

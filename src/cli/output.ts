/**
 * Everything the CLI prints goes through here, so that a password can never reach the terminal:
 * every secret seen (URL password, PGPASSWORD) is registered and masked in all output.
 */
import { redactUrl } from '../driver/conninfo.js';

const secrets = new Set<string>();

export function registerSecret(secret: string): void {
  if (secret.length > 0) secrets.add(secret);
}

export function redact(text: string): string {
  let out = redactUrl(text);
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

export function printOut(io: CliIO, text: string): void {
  io.stdout.write(redact(text.endsWith('\n') ? text : `${text}\n`));
}

export function printErr(io: CliIO, text: string): void {
  io.stderr.write(redact(text.endsWith('\n') ? text : `${text}\n`));
}

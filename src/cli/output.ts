/**
 * Everything the CLI prints goes through here, and here through config/redact.ts's `redact`, so
 * a password can never reach the terminal: passwords are masked by position in any URL or
 * key=value string, and long registered secrets (see registerSecret) are masked wherever they occur.
 */
import { redact } from '../config/redact.js';

export { redact, registerSecret } from '../config/redact.js';

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

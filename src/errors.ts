/**
 * The one error type for pgsurge's own failures (not SQL outcomes, which are counted, not thrown).
 * `code` is a stable string users and tests can match; `exitCode` follows the CLI contract:
 * 1 = the run failed (could not connect, aborted), 2 = bad usage or config, 99 = a threshold failed.
 * The message and details are redacted when the error is made, so no consumer of an error (the
 * CLI, a suite's JSON, the UI's API) can show a password a thrower put into it.
 */
import { redact } from './config/redact.js';

export type ExitCode = 1 | 2 | 99;

export class PgsurgeError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  /** Further lines shown under the message (e.g. every validation problem), redacted. */
  readonly details: readonly string[];

  constructor(code: string, message: string, options: { exitCode?: ExitCode; cause?: unknown; details?: readonly string[] } = {}) {
    // Redacted before super() so that the stack's first line, captured there, is redacted too.
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PgsurgeError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.details = (options.details ?? []).map(redact);
  }
}

/** Usage or configuration error: exit code 2. */
export function usageError(code: string, message: string, details: readonly string[] = []): PgsurgeError {
  return new PgsurgeError(code, message, { exitCode: 2, details });
}

/** The `default:` of an exhaustive switch: the types prove it unreachable. */
export function unreachable(x: never): never {
  throw new PgsurgeError('INTERNAL', `unexpected value ${JSON.stringify(x)}`);
}

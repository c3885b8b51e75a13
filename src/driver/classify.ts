/**
 * SQLSTATE / socket-code → failure class (DESIGN.md "Failure classes", contract). Called once per
 * failed statement; the result indexes the recorder's typed counters.
 */
import { FailureIndex } from '../metrics/types.js';

/** Node socket codes that mean the connection is gone or could not be made. */
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ECONNABORTED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTCONN',
  'ERR_STREAM_DESTROYED',
  'ERR_SOCKET_CLOSED',
]);

export function classifyError(code: string, message: string): FailureIndex {
  switch (code) {
    case '40001':
      return FailureIndex.Serialization;
    case '40P01':
      return FailureIndex.Deadlock;
    case '57P01': // admin_shutdown
    case '57P02': // crash_shutdown
    case '57P03': // cannot_connect_now
      return FailureIndex.Connection;
    case '57014': // query_canceled (statement_timeout)
    case '55P03': // lock_not_available (lock_timeout)
    case 'PGSURGE_TIMEOUT': // client-side timeouts
    case 'ETIMEDOUT': // the OS gave up on the socket: a timeout, not a reset
      return FailureIndex.Timeout;
    case '25006':
      return FailureIndex.ReadOnly;
    default:
      break;
  }
  if (code.length === 5) {
    const cls = code.slice(0, 2);
    if (cls === '08') return FailureIndex.Connection;
    if (cls === '53') return FailureIndex.Capacity;
    if (cls === '23') return FailureIndex.Constraint;
  }
  if (CONNECTION_CODES.has(code)) return FailureIndex.Connection;
  if (message.includes('Connection terminated') || message.includes('connection terminated')) return FailureIndex.Connection;
  return FailureIndex.Other;
}

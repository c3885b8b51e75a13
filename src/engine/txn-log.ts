/**
 * `--log FILE`: one line per transaction of the measured phase, in pgbench's `-l` format
 * ("client_id transaction_no time script_no time_epoch time_us [schedule_lag]"): `time` is the
 * latency in µs (from the scheduled start, as every pgsurge latency) or `failed`; the epoch time
 * is when it ended; `schedule_lag` (µs) only for an open loop, as pgbench writes it only with -R.
 * Exactly the transactions the histograms hold (the caller logs where it records).
 *
 * Off the hot path's budget: lines are buffered and written by the worker when it cuts an interval
 * snapshot (appended with O_APPEND, so the workers of a run share one file without interleaving
 * lines); the file gets one write per worker per interval.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export class TxnLog {
  private fd: number;
  private buf = '';
  /** Wall-clock µs minus the monotonic clock's µs, taken once. */
  private readonly epochOffsetUs: number;

  constructor(
    path: string,
    private readonly openLoop: boolean,
    nowUs: number,
  ) {
    this.fd = openSync(path, 'a');
    this.epochOffsetUs = Date.now() * 1000 - nowUs;
  }

  /** A finished transaction; `latencyUs` null when it failed. */
  txn(clientId: number, txnNo: number, latencyUs: number | null, script: number, endUs: number, lagUs: number): void {
    const epochUs = Math.round(this.epochOffsetUs + endUs);
    const s = Math.floor(epochUs / 1e6);
    this.buf += `${clientId} ${txnNo} ${latencyUs === null ? 'failed' : Math.round(latencyUs)} ${script} ${s} ${epochUs - s * 1e6}${this.openLoop ? ` ${Math.max(0, Math.round(lagUs))}` : ''}\n`;
  }

  flush(): void {
    if (this.buf === '' || this.fd < 0) return;
    writeSync(this.fd, this.buf);
    this.buf = '';
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

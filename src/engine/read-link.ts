/**
 * A client's second session, to a replica, for transaction types that only read (read routing:
 * --replica, --route-reads). It forwards the session's callbacks to its client and re-opens itself with backoff when
 * the replica goes away; while it is down, the client runs its reads on the primary.
 */
import type { PgErrorInfo, QueryRows, Session, SessionHandler } from '../driver/types.js';

export interface ReadLinkOwner {
  onQueryDone(err: PgErrorInfo | null, rows: QueryRows | null): void;
  onReplicaLost(err: PgErrorInfo): void;
}

const MIN_MS = 50;
const MAX_MS = 2000;

export class ReadLink implements SessionHandler {
  session: Session | null = null;
  /** Index of the session's host in the worker's host table (per-host figures). */
  hostIdx = 0;
  private delayMs = MIN_MS;
  private closed = false;

  constructor(
    private readonly owner: ReadLinkOwner,
    private readonly open: () => Promise<Session>,
    private readonly hostIndexOf: (s: Session) => number,
    private readonly setTimer: (fn: () => void, ms: number) => unknown,
  ) {}

  attach(s: Session): void {
    this.session = s;
    this.hostIdx = this.hostIndexOf(s);
    this.delayMs = MIN_MS;
    s.setHandler(this);
  }

  onQueryDone(err: PgErrorInfo | null, rows: QueryRows | null): void {
    this.owner.onQueryDone(err, rows);
  }

  onClose(err: PgErrorInfo): void {
    this.session = null;
    this.owner.onReplicaLost(err);
    this.reconnect();
  }

  /** Drop the session (a client-side timeout) and re-open it in the background. */
  drop(): void {
    const s = this.session;
    this.session = null;
    s?.destroy();
    this.reconnect();
  }

  reconnect(): void {
    if (this.closed) return;
    this.setTimer(() => {
      if (this.closed) return;
      this.open().then(
        (s) => {
          if (this.closed) void s.close();
          else this.attach(s);
        },
        () => {
          this.delayMs = Math.min(MAX_MS, this.delayMs * 2);
          this.reconnect();
        },
      );
    }, this.delayMs);
  }

  async close(busy: boolean): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = null;
    if (s === null) return;
    if (busy) s.destroy();
    else await s.close().catch(() => undefined);
  }
}

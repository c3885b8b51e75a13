/**
 * The UI's one push channel: an append-only log of events with increasing ids. Subscribers (SSE
 * connections) get every event as it is appended; one that reconnects asks for the events after
 * the last id it saw and gets them replayed, so nothing is missed across a reconnect. The same
 * events are readable after the fact (`since`).
 *
 * Bounded: past MAX_EVENTS the oldest are dropped (a replay from before them starts at the oldest
 * kept; a finished run's figures are in its result, not in the log). Appending never waits on a
 * subscriber: a listener must not block (the SSE writer drops a connection that falls behind).
 */
export type UiEventType = 'run' | 'interval' | 'server' | 'finding' | 'stage' | 'log' | 'load' | 'end';

export interface UiEvent {
  readonly id: number;
  readonly type: UiEventType;
  /** The run (or data load) it belongs to. */
  readonly run: string;
  /** ISO time of the append. */
  readonly at: string;
  readonly data: unknown;
}

const MAX_EVENTS = 200_000;

export class EventLog {
  private readonly events: UiEvent[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(e: UiEvent) => void>();

  append(type: UiEventType, run: string, data: unknown): UiEvent {
    const e: UiEvent = { id: this.nextId++, type, run, at: new Date().toISOString(), data };
    this.events.push(e);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* one subscriber's failure must not keep the event from the others */
      }
    }
    return e;
  }

  /** The events after `afterId` (0: all kept), of one run when given. */
  since(afterId: number, run?: string): UiEvent[] {
    // Ids increase by one: the first event after afterId is found by arithmetic, not a scan.
    const first = this.events[0]?.id ?? this.nextId;
    const from = Math.max(0, afterId + 1 - first);
    const out = this.events.slice(from);
    return run === undefined ? out : out.filter((e) => e.run === run);
  }

  /** Calls `listener` for each event appended from now on; returns the unsubscribe. */
  subscribe(listener: (e: UiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get lastId(): number {
    return this.nextId - 1;
  }
}

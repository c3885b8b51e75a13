/**
 * A part of a run (`run --shard K/N`) keeps what the merge needs: every worker thread's interval
 * snapshots folded into one per interval, with the part's place in the run and the configuration
 * the parts share (identity.ts). The result's `shard` section (src/report/shard-schema.ts).
 */
import type { ShardPart } from '../executor/types.js';
import type { IntervalSnapshot } from '../metrics/snapshot.js';
import { FAILURE_CLASSES, type MetricsLayout } from '../metrics/types.js';
import type { ShardSection, WireSnapshot } from '../report/shard-schema.js';
import { identityOf } from './identity.js';
import { emptySnapshot, SnapshotLog } from './snapshots.js';

export class ShardRecorder {
  private readonly log: SnapshotLog;
  private readonly identity: string;

  constructor(
    private readonly part: ShardPart,
    redactedConfig: Readonly<Record<string, unknown>>,
    private readonly runId: string | undefined,
    private readonly intervalMs: number,
    private readonly layout: MetricsLayout,
  ) {
    this.identity = identityOf(redactedConfig);
    this.log = new SnapshotLog(layout.txnTypes.map((t) => t.statements.length));
  }

  add(s: IntervalSnapshot): void {
    this.log.add(s);
  }

  private readonly empty = (i: number): IntervalSnapshot =>
    emptySnapshot(
      i,
      this.layout.txnTypes.map((t) => t.statements.length),
      FAILURE_CLASSES.length,
    );

  /** An interval's snapshot of this part, once the run has emitted it (every worker thread in it). */
  intervalWire(index: number): WireSnapshot {
    return this.log.wireOf(index, this.empty);
  }

  section(): ShardSection {
    return {
      runId: this.runId ?? this.identity,
      identity: this.identity,
      n: this.part.n,
      parts: [this.part.k],
      k: this.part.k,
      intervalMs: this.intervalMs,
      layout: { txnTypes: this.layout.txnTypes.map((t) => ({ name: t.name, statements: [...t.statements] })) },
      snapshots: this.log.wire(this.empty),
    };
  }
}

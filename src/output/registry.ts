/**
 * The live outputs of a run, made from its options in one place (no import side effects): the
 * server observer and the server time per statement (unless --no-observe), the Prometheus exporter (--prometheus ADDR) fed by the
 * observer's samples, and the progress line (-P). Validates ADDR at once (a usage error, exit 2)
 * so a bad address fails before any load.
 */
import { createServerObserver } from '../observe/server-observer.js';
import { createStatementTimeObserver } from '../observe/statement-time.js';
import { createProgressOutput, type ProgressOptions } from './progress.js';
import { startPrometheus } from './prometheus.js';
import type { LiveOutput } from './types.js';
import type { ServerMetricsSpec } from '../observe/node-exporter.js';

export interface RunOutputOptions {
  /** Sample the server (false with --no-observe). */
  readonly observe?: boolean;
  /** --prometheus ADDR (":9464", "0.0.0.0:9464"). */
  readonly prometheus?: string | undefined;
  /** The progress line; none when absent or when its `everyMs` is undefined. */
  readonly progress?: ProgressOptions | undefined;
  /** Workload tables besides pgbench_* to sample (sizes, rows, autovacuum); the run adds its workloads' own. */
  readonly tables?: readonly string[];
  /** --server-metrics: node_exporter endpoints of the servers' machines. */
  readonly serverMetrics?: readonly ServerMetricsSpec[];
}

export function createRunOutputs(opts: RunOutputOptions): LiveOutput[] {
  const prom = opts.prometheus === undefined ? undefined : startPrometheus(opts.prometheus);
  const out: LiveOutput[] = [];
  if (opts.observe === true) {
    out.push(
      createServerObserver({
        ...(opts.tables === undefined ? {} : { tables: opts.tables }),
        ...(opts.serverMetrics === undefined ? {} : { serverMetrics: opts.serverMetrics }),
        ...(prom === undefined ? {} : { onSample: (s) => prom.observeServer(s), onFacts: (f) => prom.observeFacts(f) }),
      }),
      // After the observer: stopped after it, so its last snapshot is not held back.
      createStatementTimeObserver(),
    );
  }
  if (prom !== undefined) out.push(prom);
  if (opts.progress?.everyMs !== undefined) out.push(createProgressOutput(opts.progress));
  return out;
}

/**
 * The CLI's server observer and Prometheus exporter: a thin delegate to src/output's factory
 * (createRunOutputs), kept so that callers of `observeOutputs` go on working.
 */
import { createRunOutputs } from '../output/registry.js';
import type { LiveOutput } from '../output/types.js';

export interface ObserveOptions {
  /** false with --no-observe. */
  readonly observe: boolean;
  /** --prometheus ADDR (":9464", "0.0.0.0:9464"). */
  readonly prometheus?: string | undefined;
  /** Workload tables besides pgbench_* to report sizes and autovacuum of. */
  readonly tables?: readonly string[];
}

export function observeOutputs(opts: ObserveOptions): LiveOutput[] {
  return createRunOutputs(opts);
}

/**
 * The outputs of issue 6 as the CLI wires them: the server observer (unless --no-observe) and the
 * Prometheus exporter (--prometheus ADDR), the observer feeding the exporter's server metrics.
 * Validates ADDR at once (a usage error, exit 2) so a bad address fails before any load.
 */
import type { LiveOutput } from '../output/types.js';
import { startPrometheus } from '../output/prometheus.js';
import { createServerObserver } from './server-observer.js';

export interface ObserveOptions {
  /** false with --no-observe. */
  readonly observe: boolean;
  /** --prometheus ADDR (":9464", "0.0.0.0:9464"). */
  readonly prometheus?: string | undefined;
  /** Workload tables besides pgbench_* to report sizes and autovacuum of. */
  readonly tables?: readonly string[];
}

export function observeOutputs(opts: ObserveOptions): LiveOutput[] {
  const prom = opts.prometheus === undefined ? undefined : startPrometheus(opts.prometheus);
  const out: LiveOutput[] = [];
  if (opts.observe) {
    out.push(
      createServerObserver({
        ...(opts.tables === undefined ? {} : { tables: opts.tables }),
        ...(prom === undefined ? {} : { onSample: (s) => prom.observeServer(s) }),
      }),
    );
  }
  if (prom !== undefined) out.push(prom);
  return out;
}

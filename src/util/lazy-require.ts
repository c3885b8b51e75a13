/**
 * A CommonJS package loaded on its first use instead of when the importing module loads. For the
 * packages only some commands reach (Prometheus exposition, YAML, Student's t, COPY streams): every
 * `pgsurge run` imports the modules that name them. Loading prom-client (with OpenTelemetry), yaml,
 * jstat and pg-copy-streams on first use took a `run` that fails at once from 0.67 s to 0.59 s wall
 * and from 0.85 s to 0.66 s CPU (medians of 5 alternating runs on this machine); the test suite
 * spawns some 600 of them. The type comes from a type-only import at the call site.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}

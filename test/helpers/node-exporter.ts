/**
 * A Prometheus node_exporter (Debian's prometheus-node-exporter) on a free loopback port, for tests
 * of --server-metrics. Only the collectors pgsurge reads are on, so it answers quickly. Stopped in
 * the calling file's `after`, also when a test fails.
 */
import { spawn } from 'node:child_process';
import { after } from 'node:test';
import { freePort } from '../../src/local/server.js';

export const NODE_EXPORTER = process.env['NODE_EXPORTER'] ?? '/usr/bin/prometheus-node-exporter';
/** Generous: only catches an exporter that never comes up. */
const READY_DEADLINE_MS = 30_000;

export interface TestNodeExporter {
  readonly url: string;
  /** One scrape, as text. */
  scrape(): Promise<string>;
}

export async function startNodeExporter(): Promise<TestNodeExporter> {
  const port = await freePort();
  const child = spawn(
    NODE_EXPORTER,
    [
      `--web.listen-address=127.0.0.1:${port}`,
      '--collector.disable-defaults',
      '--collector.cpu',
      '--collector.meminfo',
      '--collector.diskstats',
      '--collector.netdev',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}/metrics`;
  const scrape = async (): Promise<string> => {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`node_exporter: HTTP ${res.status}`);
    return await res.text();
  };
  const until = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    try {
      await scrape();
      return { url, scrape };
    } catch (e) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`node_exporter did not come up on ${url}: ${String(e)}\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

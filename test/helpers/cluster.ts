/** Cluster helpers shared by tests: plain SQL on a node, and replication through a fault proxy. */
import pg from 'pg';
import type { LocalCluster } from '../../src/local/cluster.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

export async function sql(url: string, text: string): Promise<pg.QueryResultRow[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Point the first replica's walreceiver at a proxy in front of the primary, and wait until it
 * streams through it; the proxy can then delay or cut replication. The caller closes the proxy.
 */
export async function streamThroughProxy(cluster: LocalCluster): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: cluster.primary.port });
  const r = cluster.replicas[0]!;
  await sql(r.url, `ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=${proxy.port} user=postgres application_name=${r.name}'`);
  await sql(r.url, 'SELECT pg_reload_conf()');
  const deadline = Date.now() + 20_000;
  while (proxy.connections() === 0 || (await sql(cluster.primary.url, "SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")).length === 0) {
    if (Date.now() > deadline) {
      await proxy.close();
      throw new Error('the replica does not stream through the proxy');
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return proxy;
}

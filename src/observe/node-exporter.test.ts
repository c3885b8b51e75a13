import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PgsurgeError } from '../errors.js';
import { machineBetween } from './machine-stats.js';
import { parseNodeExporter, parseServerMetrics } from './node-exporter.js';

const scrape = (cpu0Busy: number, cpu0Idle: number, ios = 0): string =>
  [
    '# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.',
    '# TYPE node_cpu_seconds_total counter',
    `node_cpu_seconds_total{cpu="0",mode="idle"} ${cpu0Idle}`,
    'node_cpu_seconds_total{cpu="0",mode="iowait"} 5',
    `node_cpu_seconds_total{cpu="0",mode="user"} ${cpu0Busy}`,
    'node_cpu_seconds_total{cpu="0",mode="system"} 10',
    'node_memory_MemTotal_bytes 8.589934592e+09',
    'node_memory_MemAvailable_bytes 4.294967296e+09',
    'node_disk_read_bytes_total{device="vda"} 1000',
    'node_disk_read_bytes_total{device="vda1"} 900',
    'node_disk_written_bytes_total{device="vda"} 2000',
    `node_disk_reads_completed_total{device="vda"} ${100 + ios}`,
    `node_disk_reads_completed_total{device="vda1"} ${90 + ios}`,
    `node_disk_writes_completed_total{device="vda"} ${200 + 2 * ios}`,
    'node_network_receive_bytes_total{device="eth0"} 300',
    'node_network_receive_bytes_total{device="lo"} 99999',
    'node_network_transmit_bytes_total{device="eth0"} 400 1700000000000',
    'go_goroutines 8',
  ].join('\n');

test('node_exporter text: CPU busy share, memory as given, whole disks only, loopback left out', () => {
  const a = parseNodeExporter(scrape(100, 1000), 0);
  assert.equal(a.memoryTotalBytes, 8_589_934_592);
  assert.equal(a.diskReadBytes, 1000, 'the partition vda1 is inside vda');
  assert.equal(a.netReceiveBytes, 300);
  assert.equal(a.netTransmitBytes, 400, 'a sample timestamp is not the value');
  assert.equal(a.diskReads, 100, 'IOPS of whole disks only, like the bytes');
  const b = parseNodeExporter(scrape(103, 1001, 50), 2_000_000);
  const u = machineBetween(a, b, 'http://x/metrics');
  assert.equal(u.diskReadsPerS, 25, '50 reads in 2 s');
  assert.equal(u.diskWritesPerS, 50);
  assert.equal(u.cpuPct, 75, '3 s busy of 4 s');
  assert.equal(u.memoryAvailableBytes, 4_294_967_296);
  assert.equal(u.diskReadBytesPerS, 0);
});

test('text without node_* CPU or memory series is refused, saying what is missing', () => {
  assert.throws(() => parseNodeExporter('<html><body>Node Exporter</body></html>', 0), /not node_exporter metrics \(no node_cpu_seconds_total/);
  assert.throws(() => parseNodeExporter('pgsurge_tps 5\n', 0), /not node_exporter metrics/);
});

test('--server-metrics values: URL, HOST=URL, HOST:PORT=URL; usage errors name the value as typed, never a password', () => {
  assert.deepEqual(parseServerMetrics('http://db1:9100/metrics', '--server-metrics'), { url: 'http://db1:9100/metrics' });
  assert.deepEqual(parseServerMetrics('db1=http://10.0.0.5:9100/metrics', '--server-metrics'), { host: 'db1', url: 'http://10.0.0.5:9100/metrics' });
  assert.deepEqual(parseServerMetrics('db1:5432=https://db1:9100/metrics', '--server-metrics'), { host: 'db1:5432', url: 'https://db1:9100/metrics' });
  const bad = (t: string): string => {
    try {
      parseServerMetrics(t, '--server-metrics');
    } catch (e) {
      assert.ok(e instanceof PgsurgeError);
      return e.message;
    }
    assert.fail(`${t} was accepted`);
  };
  assert.match(bad('db1:9100'), /not a URL/);
  assert.match(bad('file:///etc/passwd'), /expected an http:\/\/ or https:\/\/ URL/);
  assert.doesNotMatch(bad('ftp://u:Hidden-Pass-1@db1/'), /Hidden-Pass-1/);
});

/**
 * Machine figures of a server's host from a Prometheus node_exporter (`--server-metrics URL`), for
 * servers whose processes pgsurge cannot see in this machine's /proc.
 *
 * The exposition is read with a small parser of its own: only the nine node_* series below are
 * kept, each a `name{labels} value` line of the text format (version 0.0.4, what node_exporter
 * serves by default); comments, timestamps and every other family are skipped. That subset of the
 * grammar is a few lines, while the npm parsers of the whole format are unmaintained or bring a
 * dependency tree (prom-client, already here, only writes the format).
 *
 * Every fetch has a client-side deadline and a size cap, so a stalled or endless endpoint costs one
 * interval's figures and nothing else.
 */
import { usageError } from '../errors.js';
import { redact } from '../config/redact.js';
import { EXCLUDED_DISK, type MachineReading } from './machine-stats.js';

/** `--server-metrics [HOST=]URL`: the endpoint, and the sampled host it belongs to when given. */
export interface ServerMetricsSpec {
  /** "host" or "host:port" as in the target; absent: the k-th bare URL goes to the k-th sampled host. */
  readonly host?: string | undefined;
  readonly url: string;
}

/** node_exporter's output is ~0.1–1 MB; far more is not node_exporter. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** `[HOST=]URL` → a spec; a usage error naming the option as typed otherwise. */
export function parseServerMetrics(text: string, label: string): ServerMetricsSpec {
  const eq = /^([^=/:@\s]+(?::\d+)?)=(.+)$/.exec(text);
  const host = eq?.[1];
  const rawUrl = eq?.[2] ?? text;
  const shown = `${label} ${redact(text)}`;
  let url: URL;
  try {
    // "HOST:9100" would parse as a URL of scheme "host:": a URL here has its "//".
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(rawUrl)) throw new Error('no scheme');
    url = new URL(rawUrl);
  } catch {
    throw usageError(
      'BAD_OPTIONS',
      `${shown}: not a URL; expected http://HOST:9100/metrics (a node_exporter), optionally after HOST= to name the server's host`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError('BAD_OPTIONS', `${shown}: expected an http:// or https:// URL (a node_exporter's /metrics), got ${url.protocol.replace(/:$/, '')}://`);
  }
  if (url.hostname === '') throw usageError('BAD_OPTIONS', `${shown}: the URL names no host`);
  return host === undefined ? { url: rawUrl } : { host, url: rawUrl };
}

/** The URL as it may be shown or stored: no password. */
export function shownUrl(url: string): string {
  return redact(url);
}

interface Wanted {
  cpuBusyS: number;
  cpuTotalS: number;
  cpuSeen: boolean;
  memoryTotalBytes: number | null;
  memoryAvailableBytes: number | null;
  diskReadBytes: number | null;
  diskWrittenBytes: number | null;
  diskReads: number | null;
  diskWrites: number | null;
  netReceiveBytes: number | null;
  netTransmitBytes: number | null;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function labelValue(labels: string, name: string): string | undefined {
  for (const m of labels.matchAll(LABEL)) if (m[1] === name) return m[2];
  return undefined;
}

const add = (a: number | null, v: number): number => (a ?? 0) + v;

/**
 * The exposition text → cumulative counters of the machine. Throws (a plain Error, said as the
 * interval's reason) when the text holds neither CPU nor memory series: not a node_exporter.
 */
export function parseNodeExporter(text: string, atUs: number): MachineReading {
  const w: Wanted = {
    cpuBusyS: 0,
    cpuTotalS: 0,
    cpuSeen: false,
    memoryTotalBytes: null,
    memoryAvailableBytes: null,
    diskReadBytes: null,
    diskWrittenBytes: null,
    diskReads: null,
    diskWrites: null,
    netReceiveBytes: null,
    netTransmitBytes: null,
  };
  for (const line of text.split('\n')) {
    if (!line.startsWith('node_')) continue; // comments, blank lines, other families
    const m = LINE.exec(line);
    if (m === null) continue;
    const [, name, labels = '', raw] = m;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    switch (name) {
      case 'node_cpu_seconds_total': {
        const mode = labelValue(labels, 'mode');
        w.cpuSeen = true;
        w.cpuTotalS += value;
        if (mode !== 'idle' && mode !== 'iowait') w.cpuBusyS += value;
        break;
      }
      case 'node_memory_MemTotal_bytes':
        w.memoryTotalBytes = value;
        break;
      case 'node_memory_MemAvailable_bytes':
        w.memoryAvailableBytes = value;
        break;
      case 'node_disk_read_bytes_total':
      case 'node_disk_written_bytes_total': {
        if (EXCLUDED_DISK.test(labelValue(labels, 'device') ?? '')) break;
        if (name === 'node_disk_read_bytes_total') w.diskReadBytes = add(w.diskReadBytes, value);
        else w.diskWrittenBytes = add(w.diskWrittenBytes, value);
        break;
      }
      case 'node_disk_reads_completed_total':
      case 'node_disk_writes_completed_total': {
        if (EXCLUDED_DISK.test(labelValue(labels, 'device') ?? '')) break;
        if (name === 'node_disk_reads_completed_total') w.diskReads = add(w.diskReads, value);
        else w.diskWrites = add(w.diskWrites, value);
        break;
      }
      case 'node_network_receive_bytes_total':
      case 'node_network_transmit_bytes_total': {
        if (labelValue(labels, 'device') === 'lo') break;
        if (name === 'node_network_receive_bytes_total') w.netReceiveBytes = add(w.netReceiveBytes, value);
        else w.netTransmitBytes = add(w.netTransmitBytes, value);
        break;
      }
      default:
        break;
    }
  }
  if (!w.cpuSeen && w.memoryTotalBytes === null) {
    throw new Error('the answer is not node_exporter metrics (no node_cpu_seconds_total or node_memory_MemTotal_bytes in it)');
  }
  return {
    atUs,
    cpuBusyS: w.cpuSeen ? w.cpuBusyS : null,
    cpuTotalS: w.cpuSeen ? w.cpuTotalS : null,
    memoryTotalBytes: w.memoryTotalBytes,
    memoryAvailableBytes: w.memoryAvailableBytes,
    diskReadBytes: w.diskReadBytes,
    diskWrittenBytes: w.diskWrittenBytes,
    diskReads: w.diskReads,
    diskWrites: w.diskWrites,
    netReceiveBytes: w.netReceiveBytes,
    netTransmitBytes: w.netTransmitBytes,
  };
}

/** Why a fetch failed, in a user's words (Node's fetch says only "fetch failed" and hides the cause). */
function fetchFailure(e: unknown, deadlineMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${deadlineMs} ms`;
  const cause = e instanceof Error ? (e.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause !== undefined) {
    const code = typeof cause.code === 'string' ? cause.code : undefined;
    const message = typeof cause.message === 'string' ? cause.message : '';
    if (/wrong version number|packet length too long|unknown protocol|EPROTO/i.test(`${code ?? ''} ${message}`)) {
      return 'TLS handshake failed: the other side does not speak TLS (is it http:// rather than https://?)';
    }
    if (message === 'bad port') return 'fetch refuses this port (one of the ports browsers block); run node_exporter on another (9100 is its default)';
    if (code === 'ECONNREFUSED') return 'connection refused (is node_exporter running and listening there?)';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
    if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME/i.test(code))
      return `TLS: the endpoint's certificate is not trusted (${code}; NODE_EXTRA_CA_CERTS=FILE adds a CA)`;
    if (code?.startsWith('HPE_') === true) return `the other side does not answer in HTTP (${message})`;
    return message !== '' ? message : (code ?? 'fetch failed');
  }
  return e instanceof Error ? e.message : String(e);
}

/** Reads at most MAX_BODY_BYTES of the body; more is refused (and the transfer cancelled). */
async function readCapped(res: Response): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`the answer is larger than ${MAX_BODY_BYTES / 1048576} MB: not node_exporter metrics`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One reading from `url`, within `deadlineMs`. Credentials in the URL become a Basic authorization
 * header (fetch refuses URLs with credentials). Throws an Error whose message says why, without the
 * URL (the caller names the endpoint, redacted).
 */
export async function fetchNodeExporter(url: string, deadlineMs: number, nowUs: () => number): Promise<MachineReading> {
  const u = new URL(url);
  const headers: Record<string, string> = { accept: 'text/plain;version=0.0.4' };
  if (u.username !== '' || u.password !== '') {
    const user = decodeURIComponent(u.username);
    const password = decodeURIComponent(u.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  const signal = AbortSignal.timeout(deadlineMs);
  const startUs = nowUs();
  let text: string;
  try {
    const res = await fetch(u, { headers, signal, redirect: 'error' });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP ${res.status}${res.statusText === '' ? '' : ` ${res.statusText}`}`);
    }
    text = await readCapped(res);
  } catch (e) {
    if (e instanceof Error && /^(HTTP \d|the answer)/.test(e.message)) throw e;
    throw new Error(fetchFailure(e, deadlineMs), { cause: e });
  }
  // node_exporter reads its counters while it answers: the middle of the request is the best guess.
  return parseNodeExporter(text, Math.round((startUs + nowUs()) / 2));
}

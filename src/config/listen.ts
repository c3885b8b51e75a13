/** Listen addresses users type (`--prometheus`): checked with the other options, before anything starts. */
import { PgsurgeError, usageError } from '../errors.js';

/** ":9464" → loopback; "0.0.0.0:9464", "[::1]:9464", "9464". */
export function parseListen(listen: string, option = '--prometheus'): { host: string; port: number } {
  const text = listen.trim();
  const bad = (): PgsurgeError => usageError('BAD_LISTEN', `${option}: expected [HOST]:PORT (e.g. ":9464" or "0.0.0.0:9464"), got "${listen}"`);
  let host = '';
  let portText = text;
  if (!/^\d+$/.test(text)) {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw bad();
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535) || /[\s[\]]/.test(host)) throw bad();
  return { host: host === '' ? '127.0.0.1' : host, port };
}

/** Whether a host name or address is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

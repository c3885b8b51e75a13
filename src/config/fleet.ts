/**
 * `--fleet HOSTS`: the machines a coordinator runs the parts of a run on, over the system's
 * OpenSSH client: `[user@]host[:port]` separated by commas, or `@FILE` with one per line (`#`
 * comments). The user's ssh config, agent, known_hosts and jump hosts apply as they are.
 */
import { readFileSync } from 'node:fs';
import { usageError } from '../errors.js';

export interface FleetHost {
  /** As given, for messages: "user@vm1:2222". */
  readonly label: string;
  /** ssh's destination: "user@vm1". */
  readonly destination: string;
  readonly port?: number | undefined;
}

function parseHost(text: string, label: string): FleetHost {
  const t = text.trim();
  const m = /^(?:([^@\s]+)@)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(t);
  if (m === null) throw usageError('BAD_OPTIONS', `${label}: "${t}" is not [user@]host[:port]`);
  const host = m[2]!.replace(/^\[(.*)\]$/, '$1');
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw usageError('BAD_OPTIONS', `${label}: port ${port} of "${t}" is out of range`);
  return { label: t, destination: `${m[1] === undefined ? '' : `${m[1]}@`}${host}`, ...(port === undefined ? {} : { port }) };
}

export function parseFleet(text: string, label: string): FleetHost[] {
  let items: string[];
  if (text.startsWith('@')) {
    const file = text.slice(1);
    let body: string;
    try {
      body = readFileSync(file, 'utf8');
    } catch (e) {
      throw usageError('BAD_OPTIONS', `${label}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    items = body
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== '');
  } else items = text.split(',').filter((x) => x.trim() !== '');
  if (items.length === 0) throw usageError('BAD_OPTIONS', `${label}: no host given`);
  const hosts = items.map((x) => parseHost(x, label));
  const seen = new Set<string>();
  for (const h of hosts) {
    if (seen.has(h.label)) throw usageError('BAD_OPTIONS', `${label}: ${h.label} is given twice (use --shards-per-host for several parts on one machine)`);
    seen.add(h.label);
  }
  return hosts;
}

/**
 * A real OpenSSH server (Debian's openssh-server) on loopback addresses for fleet tests: host and
 * client keys made for the test, public-key login as the user running the tests, one port on every
 * address given (127.0.0.2, 127.0.0.3, … are all loopback on Linux). Stopped by `after`.
 */
import { after } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = process.env['SSHD'] ?? '/usr/sbin/sshd';

export interface TestSshd {
  readonly port: number;
  /** `--ssh-option` values that log in with the test's key and known_hosts. */
  readonly sshOptions: readonly string[];
  /** Kill the server (the sessions' processes end with their connections). */
  stop(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function accepting(host: string, port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host, port });
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`sshd did not accept on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startSshd(addresses: readonly string[]): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-sshd-'));
  for (const key of ['host_key', 'client_key']) {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, key)]);
    if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr.toString()}`);
  }
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const port = await freePort(addresses[0]!);
  const config = [
    `Port ${port}`,
    ...addresses.map((a) => `ListenAddress ${a}`),
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'LogLevel ERROR',
  ].join('\n');
  writeFileSync(join(dir, 'sshd_config'), `${config}\n`);
  // Privilege separation needs this directory when sshd runs as root.
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true });
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  after(stop);
  try {
    for (const a of addresses) await accepting(a, port, 10_000);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}: ${err}`);
  }
  return {
    port,
    sshOptions: [
      `IdentityFile=${join(dir, 'client_key')}`,
      'IdentitiesOnly=yes',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      'StrictHostKeyChecking=accept-new',
      'ConnectTimeout=10',
    ],
    stop,
  };
}

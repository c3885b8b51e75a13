/**
 * The Node.js floor for bench case 1: the least a Node client can do per select-only transaction,
 * to put pgsurge's figures beside what the runtime itself costs. It is the raw-socket sketch of
 * issue 3: worker threads, plain sockets with `onread` into one reused buffer, a prebuilt
 * Bind/Execute/Sync with the parameter patched in place, only message boundaries parsed, no
 * metrics, no scripts, no error handling beyond giving up. Trust authentication only (the bench's
 * throwaway server); not a tool, a yardstick.
 *
 *   node dist/bench/node-floor.js HOST PORT USER DATABASE CLIENTS THREADS SECONDS SCALE
 *
 * Prints one JSON line: {"transactions": N, "tps": X} over the timed phase (after every connection
 * is ready).
 */
import net from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

interface Job {
  host: string;
  port: number;
  user: string;
  database: string;
  clients: number;
  scale: number;
  /** Shared: [0] connections ready, [1] go (1) / stop (2). */
  flags: SharedArrayBuffer;
}

const SQL = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';
const DIGITS = 10; // aid as text, zero-padded to a fixed width so the Bind never changes length

function message(type: string, body: Buffer): Buffer {
  const b = Buffer.alloc(5 + body.length);
  b.write(type, 0, 'latin1');
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}
const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);

function startup(user: string, database: string): Buffer {
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), cstr('user'), cstr(user), cstr('database'), cstr(database), Buffer.from([0])]);
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(4 + body.length, 0);
  body.copy(b, 4);
  return b;
}

function runWorker(job: Job): void {
  const flags = new Int32Array(job.flags);
  const rows = 100_000 * job.scale;
  let count = 0;
  let stopping = false;
  const parse = Buffer.concat([message('P', Buffer.concat([cstr('s'), cstr(SQL), Buffer.from([0, 0])])), message('S', Buffer.alloc(0))]);
  for (let c = 0; c < job.clients; c++) {
    const readBuf = Buffer.allocUnsafe(65536);
    const bind = message(
      'B',
      Buffer.concat([cstr(''), cstr('s'), Buffer.from([0, 0, 0, 1, 0, 0, 0, DIGITS]), Buffer.alloc(DIGITS, 0x30), Buffer.from([0, 0])]),
    );
    const request = Buffer.concat([bind, message('E', Buffer.concat([cstr(''), Buffer.from([0, 0, 0, 0])])), message('S', Buffer.alloc(0))]);
    const valueAt = bind.length - 2 - DIGITS;
    let state = 0; // 0 startup, 1 parse, 2 ready, 3 running
    let carry = Buffer.alloc(0);
    const send = (): void => {
      let aid = 1 + Math.floor(Math.random() * rows);
      for (let i = valueAt + DIGITS - 1; i >= valueAt; i--) {
        request[i] = 0x30 + (aid % 10);
        aid = Math.floor(aid / 10);
      }
      socket.write(request);
    };
    const onReady = (): void => {
      if (state === 0) {
        state = 1;
        socket.write(parse);
      } else if (state === 1) {
        state = 2;
        Atomics.add(flags, 0, 1);
        Atomics.notify(flags, 0);
        const poll = (): void => {
          if (Atomics.load(flags, 1) === 0) {
            setTimeout(poll, 1);
            return;
          }
          state = 3;
          send();
        };
        poll();
      } else if (state === 3) {
        count++;
        if (Atomics.load(flags, 1) === 1) send();
        else if (!stopping) {
          stopping = true;
          parentPort!.postMessage(count);
        }
      }
    };
    const onread = (n: number): boolean => {
      let b = readBuf.subarray(0, n);
      if (carry.length > 0) b = Buffer.concat([carry, b]);
      let p = 0;
      while (p + 5 <= b.length) {
        const end = p + 1 + b.readInt32BE(p + 1);
        if (end > b.length) break;
        if (b[p] === 0x45) throw new Error(`server error: ${b.subarray(p + 5, end).toString('latin1')}`);
        if (b[p] === 0x5a) onReady();
        p = end;
      }
      carry = p < b.length ? Buffer.from(b.subarray(p)) : Buffer.alloc(0);
      return true;
    };
    const socket = net.connect({ host: job.host, port: job.port, onread: { buffer: readBuf, callback: onread } });
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(startup(job.user, job.database)));
    socket.on('error', (e) => {
      throw e;
    });
  }
}

async function main(): Promise<void> {
  const [host, port, user, database, clients, threads, seconds, scale] = process.argv.slice(2);
  const nThreads = Number(threads);
  const nClients = Number(clients);
  const flags = new SharedArrayBuffer(8);
  const f = new Int32Array(flags);
  const counts: Promise<number>[] = [];
  const workers: Worker[] = [];
  for (let t = 0; t < nThreads; t++) {
    const mine = Math.floor(nClients / nThreads) + (t < nClients % nThreads ? 1 : 0);
    const job: Job = { host: host!, port: Number(port), user: user!, database: database!, clients: mine, scale: Number(scale), flags };
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    workers.push(w);
    counts.push(
      new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }),
    );
  }
  // Every connection prepared: start the clock, run, stop.
  while (Atomics.load(f, 0) < nClients) await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  Atomics.store(f, 1, 1);
  process.stderr.write('node-floor: load started\n'); // for harnesses that profile the load phase
  await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
  Atomics.store(f, 1, 2);
  const elapsedS = (performance.now() - t0) / 1000;
  const transactions = (await Promise.all(counts)).reduce((a, b) => a + b, 0);
  process.stdout.write(`${JSON.stringify({ transactions, tps: transactions / elapsedS })}\n`);
  process.exit(0);
}

if (isMainThread) {
  main().catch((e: unknown) => {
    process.stderr.write(`node-floor: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
} else {
  runWorker(workerData as Job);
}

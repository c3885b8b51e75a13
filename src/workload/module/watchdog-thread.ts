/**
 * The watchdog thread (see watchdog.ts): while the main thread is armed, the heartbeat must move;
 * if it has not moved for the limit, the main thread is blocked in the armed user code.
 *
 * Then, in this order:
 * 1. the line for the user goes straight to fd 2 (a worker's process.stderr is relayed by the main
 *    thread, which is blocked);
 * 2. the main thread's JavaScript is cut short through the inspector (Runtime.terminateExecution
 *    interrupts even an endless loop), and a message tells it to exit: its 'exit' handlers run
 *    (throwaway servers are stopped) and the exit code is BLOCKED_EXIT_CODE (also when its event
 *    loop, with the blocked code gone, empties before the message is read: the FIRED flag);
 * 3. if the process still lives a few seconds later (no inspector in this Node build, or the
 *    main thread never got to the message), SIGKILL ends it: status 137, the line is already out.
 *
 * A SIGINT cannot be seen here (a worker gets no signals), and the main thread's handler for it
 * runs only once its event loop is free: Ctrl-C during such a loop takes effect when the limit
 * ends it.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import inspector from 'node:inspector';
import { FIRED, HEARTBEAT, type ToWatchdog, type WatchdogData } from './watchdog.js';

const data = workerData as WatchdogData;
const shared = new Int32Array(data.shared);
/** Armed calls by id, in the order they were armed (the last one is named). */
const armed = new Map<number, string>();
/** Wait for the main thread's own exit this long before SIGKILL. */
const EXIT_GRACE_MS = 5_000;
let lastBeat = Atomics.load(shared, HEARTBEAT);
let lastChangeMs = performance.now();
let fired = false;

parentPort!.on('message', (msg: ToWatchdog) => {
  switch (msg.type) {
    case 'arm':
      if (armed.size === 0) {
        lastBeat = Atomics.load(shared, HEARTBEAT);
        lastChangeMs = performance.now();
      }
      armed.set(msg.id, msg.label);
      break;
    case 'disarm':
      armed.delete(msg.id);
      break;
    default: {
      const never: never = msg;
      throw new Error(`unexpected message ${JSON.stringify(never)}`);
    }
  }
});

const check = setInterval(
  () => {
    const now = performance.now();
    const b = Atomics.load(shared, HEARTBEAT);
    if (armed.size === 0 || b !== lastBeat) {
      lastBeat = b;
      lastChangeMs = now;
      return;
    }
    if (now - lastChangeMs >= data.limitMs && !fired) fire([...armed.values()].at(-1)!);
  },
  Math.min(250, Math.max(10, data.limitMs / 4)),
);

function fire(label: string): void {
  fired = true;
  clearInterval(check);
  const limitS = Math.round(data.limitMs / 100) / 10;
  writeSync(
    2,
    `pgsurge: ${label} kept pgsurge busy for ${limitS} s without returning (an endless loop?), so pgsurge stopped: ` +
      `make it return (await slow work instead of waiting in a loop), or allow longer with ${data.limitEnv}=SECONDS\n`,
  );
  Atomics.store(shared, FIRED, 1);
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), EXIT_GRACE_MS);
  try {
    const session = new inspector.Session();
    session.connectToMainThread();
    // The main thread takes both in one interrupt, in order: the session is gone before it runs
    // on (at exit, Node would otherwise print that it waits for "the debugger").
    session.post('Runtime.terminateExecution');
    session.disconnect();
  } catch {
    // No inspector in this Node build: the SIGKILL above ends it.
  }
  parentPort!.postMessage('blocked');
}

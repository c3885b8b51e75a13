/**
 * Which workload-module function a worker thread is running, readable from the main thread while
 * that function never returns (an endless loop in `params()` blocks the worker's event loop, so it
 * cannot answer a message). The worker marks each call of a module function in a SharedArrayBuffer:
 * one Int32 store on entry (the function's id) and one on exit (0). That costs two typed-array
 * stores per call of user code on the hot path: no allocation, no message, no atomic fence (the
 * main thread reads the slot only after the worker has missed its deadline, so a stale read by a
 * few nanoseconds cannot matter).
 *
 * The names behind the ids are registered once, when the programs are built, and written into the
 * same buffer as lines of text (line k is the name of id k), so the main thread can name the
 * function without any message from the worker.
 *
 * Layout: Int32 [0] = id of the running module function (0: none), Int32 [1] = bytes of names
 * written, Int32 [2] = a heartbeat bumped while a function awaits (its event loop is free), then
 * the names (UTF-8, one per line) from byte 12 on.
 */

/** Bytes of one worker's marks: the two Int32 slots and room for the names of its functions. */
export const USER_CODE_BYTES = 32_768;
const NAMES_AT = 12;
const SLOTS = 3;

export class UserCodeMarks {
  private slots: Int32Array;
  private bytes: Uint8Array;
  private nextId = 1;
  private full = false;

  constructor(buffer: ArrayBufferLike = new ArrayBuffer(USER_CODE_BYTES)) {
    this.slots = new Int32Array(buffer, 0, SLOTS);
    this.bytes = new Uint8Array(buffer);
  }

  /** Use the worker's shared buffer (before any function is registered). */
  attach(buffer: SharedArrayBuffer): void {
    this.slots = new Int32Array(buffer, 0, SLOTS);
    this.bytes = new Uint8Array(buffer);
    this.nextId = 1;
    this.full = false;
  }

  /** An id for a module function, named as the user should read it; set-up time only. */
  register(name: string): number {
    const id = this.nextId++;
    const line = new TextEncoder().encode(`${name.replace(/\s+/g, ' ')}\n`);
    const used = this.slots[1]!;
    // Line k must stay the name of id k: from the first name that does not fit on, none is written,
    // and userCodeRunning names those ids generically.
    if (this.full || NAMES_AT + used + line.length > this.bytes.length) this.full = true;
    else {
      this.bytes.set(line, NAMES_AT + used);
      this.slots[1] = used + line.length;
    }
    return id;
  }

  /** Hot path: a module function with this id starts. */
  enter(id: number): void {
    this.slots[0] = id;
  }

  /** Hot path: the module function returned (or threw). */
  leave(): void {
    this.slots[0] = 0;
  }

  /** The running function awaits, so this thread's event loop still turns (not on the hot path). */
  beat(): void {
    Atomics.add(this.slots, 2, 1);
  }
}

/** Main thread: a worker's heartbeat; it stands still while the worker's event loop is blocked. */
export function userCodeBeat(buffer: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(buffer, 0, SLOTS), 2);
}

/**
 * The marks of this thread: ModuleRunner writes here. In a worker thread, worker-main attaches
 * the buffer the main thread watches; elsewhere (the main thread, tests) it is a private buffer.
 */
export const userCodeMarks = new UserCodeMarks();

/** Main thread: the name of the module function a worker is running, or undefined if none. */
export function userCodeRunning(buffer: SharedArrayBuffer): string | undefined {
  const slots = new Int32Array(buffer, 0, SLOTS);
  const id = Atomics.load(slots, 0);
  if (id <= 0) return undefined;
  const used = Math.min(Atomics.load(slots, 1), buffer.byteLength - NAMES_AT);
  // Copied out first: TextDecoder does not read shared memory.
  const text = new TextDecoder().decode(new Uint8Array(buffer, NAMES_AT, used).slice());
  const name = text.split('\n')[id - 1];
  return name === undefined || name === '' ? 'a function of a workload module' : name;
}

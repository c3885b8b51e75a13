/**
 * Clean-up at process exit for the throwaway servers, clusters and PgBouncers of src/local: one
 * 'exit' listener runs every registered callback. Exit handlers must be synchronous (signals,
 * rmSync), and one that throws must not keep the others from running.
 */
const callbacks = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const fn of callbacks) {
    try {
      fn();
    } catch {
      /* best effort: the process is exiting anyway */
    }
  }
}

/** Run `fn` when the process exits; the returned function unregisters it (idempotent). */
export function atExit(fn: () => void): () => void {
  // A wrapper of its own, so that registering the same function twice gives two entries.
  const entry = (): void => fn();
  callbacks.add(entry);
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
  }
  return () => {
    callbacks.delete(entry);
  };
}

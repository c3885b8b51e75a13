/** A writable stream that keeps what is written to it, for a CliIO's stdout and stderr in tests. */
import { Writable } from 'node:stream';

export function textSink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      w.text += chunk.toString();
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

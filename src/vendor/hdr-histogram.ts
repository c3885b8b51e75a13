/**
 * The parts of hdr-histogram-js that src/metrics/histogram.ts uses (nothing else imports them).
 *
 * The parts, not the package's index: the index also loads HistogramLogWriter, which builds an
 * Intl.NumberFormat when it is loaded, and that maps 6-7 MiB of Node's ICU data into every process
 * running pgsurge (RssFile 40.9 → 47.9 MiB at that call in a run; 5.9 MiB in a bare `node -e`).
 *
 * The build (scripts/bundle-vendor.mjs) replaces this module's compiled file with them bundled
 * into one minified module (with pako, which their encoding loads): 42 CommonJS modules in
 * every thread, the main thread and each worker thread, become one.
 */
import builder from 'hdr-histogram-js/dist/HistogramBuilder.js';
import byteBuffer from 'hdr-histogram-js/dist/ByteBuffer.js';
import zigZag from 'hdr-histogram-js/dist/ZigZagEncoding.js';
import encoding from 'hdr-histogram-js/dist/encoding.js';
import jsHistogram from 'hdr-histogram-js/dist/JsHistogram.js';
import wasm from 'hdr-histogram-js/dist/wasm/index.js';

export { builder, byteBuffer, zigZag, encoding, jsHistogram, wasm };

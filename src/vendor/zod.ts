/**
 * zod, for every module of pgsurge that uses it: import `z` from here, not from 'zod'.
 *
 * The build (scripts/bundle-vendor.mjs) replaces this module's compiled file with zod bundled
 * into one minified module. zod 4 is 95 ES modules (63 of them locales, all loaded by its every
 * entry point), and each module has a cost of its own in V8 and Node's loader. Measured on this
 * machine, importing into a bare `node`: zod's own modules +8.0 MiB RssAnon, +4.3 MiB RssFile,
 * +3.0 MiB live heap after a full GC; the one bundled module +4.0, +0.6 and +1.7 MiB. Only the
 * main thread loads zod.
 */
export { z } from 'zod';

/** A word for a POSIX shell: ssh hands the remote command to the user's shell as one line. */
export { shellQuote } from '../util/shell-quote.js';

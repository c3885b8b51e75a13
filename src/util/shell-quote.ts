/** A word for a POSIX shell, unchanged when it needs no quotes (ssh and `sh -c` take one line). */
export const shellQuote = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

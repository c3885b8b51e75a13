/** pgbench's variable names (valid_variable_name): a letter, `_` or non-ASCII, then also digits. */
export const NAME_START = /[A-Za-z_\u0080-\uffff]/;
export const NAME_CHAR = /[A-Za-z0-9_\u0080-\uffff]/;
/** A whole string that is a valid variable name. */
export const VALID_NAME = new RegExp(`^${NAME_START.source}${NAME_CHAR.source}*$`);

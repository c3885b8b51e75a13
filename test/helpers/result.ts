/** Reading a run's result in tests: parsed by the published schema, so a test also checks the file's shape. */
import { readFileSync } from 'node:fs';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';

export function readResult(file: string): ResultV1 {
  return resultV1Schema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Every arrival ends in exactly one way: ok, failed, skipped, dropped or unfinished. */
export function countingRuleHolds(r: ResultV1): boolean {
  const s = r.summary;
  return s.arrivals === s.transactions + s.failed + s.skipped + s.dropped + s.unfinished;
}

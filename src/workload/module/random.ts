/**
 * `Random` for workload modules: pgbench's generator (pg_prng) and distributions, so that a module
 * and a pgbench script mean the same thing by random_gaussian(…), and runs are reproducible with
 * --random-seed. Text payloads are cut from a per-client pool of random characters instead of being
 * generated character by character: a 2 KB payload then costs a substring, not 2,000 draws.
 */
import type { Random } from './api.js';
import type { Prng } from '../pgbench/prng.js';
import { checkRange, getExponentialRand, getGaussianRand, getrand, getZipfianRand } from '../pgbench/random-functions.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const POOL_CHARS = 65_536;

export class ModuleRandom implements Random {
  private readonly pool: string;

  constructor(private readonly rng: Prng) {
    const chars: string[] = [];
    for (let i = 0; i < POOL_CHARS; i++) chars.push(ALPHABET[rng.offset(ALPHABET.length - 1)]!);
    this.pool = chars.join('');
  }

  int(min: number, max: number): number {
    checkRange(min, max);
    return Number(getrand(this.rng, min, max));
  }

  double(): number {
    return this.rng.double();
  }

  gaussian(min: number, max: number, parameter: number): number {
    return Number(getGaussianRand(this.rng, min, max, parameter));
  }

  exponential(min: number, max: number, parameter: number): number {
    return Number(getExponentialRand(this.rng, min, max, parameter));
  }

  zipfian(min: number, max: number, s: number): number {
    return Number(getZipfianRand(this.rng, min, max, s));
  }

  bool(p = 0.5): boolean {
    return this.rng.double() < p;
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error('pick() from an empty list');
    return list[this.rng.offset(list.length - 1)]!;
  }

  string(length: number): string {
    if (length <= 0) return '';
    let out = '';
    while (out.length < length) {
      const n = Math.min(length - out.length, POOL_CHARS);
      const start = this.rng.offset(POOL_CHARS - n);
      out += this.pool.substring(start, start + n);
    }
    return out;
  }

  json(bytes: number): string {
    // {"text":"…"} is 11 bytes of frame around the characters (all ASCII, so 1 byte each).
    return `{"text":"${this.string(Math.max(0, bytes - 11))}"}`;
  }
}

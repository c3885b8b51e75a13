/**
 * A small, fast seeded generator for the engine's own choices (arrival times, which script runs).
 * Scripts' random() functions use pgbench's own generator in src/workload/pgbench; this one only
 * decides *when* and *which*, so it needs speed and reproducibility, not pgbench's exact stream.
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128-bit state, passes PractRand.
 */
export class FastRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    this.a = seed >>> 0;
    this.b = Math.floor(seed / 2 ** 32) >>> 0;
    this.c = (stream * 0x9e3779b9) >>> 0;
    this.d = 1;
    for (let i = 0; i < 16; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Exponential with mean 1 (for Poisson arrivals). */
  exponential(): number {
    return -Math.log(1 - this.next());
  }
}

/**
 * Arrival-rate profiles and their inverse: when is the n-th arrival due?
 *
 * A profile is a list of segments on which the rate moves linearly from `startHz` to `endHz`
 * (a constant rate is one endless segment). N(t) = ∫ rate is then piecewise quadratic, and the n-th
 * arrival is due at N⁻¹(n). Uniform arrivals use n = 0, 1, 2, …; Poisson arrivals use the partial
 * sums of Exp(1) variables (time rescaling of a non-homogeneous Poisson process). Splitting the
 * arrivals across J workers keeps the total exact: worker w takes n ≡ w (mod J) for uniform
 * arrivals, and a Poisson process of 1/J of the rate for Poisson ones (superposition).
 */
import type { Stage } from '../config/units.js';

export interface RateSegment {
  readonly startUs: number;
  readonly durationUs: number; // may be Infinity
  readonly startHz: number;
  readonly endHz: number;
  /** Arrivals due before this segment starts. */
  readonly countBefore: number;
}

export class RateProfile {
  readonly segments: readonly RateSegment[];

  private constructor(segments: RateSegment[]) {
    this.segments = segments;
  }

  static constant(rateHz: number): RateProfile {
    return new RateProfile([{ startUs: 0, durationUs: Infinity, startHz: rateHz, endHz: rateHz, countBefore: 0 }]);
  }

  /** Ramping stages starting from `startHz`; after the last stage the rate is 0 (the run ends). */
  static stages(startHz: number, stages: readonly Stage[]): RateProfile {
    const segs: RateSegment[] = [];
    let t = 0;
    let n = 0;
    let from = startHz;
    for (const st of stages) {
      const durationUs = st.durationMs * 1000;
      segs.push({ startUs: t, durationUs, startHz: from, endHz: st.target, countBefore: n });
      n += ((from + st.target) / 2) * (durationUs / 1e6);
      t += durationUs;
      from = st.target;
    }
    segs.push({ startUs: t, durationUs: Infinity, startHz: 0, endHz: 0, countBefore: n });
    return new RateProfile(segs);
  }

  /**
   * The same arrivals up to `tUs`, then a constant `rateHz` (a retarget while the load runs). N(t)
   * is continuous at `tUs`, so the arrival count goes on without a jump.
   */
  retargeted(tUs: number, rateHz: number): RateProfile {
    const segs: RateSegment[] = [];
    for (const s of this.segments) {
      if (s.startUs >= tUs) break;
      const durationUs = Math.min(s.durationUs, tUs - s.startUs);
      segs.push({ ...s, durationUs, endHz: this.rateAt(s.startUs + durationUs) });
    }
    segs.push({ startUs: tUs, durationUs: Infinity, startHz: rateHz, endHz: rateHz, countBefore: this.countAt(tUs) });
    return new RateProfile(segs);
  }

  /** Rate at time t (µs from the start of the profile). */
  rateAt(tUs: number): number {
    for (const s of this.segments) {
      if (tUs < s.startUs + s.durationUs) {
        if (s.durationUs === Infinity) return s.startHz;
        return s.startHz + ((s.endHz - s.startHz) * (tUs - s.startUs)) / s.durationUs;
      }
    }
    return 0;
  }

  /** N(t): arrivals due by time t. */
  countAt(tUs: number): number {
    for (const s of this.segments) {
      if (tUs < s.startUs + s.durationUs) {
        const dt = (tUs - s.startUs) / 1e6;
        const r1 = s.durationUs === Infinity ? s.startHz : s.startHz + ((s.endHz - s.startHz) * (tUs - s.startUs)) / s.durationUs;
        return s.countBefore + ((s.startHz + r1) / 2) * dt;
      }
    }
    return this.segments[this.segments.length - 1]?.countBefore ?? 0;
  }

  /** N⁻¹(n): the time (µs) at which the cumulative count reaches n; Infinity if never. */
  timeOf(n: number): number {
    const segs = this.segments;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      const next = segs[i + 1];
      if (next !== undefined && n >= next.countBefore) continue; // n lies beyond this segment
      const dn = n - s.countBefore;
      if (dn <= 0) return s.startUs;
      const b = s.startHz;
      if (s.durationUs === Infinity) return b > 0 ? s.startUs + (dn / b) * 1e6 : Infinity;
      const a = (s.endHz - s.startHz) / (2 * (s.durationUs / 1e6));
      // Solve a·τ² + b·τ = dn for τ ≥ 0, in the form that stays accurate when a is tiny.
      const disc = b * b + 4 * a * dn;
      const denom = b + Math.sqrt(Math.max(0, disc));
      if (denom <= 0) return s.startUs + s.durationUs;
      const tauS = (2 * dn) / denom;
      return s.startUs + Math.min(tauS * 1e6, s.durationUs);
    }
    return Infinity;
  }
}

/** One worker's share of the arrivals of a profile. */
export class ArrivalSchedule {
  private n: number;
  /** The count of the arrival `next` returned last (its due time may change with a retarget). */
  private lastN = 0;
  private readonly step: number;

  constructor(
    private current: RateProfile,
    private readonly opts: { workers: number; worker: number; poisson: boolean; random: () => number },
  ) {
    this.step = opts.workers;
    this.n = opts.poisson ? opts.workers * -Math.log(1 - opts.random()) : opts.worker;
  }

  get profile(): RateProfile {
    return this.current;
  }

  /** Due time (µs from the start of the load) of the next arrival, or Infinity. Advances. */
  next(): number {
    this.lastN = this.n;
    const t = this.current.timeOf(this.n);
    this.n += this.opts.poisson ? this.step * -Math.log(1 - this.opts.random()) : this.step;
    return t;
  }

  /**
   * Go on under `profile` (RateProfile.retargeted): returns the new due time of the arrival `next`
   * returned last, which has not started yet.
   */
  retarget(profile: RateProfile): number {
    this.current = profile;
    return profile.timeOf(this.lastN);
  }
}

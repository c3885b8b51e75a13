/**
 * The part of jstat (no types of its own) that pgsurge uses: Student's t distribution, for the
 * p-value of Welch's t-test between runs (src/report/compare-stats.ts).
 */
declare module 'jstat' {
  interface StudentT {
    /** P(T ≤ x) for Student's t with `dof` degrees of freedom (dof may be fractional). */
    cdf(x: number, dof: number): number;
  }
  const jStat: { readonly studentt: StudentT };
  export default jStat;
}

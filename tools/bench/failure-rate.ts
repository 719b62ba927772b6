// The failure rate of a run and its exact (Clopper–Pearson) one-sided 95%
// upper bound: with 0 failures in n the bound is 1 − 0.05^(1/n), about 3/n.

/** ln C(n, k) + k ln p + (n − k) ln(1 − p), summed over k ≤ failures: P(X ≤ failures). */
function binomialCdf(failures: number, n: number, p: number): number {
  if (p <= 0) return 1;
  if (p >= 1) return failures >= n ? 1 : 0;
  let logChoose = 0; // ln C(n, 0)
  let sum = 0;
  for (let k = 0; k <= failures; k++) {
    if (k > 0) logChoose += Math.log(n - k + 1) - Math.log(k);
    sum += Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log1p(-p));
  }
  return Math.min(1, sum);
}

/** The p at which `failures` or fewer in `n` would happen only 5% of the time. */
export function failureRateUpperBound(failures: number, n: number, confidence = 0.95): number {
  if (n <= 0) return 1;
  if (failures >= n) return 1;
  let low = failures / n;
  let high = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (low + high) / 2;
    if (binomialCdf(failures, n, mid) > 1 - confidence) low = mid;
    else high = mid;
  }
  return high;
}

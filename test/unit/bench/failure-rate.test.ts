// The soak's failure-rate bound: exact values a reader can check by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { failureRateUpperBound } from '../../../tools/bench/failure-rate.ts';

const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} is not ${expected}`);

describe('failure rate upper bound (one-sided 95%)', () => {
  it('is 1 − 0.05^(1/n) with no failure: about 3/n', () => {
    close(failureRateUpperBound(0, 1000), 1 - 0.05 ** (1 / 1000));
    assert.ok(Math.abs(failureRateUpperBound(0, 1000) - 0.003) < 0.0001);
    close(failureRateUpperBound(0, 1), 0.95);
  });

  it('grows with the failures seen', () => {
    // With one failure in n, P(X ≤ 1) = (1 − p)^n + n p (1 − p)^(n − 1) = 0.05 at the bound.
    const p = failureRateUpperBound(1, 100);
    close((1 - p) ** 100 + 100 * p * (1 - p) ** 99, 0.05);
    assert.ok(p > failureRateUpperBound(0, 100));
    assert.equal(failureRateUpperBound(5, 5), 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exposition, promqlNames } from '../../helpers/promql.ts';

describe('promqlNames', () => {
  it('finds metric names and labels, not functions, keywords, strings or durations', () => {
    const { metrics, labels } = promqlNames(
      'histogram_quantile(0.99, sum by (le, type) (rate(keelson_operation_duration_seconds_bucket{namespace="a",cluster=~"b|c"}[5m]))) > 1e3 or time() - max without (pod) (x_total offset 5m) and on (namespace) y',
    );
    assert.deepEqual([...metrics].sort(), ['keelson_operation_duration_seconds_bucket', 'x_total', 'y']);
    assert.deepEqual([...labels].sort(), ['cluster', 'le', 'namespace', 'pod', 'type']);
  });
});

describe('exposition', () => {
  it('reads declared metrics and each series with its label names', () => {
    const found = exposition(
      [
        '# HELP a_seconds x',
        '# TYPE a_seconds histogram',
        '# TYPE b gauge',
        'b{namespace="n",cluster="c"} 1',
        'c_total 3',
      ].join('\n'),
    );
    assert.ok(found.has('a_seconds_bucket'));
    assert.deepEqual([...(found.get('b') ?? [])], ['namespace', 'cluster']);
    assert.ok(found.has('c_total'));
  });
});

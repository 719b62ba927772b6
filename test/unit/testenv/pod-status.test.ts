import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostsFileText } from '../../../tools/testenv/node-agent/hosts-file.ts';
import { buildPodStatus } from '../../../tools/testenv/node-agent/pod-status.ts';

describe('buildPodStatus', () => {
  const startedAt = new Date('2026-01-01T00:00:00Z');
  const facts = (ready: boolean) => ({
    podIP: '127.0.0.12',
    hostIP: '127.0.0.1',
    startTime: startedAt,
    container: {
      name: 'kafka',
      image: 'apache/kafka:4.1.1',
      phase: { kind: 'running' as const, startedAt, ready },
      restartCount: 0,
    },
  });
  it('reports Running and Ready only when the container is ready', () => {
    const notReady = buildPodStatus(facts(false), undefined, startedAt);
    assert.equal(notReady.phase, 'Running');
    assert.equal(notReady.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    const ready = buildPodStatus(facts(true), notReady, new Date('2026-01-01T00:00:05Z'));
    assert.equal(ready.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(ready.podIP, '127.0.0.12');
  });
  it('keeps a condition transition time while its value holds', () => {
    const first = buildPodStatus(facts(true), undefined, startedAt);
    const later = buildPodStatus(facts(true), first, new Date('2026-01-01T01:00:00Z'));
    assert.equal(later.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, startedAt);
  });
});

describe('hostsFileText', () => {
  it('gives pods with hostname and subdomain their cluster DNS names', () => {
    const text = hostsFileText([
      { namespace: 'team', hostname: 'kafka-0', subdomain: 'kafka', podIP: '127.0.0.12' },
      { namespace: 'team', hostname: undefined, subdomain: 'kafka', podIP: '127.0.0.13' },
    ]);
    assert.match(
      text,
      /^127\.0\.0\.12 kafka-0\.kafka\.team\.svc\.cluster\.local kafka-0\.kafka\.team\.svc$/m,
    );
    assert.doesNotMatch(text, /127\.0\.0\.13/);
  });
});

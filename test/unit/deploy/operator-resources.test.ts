// The shipped Deployment's memory against what the benchmark measured for the
// capacity the README promises: the README's Performance table is where the
// benchmark's figures are recorded, and its Capacity paragraph states how many
// clusters one replica serves.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const root = new URL('../../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
// The chart's default resources, which its Deployment uses as they are.
const values = parse(readFileSync(new URL('deploy/helm/keelson/values.yaml', root), 'utf8')) as {
  resources: { limits: { memory: string } };
};

const mebibytes = (quantity: string): number => {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  assert.ok(match, `memory ${quantity} is not in Mi or Gi`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
};

describe("the Helm chart's operator Deployment", () => {
  it('has a memory limit at least 1.25 times the resident memory measured at the stated capacity', () => {
    const capacity = Number(/One operator replica serves up to (\d+) KafkaClusters/.exec(readme)?.[1]);
    assert.ok(capacity > 0, 'the README states how many clusters one replica serves');
    const row =
      /`keelson operator` resident memory: idle \/ (\d+) \/ (\d+) clusters\s*\|\s*(\d+) \/ (\d+) \/ (\d+) MB/.exec(
        readme,
      );
    assert.ok(row, 'the README records the measured memory');
    const measured = new Map([
      [Number(row[1]), Number(row[4])],
      [Number(row[2]), Number(row[5])],
    ]);
    const atCapacity = measured.get(capacity);
    assert.ok(atCapacity, `no measurement at ${capacity} clusters`);
    const limitMB = (mebibytes(values.resources.limits.memory) * 1048576) / 1e6;
    assert.ok(limitMB >= atCapacity * 1.25, `limit ${limitMB.toFixed(0)} MB < 1.25 × ${atCapacity} MB`);
  });
});

// The checks on signal and Update payloads: anyone who reaches the Temporal
// server can send them, so a wrong shape or an oversized field is refused
// with the field named, and unknown fields never reach workflow state.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { payloads } from '../../../src/workflows/message-payloads.ts';

const problems = (checked: { value: unknown } | { problems: string[] }) =>
  'problems' in checked ? checked.problems : [];

describe('signal and Update payloads', () => {
  it('accept a valid payload and drop fields they do not know', () => {
    assert.deepEqual(payloads.spec({ uid: 'u-1', generation: 3, junk: 'x'.repeat(100_000) }), {
      value: { uid: 'u-1', generation: 3 },
    });
    assert.deepEqual(payloads.drill({ zone: 'zone-a' }), { value: { zone: 'zone-a' } });
    assert.deepEqual(payloads.rotateCertificates({ reason: 'renew', ca: true }), {
      value: { reason: 'renew', ca: true },
    });
  });

  it('name the field and what is wrong with it', () => {
    assert.deepEqual(problems(payloads.spec({ uid: 'u', generation: 'latest' })), [
      'generation: expected an integer',
    ]);
    assert.deepEqual(problems(payloads.spec({ uid: 'x'.repeat(10_000), generation: 0 })), [
      'uid: too long: at most 128 characters',
      'generation: out of range: from 1 to 9007199254740991',
    ]);
    assert.deepEqual(problems(payloads.spec({ generation: 1.5 })), [
      'uid: required',
      'generation: expected an integer',
    ]);
    assert.deepEqual(problems(payloads.roll({ reason: 'r'.repeat(2_000) })), [
      'reason: too long: at most 1024 characters',
    ]);
    assert.deepEqual(problems(payloads.roll({ reason: ' \n' })), ['reason: give a reason for the roll']);
    assert.deepEqual(problems(payloads.drill({ zone: '', hold: 5 })), [
      'zone: too short: at least 1 character',
      'hold: expected a string',
    ]);
    assert.deepEqual(problems(payloads.drift({ reason: 'r', deleting: 'yes' })), [
      'deleting: expected a boolean',
    ]);
    assert.deepEqual(problems(payloads.requestRollPermit({ holder: 'w', limit: 1001 })), [
      'limit: out of range: from 1 to 1000',
    ]);
  });

  it('refuse what is not an object', () => {
    for (const payload of [undefined, null, 'spec', 7, ['uid', 'generation']])
      assert.deepEqual(problems(payloads.spec(payload)), ['expected an object']);
  });
});

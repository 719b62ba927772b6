import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acknowledgement, pendingRequests } from '../../../src/domain/annotation-requests.ts';

describe('pendingRequests', () => {
  it('reads roll, drill and pause requests', () => {
    assert.deepEqual(
      pendingRequests({
        'keelson.dev/roll': '1700000000',
        'keelson.dev/drill': 'zone-a/5m',
        'keelson.dev/pause': 'true',
      }),
      [
        { kind: 'roll', value: '1700000000' },
        { kind: 'drill', value: 'zone-a/5m', zone: 'zone-a', hold: '5m' },
        { kind: 'pause', value: 'true' },
      ],
    );
    assert.deepEqual(pendingRequests({ 'keelson.dev/drill': 'abort', 'keelson.dev/pause': 'false' }), [
      { kind: 'abort-drill', value: 'abort' },
      { kind: 'resume', value: 'false' },
    ]);
  });

  it('reads certificate rotation requests: any new token', () => {
    assert.deepEqual(pendingRequests({ 'keelson.dev/rotate-certs': 'now' }), [
      { kind: 'rotate-certs', value: 'now' },
    ]);
    assert.deepEqual(
      pendingRequests({ 'keelson.dev/rotate-certs': 'now', 'keelson.dev/rotate-certs-acknowledged': 'now' }),
      [],
    );
  });

  it('reads backup requests: any new token', () => {
    assert.deepEqual(pendingRequests({ 'keelson.dev/backup': '2026-11-26' }), [
      { kind: 'backup', value: '2026-11-26' },
    ]);
    assert.deepEqual(
      pendingRequests({ 'keelson.dev/backup': 'x', 'keelson.dev/backup-acknowledged': 'x' }),
      [],
    );
  });

  it('skips what was acknowledged already', () => {
    assert.deepEqual(pendingRequests({ 'keelson.dev/roll': 'a', 'keelson.dev/roll-acknowledged': 'a' }), []);
    assert.equal(
      pendingRequests({ 'keelson.dev/roll': 'b', 'keelson.dev/roll-acknowledged': 'a' }).length,
      1,
    );
  });

  it('names a malformed request instead of guessing', () => {
    assert.deepEqual(pendingRequests({ 'keelson.dev/pause': 'yes' }), [
      { kind: 'invalid', annotation: 'pause', value: 'yes', message: 'must be "true" or "false"' },
    ]);
    assert.equal(pendingRequests({ 'keelson.dev/drill': 'a/b/c' })[0]?.kind, 'invalid');
  });

  it('refuses a value longer than 256 characters, and acknowledges it by a digest, not a copy', () => {
    const huge = 'x'.repeat(90 * 1024);
    assert.deepEqual(pendingRequests({ 'keelson.dev/roll': huge }), [
      {
        kind: 'invalid',
        annotation: 'roll',
        value: huge,
        message: 'the value is 92160 characters long; at most 256 are taken',
      },
    ]);
    const ack = acknowledgement(huge);
    assert.ok(ack.length < 64, ack);
    assert.deepEqual(pendingRequests({ 'keelson.dev/roll': huge, 'keelson.dev/roll-acknowledged': ack }), []);
    assert.deepEqual(pendingRequests({ 'keelson.dev/roll': 'y'.repeat(256) }), [
      { kind: 'roll', value: 'y'.repeat(256) },
    ]);
    assert.equal(acknowledgement('token'), 'token');
  });
});

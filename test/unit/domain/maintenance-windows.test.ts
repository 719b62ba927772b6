import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maintenanceWindowAt } from '../../../src/domain/maintenance-windows.ts';

// 2026-11-28 is a Saturday.
const at = (iso: string): number => Date.parse(iso);
const weekend = [{ days: ['Sat', 'Sun'], start: '02:00', duration: '4h' }];

describe('maintenanceWindowAt', () => {
  it('is always open without windows', () => {
    assert.deepEqual(maintenanceWindowAt([], at('2026-11-26T12:00:00Z')), { open: true });
  });
  it('is open inside a window and closed at its end', () => {
    assert.deepEqual(maintenanceWindowAt(weekend, at('2026-11-28T03:30:00Z')), { open: true });
    assert.deepEqual(maintenanceWindowAt(weekend, at('2026-11-28T06:00:00Z')), {
      open: false,
      opensAt: at('2026-11-29T02:00:00Z'),
    });
  });
  it('names the next opening when closed, across the week', () => {
    assert.deepEqual(maintenanceWindowAt(weekend, at('2026-11-26T12:00:00Z')), {
      open: false,
      opensAt: at('2026-11-28T02:00:00Z'),
    });
  });
  it('covers a window that runs past midnight', () => {
    const late = [{ days: ['Fri'], start: '23:00', duration: '3h' }];
    assert.deepEqual(maintenanceWindowAt(late, at('2026-11-28T01:00:00Z')), { open: true });
  });
});

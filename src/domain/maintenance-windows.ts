// Maintenance windows of spec.rollout: weekly UTC time ranges in which
// non-urgent rolls may start. No windows means any time.
import { parseDurationMs } from '../crd/duration.ts';

export interface MaintenanceWindow {
  days: string[];
  start: string;
  duration: string;
}

const dayNames = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const dayMs = 86_400_000;

/** Start times (ms) of each window occurrence beginning within a week before or after `now`. */
function occurrences(window: MaintenanceWindow, now: number): { start: number; end: number }[] {
  const [hours, minutes] = window.start.split(':').map(Number);
  const length = parseDurationMs(window.duration);
  const midnight = Math.floor(now / dayMs) * dayMs;
  const result: { start: number; end: number }[] = [];
  for (let offset = -7; offset <= 7; offset++) {
    const day = midnight + offset * dayMs;
    if (!window.days.includes(dayNames[new Date(day).getUTCDay()] ?? '')) continue;
    const start = day + ((hours ?? 0) * 60 + (minutes ?? 0)) * 60_000;
    result.push({ start, end: start + length });
  }
  return result;
}

/** Whether `now` lies in a window, and if not, when the next one opens. */
export function maintenanceWindowAt(
  windows: readonly MaintenanceWindow[],
  now: number,
): { open: true } | { open: false; opensAt: number } {
  if (windows.length === 0) return { open: true };
  const all = windows.flatMap((w) => occurrences(w, now));
  if (all.some((o) => o.start <= now && now < o.end)) return { open: true };
  const next = all.filter((o) => o.start > now).sort((a, b) => a.start - b.start)[0];
  return { open: false, opensAt: next?.start ?? now + 7 * dayMs };
}

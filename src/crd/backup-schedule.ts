// spec.backup.schedule: a 5-field cron expression (UTC) or "@every <duration>",
// checked so that anything admission lets through is a schedule the Temporal
// server takes. The API server checks the shape of each field with one regular
// expression (CEL cannot parse cron); zod, in the workflow, also parses the
// expression with croner, which catches what a pattern cannot (a range that
// runs backwards, a date that never comes such as 31 February).
import { Cron } from 'croner';
import { parseDurationMs } from './duration.ts';

/** The shortest interval "@every" may ask for: below it backups would pile up faster than they finish. */
export const minimumBackupIntervalMs = 10_000;
export const minimumBackupInterval = '10s';
/** The longest: a year; a longer one would never run. */
export const maximumBackupInterval = '8760h';

const names = (list: string): string =>
  list
    .split(' ')
    .flatMap((n) => [n, n.toLowerCase()])
    .join('|');

// Values each field takes; names as the Temporal server reads them, in either case.
const fieldValues = [
  '[0-5]?[0-9]', // minute
  '1?[0-9]|2[0-3]', // hour
  '[1-9]|[12][0-9]|3[01]', // day of month
  `[1-9]|1[0-2]|${names('JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC')}`, // month
  `[0-6]|${names('SUN MON TUE WED THU FRI SAT')}`, // day of week
];

/** One cron field: `*` or a value or a range, optionally with a step, in a comma-separated list. */
const fieldPattern = (values: string): string => {
  const item = `(\\*|(${values})(-(${values}))?)(/[1-9][0-9]?)?`;
  return `${item}(,${item})*`;
};

/** The whole of a schedule: five cron fields, or @every with a Go-style duration. */
export const schedulePattern = `^(${fieldValues.map(fieldPattern).join(' ')}|@every ([0-9]+(s|m|h))+)$`;

export const scheduleMessage =
  'must be a 5-field cron expression in UTC such as "0 3 * * *" (minute 0-59, hour 0-23, day 1-31, month 1-12 or JAN-DEC, weekday 0-6 or SUN-SAT), or "@every <duration>" such as "@every 6h"';

/** CEL for the interval bounds of "@every", checked at admission beside the pattern. */
export const intervalCel = `!has(self.schedule) || !self.schedule.startsWith('@every ') || (duration(self.schedule.substring(7)) >= duration('${minimumBackupInterval}') && duration(self.schedule.substring(7)) <= duration('${maximumBackupInterval}'))`;
export const intervalMessage = `backup.schedule: @every needs an interval from ${minimumBackupInterval} to ${maximumBackupInterval}`;

/**
 * Why a schedule that matches the pattern cannot be used, or undefined when it
 * can: the interval bounds of "@every", and for cron what croner refuses or a
 * date that never comes.
 */
export function scheduleProblem(schedule: string): string | undefined {
  if (!new RegExp(schedulePattern).test(schedule)) return scheduleMessage;
  const every = /^@every (.+)$/.exec(schedule)?.[1];
  if (every !== undefined) {
    const ms = parseDurationMs(every);
    return ms < minimumBackupIntervalMs || ms > parseDurationMs(maximumBackupInterval)
      ? intervalMessage
      : undefined;
  }
  try {
    if (new Cron(schedule, { paused: true }).nextRun() === null) return `"${schedule}" never runs`;
  } catch (err) {
    return `"${schedule}" is not a cron expression: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

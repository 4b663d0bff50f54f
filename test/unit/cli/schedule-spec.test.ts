// How `schedules` reads durations and shows when a schedule runs.
import { expect, test } from 'vitest';
import { calendarAsCron, parseDurationOption, scheduleWhen } from '../../../src/cli/commands/schedules.js';

test('a bare number is refused with "did you mean <n>s?"; units are read as written', () => {
  expect(() => parseDurationOption('--every', '90', 1000)).toThrow('--every 90 has no unit. Did you mean 90s?');
  expect(parseDurationOption('--every', '90s', 1000)).toBe(90_000);
  expect(parseDurationOption('--every', '1.5h', 1000)).toBe(5_400_000);
  expect(() => parseDurationOption('--every', 'soon', 1000)).toThrow(/is not a duration/);
  expect(() => parseDurationOption('--catchup-window', '5s', 10_000)).toThrow(/too short: the minimum is 10s/);
});

test('a calendar compiled from cron is written back as cron', () => {
  const r = (start: number | string, end = start, step = 1) => ({ start, end, step });
  expect(
    calendarAsCron({
      second: [r(0)], minute: [r(15)], hour: [r(3)], dayOfMonth: [r(1, 31)], month: [r('JANUARY', 'DECEMBER')], year: [], dayOfWeek: [r('MONDAY', 'FRIDAY')], comment: '',
    } as never),
  ).toBe('15 3 * * 1-5');
  expect(calendarAsCron({ second: [r(0)], minute: [r(0, 59, 15)], hour: [r(0, 23)], dayOfMonth: [r(1, 31)], month: [r('JANUARY', 'DECEMBER')], dayOfWeek: [r('SUNDAY', 'SATURDAY')] } as never)).toBe('*/15 * * * *');
});

test('the cron expression as written (memo) wins over the compiled calendar; intervals read as people write them', () => {
  expect(scheduleWhen({ intervals: [{ every: 7_200_000 }], calendars: [] } as never, {})).toEqual(['every 2h']);
  expect(scheduleWhen({ intervals: [], calendars: [{}], timezone: 'Europe/Paris' } as never, { cron: ['15 3 * * 1-5'] })).toEqual(['cron 15 3 * * 1-5 (Europe/Paris)']);
});

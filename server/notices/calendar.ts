import { OFFICIAL_HOLIDAYS, type HolidayTable } from './holidays.js';

/**
 * Calendar arithmetic for publicity periods (公示期) and process deadlines, in China Standard Time (UTC+8, no
 * daylight saving), whatever the server's time zone is.
 *
 * Working days are Monday to Friday, except the statutory holidays (法定节假日) and plus the weekend days worked
 * in their place (调休上班日) of every year in the holiday table (./holidays.ts: the State Council's yearly notices;
 * an administrator adds a newly published year with `HOLIDAYS_FILE`). For a year not in the table only weekends
 * are known, so a period reaching into it is flagged by `holidayTableCovers`.
 *
 * Periods follow the usual rule for periods counted in days (《中华人民共和国民法典》第二百零一条): the day on which
 * the period starts is not counted; counting begins the next day. A period ends at the last moment
 * (23:59:59.999 China time) of its last day.
 */

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A calendar day in China time. `month` is 1–12. */
export interface ChinaDay {
  year: number;
  month: number;
  day: number;
}

/** The China-time calendar day on which an instant falls. */
export function chinaDayOf(instant: Date): ChinaDay {
  const shifted = new Date(instant.getTime() + CHINA_OFFSET_MS);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** 00:00 China time of a calendar day (month and day may overflow; they roll over like `Date.UTC`). */
export function startOfChinaDay(day: ChinaDay): Date {
  return new Date(Date.UTC(day.year, day.month - 1, day.day) - CHINA_OFFSET_MS);
}

/** 23:59:59.999 China time of a calendar day. */
export function endOfChinaDay(day: ChinaDay): Date {
  return new Date(startOfChinaDay(day).getTime() + DAY_MS - 1);
}

function addDays(day: ChinaDay, n: number): ChinaDay {
  return chinaDayOf(new Date(startOfChinaDay(day).getTime() + n * DAY_MS + 12 * 60 * 60 * 1000));
}

/** 0 = Sunday … 6 = Saturday, for a China-time calendar day. */
export function weekdayOf(day: ChinaDay): number {
  return new Date(Date.UTC(day.year, day.month - 1, day.day)).getUTCDay();
}

let holidayTable: HolidayTable = OFFICIAL_HOLIDAYS;

/** Replace the process-wide holiday table (at start-up, from `HOLIDAYS_FILE`; in tests). */
export function useHolidayTable(table: HolidayTable): void {
  holidayTable = table;
}

/** Whether the holiday table knows the statutory holidays of every year from `from` to `to` (China time). */
export function holidayTableCovers(from: Date, to: Date): boolean {
  for (let year = chinaDayOf(from).year; year <= chinaDayOf(to).year; year++) if (!holidayTable.has(year)) return false;
  return true;
}

/** A working day: Monday to Friday unless a statutory holiday, or a weekend day worked in a holiday's place. */
export function isWorkingDay(day: ChinaDay): boolean {
  const year = holidayTable.get(day.year);
  if (year) {
    const key = `${day.year}-${String(day.month).padStart(2, '0')}-${String(day.day).padStart(2, '0')}`;
    if (year.workdays.has(key)) return true;
    if (year.holidays.has(key)) return false;
  }
  const weekday = weekdayOf(day);
  return weekday !== 0 && weekday !== 6;
}

function requireCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what}必须是非负整数，实际为 ${n}`);
}

/**
 * End of a period of `n` working days that starts on the day after `from` (China time): the last moment of the
 * n-th working day after the publication day. `n = 0` ends at the end of the publication day.
 */
export function addWorkingDays(from: Date, n: number): Date {
  requireCount(n, '工作日天数');
  let day = chinaDayOf(from);
  let counted = 0;
  while (counted < n) {
    day = addDays(day, 1);
    if (isWorkingDay(day)) counted++;
  }
  return endOfChinaDay(day);
}

/** End of a period of `n` calendar days that starts on the day after `from` (China time). */
export function addCalendarDays(from: Date, n: number): Date {
  requireCount(n, '天数');
  return endOfChinaDay(addDays(chinaDayOf(from), n));
}

/**
 * The same China-time calendar day `months` months later, 00:00 China time; a day that does not exist in the
 * target month becomes its last day (31 Jan + 1 month = 28/29 Feb).
 */
export function addMonths(from: Date, months: number): Date {
  const day = chinaDayOf(from);
  const targetMonthIndex = day.month - 1 + months;
  const year = day.year + Math.floor(targetMonthIndex / 12);
  const month = (((targetMonthIndex % 12) + 12) % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return startOfChinaDay({ year, month, day: Math.min(day.day, lastDay) });
}

/** 00:00 China time `n` calendar days after the China-time day of `from` (n may be negative). */
export function shiftDays(from: Date, n: number): Date {
  return startOfChinaDay(addDays(chinaDayOf(from), n));
}

/**
 * Parse a form date (`2025-09-30`, read as that day in China time) or an ISO date-time. Returns null when the
 * value is not a date.
 */
export function parseDay(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (plain) {
    const day = { year: Number(plain[1]), month: Number(plain[2]), day: Number(plain[3]) };
    const date = startOfChinaDay(day);
    const check = chinaDayOf(date);
    return check.year === day.year && check.month === day.month && check.day === day.day ? date : null;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `2025年9月30日` (China time). */
export function formatChineseDate(instant: Date): string {
  const day = chinaDayOf(instant);
  return `${day.year}年${day.month}月${day.day}日`;
}

/** `2025-09-30` (China time). */
export function formatIsoDay(instant: Date): string {
  const day = chinaDayOf(instant);
  return `${day.year}-${String(day.month).padStart(2, '0')}-${String(day.day).padStart(2, '0')}`;
}

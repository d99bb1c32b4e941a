/**
 * Calendar days in China time (UTC+8, no daylight saving) as day numbers (days since 1970-01-01), so that a date
 * field can be compared with "today" and moved by a number of days whatever the server's time zone is.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

/** The China-time day on which an instant falls. */
export function chinaDayNumber(instant: Date): number {
  return Math.floor((instant.getTime() + CHINA_OFFSET_MS) / DAY_MS);
}

/**
 * The day a stored date value names: `YYYY-MM-DD` is that day, a date-time (string or Date) the China-time day it
 * falls on; null for anything else.
 */
export function dayNumberOf(value: unknown): number | null {
  if (typeof value === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
    if (m) {
      const day = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
      // 2026-02-30 is no day (Date.UTC would roll it over to 2 March).
      return isoDayOf(day) === m[0] ? day : null;
    }
    const parsed = /^\d{4}-\d{2}-\d{2}T/.test(value.trim()) ? Date.parse(value) : Number.NaN;
    return Number.isNaN(parsed) ? null : chinaDayNumber(new Date(parsed));
  }
  if (value instanceof Date && !Number.isNaN(value.getTime())) return chinaDayNumber(value);
  return null;
}

/** `YYYY-MM-DD` of a day number. */
export function isoDayOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

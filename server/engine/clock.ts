import { parseDuration } from './iso8601.js';

/**
 * The runtime's sense of time. Timers, due dates and publicity periods all read it, never `Date.now()`,
 * so that `CLOCK=manual` moves every deadline together.
 */
export interface Clock {
  now(): Date;
  readonly manual: boolean;
}

export const systemClock: Clock = {
  now: () => new Date(),
  manual: false,
};

/** A clock that stands still until told to move; used with CLOCK=manual (tests, training, rehearsals). */
export class ManualClock implements Clock {
  readonly manual = true;
  private current: number;

  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(date: Date): void {
    if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
    this.current = date.getTime();
  }

  /** Advance by an ISO 8601 duration such as `P1Y` or `PT2H`; calendar units follow the calendar. */
  advance(isoDuration: string): void {
    this.current = addDuration(new Date(this.current), isoDuration).getTime();
  }
}

/** Add an ISO 8601 duration to a date, calendar-aware for years, months and days (UTC). */
export function addDuration(from: Date, isoDuration: string): Date {
  const d = parseDuration(isoDuration);
  const result = new Date(from.getTime());
  if (d.years || d.months) result.setUTCMonth(result.getUTCMonth() + d.years * 12 + d.months);
  if (d.weeks || d.days) result.setUTCDate(result.getUTCDate() + d.weeks * 7 + d.days);
  return new Date(result.getTime() + ((d.hours * 60 + d.minutes) * 60 + d.seconds) * 1000);
}

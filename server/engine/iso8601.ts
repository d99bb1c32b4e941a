/** ISO 8601 durations, dates and repeating intervals as they appear in BPMN timers and due dates. */

export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const DURATION = /^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

export function isDuration(text: string): boolean {
  return DURATION.test(text.trim()) && text.trim() !== 'P' && !text.trim().endsWith('T');
}

export function parseDuration(text: string): Duration {
  const trimmed = text.trim();
  const match = DURATION.exec(trimmed);
  if (!match || trimmed === 'P' || trimmed.endsWith('T')) throw new RangeError(`不是有效的 ISO 8601 时长：${text}`);
  const n = (i: number) => (match[i] ? Number(match[i].replace(',', '.')) : 0);
  return { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
}

/** A calendar date (`2026-12-31`) or a date-time with or without zone; a bare date means midnight UTC+8 (China). */
export function parseDate(text: string): Date | null {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    const date = new Date(`${trimmed}T00:00:00+08:00`);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(trimmed)) return null;
  const date = new Date(trimmed);
  return Number.isNaN(date.getTime()) ? null : date;
}

import { readFileSync } from 'node:fs';
import official from './holidays-cn.json' with { type: 'json' };

/**
 * The statutory holidays (法定节假日) and the weekend days worked in their place (调休上班日), year by year, as the
 * State Council's General Office publishes them each November for the next year. The platform ships the years
 * published so far (holidays-cn.json, each with its notice); an administrator adds a new year by pointing
 * `HOLIDAYS_FILE` at a file of the same shape (its years replace the shipped ones) without waiting for a release.
 *
 * Shape: `{ "2026": { "source": "…通知…", "holidays": ["2026-01-01/2026-01-03", …], "workdays": ["2026-01-04", …] } }`
 * where an entry is one day `YYYY-MM-DD` or an inclusive range `YYYY-MM-DD/YYYY-MM-DD` within that year.
 */

export interface HolidayYear {
  source: string;
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
}

export type HolidayTable = ReadonlyMap<number, HolidayYear>;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Reads and checks a table; throws an Error naming the first bad entry. */
export function parseHolidayTable(input: unknown): HolidayTable {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new Error('节假日表必须是以年份为键的对象');
  const table = new Map<number, HolidayYear>();
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (!/^\d{4}$/.test(key)) throw new Error(`节假日表的键“${key}”不是年份`);
    const year = Number(key);
    const entry = (value ?? {}) as Record<string, unknown>;
    if (typeof entry.source !== 'string' || !entry.source.trim()) throw new Error(`${year} 年的节假日安排缺少来源（source）`);
    const holidays = expand(entry.holidays, year, 'holidays');
    const workdays = expand(entry.workdays ?? [], year, 'workdays');
    const both = [...workdays].find((d) => holidays.has(d));
    if (both) throw new Error(`${both} 同时列为放假日和上班日`);
    table.set(year, { source: entry.source.trim(), holidays, workdays });
  }
  return table;
}

function expand(list: unknown, year: number, what: string): Set<string> {
  if (!Array.isArray(list)) throw new Error(`${year} 年的 ${what} 必须是日期列表`);
  const days = new Set<string>();
  for (const item of list) {
    const [from, to = from] = String(item).split('/');
    const start = dayNumber(from!, year, item);
    const end = dayNumber(to, year, item);
    if (end < start || end - start > 40) throw new Error(`${year} 年的 ${what} 中“${String(item)}”不是有效的日期区间`);
    for (let n = start; n <= end; n++) days.add(new Date(n * DAY_MS).toISOString().slice(0, 10));
  }
  return days;
}

function dayNumber(text: string, year: number, item: unknown): number {
  const m = DAY.exec(text.trim());
  const n = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS : NaN;
  if (!m || Number(m[1]) !== year || new Date(n * DAY_MS).toISOString().slice(0, 10) !== text.trim()) {
    throw new Error(`${year} 年节假日安排中的“${String(item)}”不是该年的有效日期（YYYY-MM-DD）`);
  }
  return n;
}

/** The shipped table merged with an administrator's: a year in `extra` replaces the shipped year. */
export function mergeHolidayTables(base: HolidayTable, extra: HolidayTable): HolidayTable {
  return new Map([...base, ...extra]);
}

export const OFFICIAL_HOLIDAYS: HolidayTable = parseHolidayTable(official);

/** The shipped table, extended by an administrator's JSON file (`HOLIDAYS_FILE`); a bad file throws, naming it. */
export function holidayTableWith(file: string | null): HolidayTable {
  if (!file) return OFFICIAL_HOLIDAYS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`无法读取节假日表 ${file}：${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return mergeHolidayTables(OFFICIAL_HOLIDAYS, parseHolidayTable(parsed));
  } catch (err) {
    throw new Error(`节假日表 ${file} 有误：${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * ISO 8601 literals as used by timers (`timeDate`, `timeDuration`, `timeCycle`) and `camunda:dueDate`.
 * Pure functions, no Node-only modules (shared with the browser modeler).
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const NUMBER = '\\d+(?:[.,]\\d+)?';
const DURATION = new RegExp(
  `^P(?:(${NUMBER})Y)?(?:(${NUMBER})M)?(?:(${NUMBER})W)?(?:(${NUMBER})D)?` +
    `(?:T(?:(${NUMBER})H)?(?:(${NUMBER})M)?(?:(${NUMBER})S)?)?$`,
);

/** @param {number} y @param {number} m @param {number} d */
function validDay(y, m, d) {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

/** `YYYY-MM-DD`, a real calendar day. @param {string} text */
export function isIsoDate(text) {
  const m = DATE.exec(text);
  return !!m && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]`. @param {string} text */
export function isIsoDateTime(text) {
  const m = DATE_TIME.exec(text);
  if (!m || !validDay(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 59)) return false;
  if (m[7] && m[7] !== 'Z') {
    const offset = m[7].replace(':', '');
    if (Number(offset.slice(1, 3)) > 14 || (offset.length > 3 && Number(offset.slice(3, 5)) > 59)) return false;
  }
  return true;
}

/** `PnYnMnWnDTnHnMnS` with at least one component. @param {string} text */
export function isIsoDuration(text) {
  if (!DURATION.test(text)) return false;
  if (text === 'P' || text.endsWith('T')) return false;
  return true;
}

/** `R[n]/duration`, `R[n]/start/duration` or `R[n]/duration/end`. @param {string} text */
export function isIsoCycle(text) {
  const m = /^R(\d*)\/(.+)$/.exec(text);
  if (!m) return false;
  const parts = m[2].split('/');
  if (parts.length === 1) return isIsoDuration(parts[0]);
  if (parts.length === 2) {
    const [a, b] = parts;
    return (isIsoDuration(a) && (isIsoDateTime(b) || isIsoDate(b))) || ((isIsoDateTime(a) || isIsoDate(a)) && isIsoDuration(b));
  }
  return false;
}

/** The shortest interval of a repeating timer, and the most repetitions (docs/SECURITY.md): each firing is a step. */
export const MIN_CYCLE_SECONDS = 60;
export const MAX_CYCLE_REPETITIONS = 1000;

/** Seconds of an ISO duration, counting a year as 365 days and a month as 30 (for the lower bound only). @param {string} text */
function durationSeconds(text) {
  const m = DURATION.exec(text);
  if (!m) return NaN;
  const n = (/** @type {string | undefined} */ v) => (v ? Number(v.replace(',', '.')) : 0);
  return ((n(m[1]) * 365 + n(m[2]) * 30 + n(m[3]) * 7 + n(m[4])) * 24 + n(m[5])) * 3600 + n(m[6]) * 60 + n(m[7]);
}

/**
 * Why a repeating timer's bounds are not acceptable (Chinese), or null: at most {@link MAX_CYCLE_REPETITIONS}
 * repetitions, written out, and intervals of at least {@link MIN_CYCLE_SECONDS} seconds.
 * @param {string} text an ISO cycle (`isIsoCycle`)
 * @returns {string | null}
 */
export function checkCycleBounds(text) {
  const m = /^R(\d*)\/(.+)$/.exec(text.trim());
  if (!m) return null;
  if (!m[1]) return `定时周期“${text}”须写明重复次数（R1 至 R${MAX_CYCLE_REPETITIONS}），不能无限重复`;
  if (Number(m[1]) > MAX_CYCLE_REPETITIONS) return `定时周期“${text}”重复次数过多（最多 ${MAX_CYCLE_REPETITIONS} 次）`;
  const duration = m[2].split('/').find((part) => isIsoDuration(part));
  if (duration && durationSeconds(duration) < MIN_CYCLE_SECONDS) return `定时周期“${text}”的间隔过短（至少 1 分钟）`;
  return null;
}

/**
 * Why a literal timer value is not usable (Chinese), or null when it is.
 * @param {'timeDate' | 'timeDuration' | 'timeCycle'} kind
 * @param {string} text
 * @returns {string | null}
 */
export function checkTimerLiteral(kind, text) {
  const value = text.trim();
  if (!value) return '定时器的值为空';
  if (kind === 'timeDate') {
    return isIsoDateTime(value) || isIsoDate(value) ? null : `定时日期“${value}”不是 ISO 8601 日期或时间（例如 2025-01-31 或 2025-01-31T09:00:00+08:00）`;
  }
  if (kind === 'timeDuration') {
    return isIsoDuration(value) ? null : `定时时长“${value}”不是 ISO 8601 时长（例如 P5D、PT12H）`;
  }
  if (!isIsoCycle(value)) return `定时周期“${value}”不是 ISO 8601 重复周期（例如 R3/PT10M 或 R3/2025-01-01T00:00:00Z/P1D）`;
  return checkCycleBounds(value);
}

/**
 * Why a literal `camunda:dueDate` is not usable (Chinese), or null: an ISO date, date-time or duration.
 * @param {string} text
 * @returns {string | null}
 */
export function checkDueDateLiteral(text) {
  const value = text.trim();
  if (isIsoDate(value) || isIsoDateTime(value) || isIsoDuration(value)) return null;
  return `办理期限“${value}”不是 ISO 8601 日期或时长（例如 2025-01-31 或 P10D）`;
}

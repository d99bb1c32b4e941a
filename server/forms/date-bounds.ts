import { isoDayOf, dayNumberOf } from './china-day.js';

/**
 * Declarative bounds of a date field (docs/ARCHITECTURE.md, "User tasks"), written as field properties:
 *
 *   <camunda:property id="notAfter" value="today" />                        a meeting that took place
 *   <camunda:property id="after" value="today + voterListDays days" />      the election day after the voter list's publicity
 *   <camunda:property id="notBefore" value="startedOn" />                   completed no earlier than started
 *
 * `notBefore` / `notAfter` include the bound, `after` / `before` exclude it. The bound is `today` (the day of the
 * runtime's clock in China time, never the server's wall clock) or a date field or variable, optionally moved by
 * `+ n days` / `- n days`, where n is a whole number or a whole-number field or variable. `<kind>Message`
 * (e.g. `afterMessage`) replaces the generated Chinese message; `{date}` in it stands for the bound day.
 */

export type DateBoundKind = 'notBefore' | 'notAfter' | 'after' | 'before';

export const DATE_BOUND_KINDS: readonly DateBoundKind[] = ['notBefore', 'notAfter', 'after', 'before'];

export interface DateBound {
  kind: DateBoundKind;
  /** `today` or the id of a date field or variable. */
  anchor: string;
  /** Days the anchor is moved by (a whole number, or the id of a whole-number field or variable); 0 for none. */
  days: number | string;
  /** 1 for `+ n days`, -1 for `- n days`. */
  sign: 1 | -1;
  /** Chinese message replacing the generated one; `{date}` is replaced by the bound day. */
  message?: string;
}

const NAME = '[A-Za-z_][A-Za-z0-9_]{0,63}';
const SYNTAX = new RegExp(`^\\s*(${NAME})\\s*(?:([+-])\\s*(\\d{1,5}|${NAME})\\s*days?)?\\s*$`);

/** A bound as written in a property, or null when it does not follow `anchor [± n days]`. */
export function parseDateBound(kind: DateBoundKind, text: string): DateBound | null {
  const m = SYNTAX.exec(text);
  if (!m) return null;
  const days = m[3] === undefined ? 0 : /^\d+$/.test(m[3]) ? Number(m[3]) : m[3];
  return { kind, anchor: m[1]!, days, sign: m[2] === '-' ? -1 : 1 };
}

/** The bound's day, null when a value it depends on is not given (nothing to compare), or a problem (Chinese). */
export type ResolvedBound = { day: number } | { day: null } | { problem: string };

/**
 * Resolves a bound over the submitted values overlaid on the instance variables. `today` is the day of the clock the
 * validation was given; without one a bound on today cannot be judged and is a problem, never a pass.
 */
export function resolveDateBound(bound: DateBound, context: Record<string, unknown>, today: number | null): ResolvedBound {
  let anchor: number | null;
  if (bound.anchor === 'today') {
    if (today === null) return { problem: '无法核对日期：未取得平台当前日期' };
    anchor = today;
  } else {
    const value = context[bound.anchor];
    if (value === null || value === undefined || value === '') return { day: null };
    anchor = dayNumberOf(value);
    if (anchor === null) return { problem: '无法核对日期：比较的日期无效' };
  }
  let days: number;
  if (typeof bound.days === 'number') days = bound.days;
  else {
    const value = context[bound.days];
    if (value === null || value === undefined || value === '') return { day: null };
    days = typeof value === 'number' ? value : Number.NaN;
    if (!Number.isSafeInteger(days)) return { problem: '无法核对日期：天数无效' };
  }
  return { day: anchor + bound.sign * days };
}

/** Whether a day satisfies the bound's day. */
export function withinDateBound(kind: DateBoundKind, day: number, bound: number): boolean {
  switch (kind) {
    case 'notBefore':
      return day >= bound;
    case 'notAfter':
      return day <= bound;
    case 'after':
      return day > bound;
    case 'before':
      return day < bound;
  }
}

const VERB: Record<DateBoundKind, string> = { notBefore: '不能早于', notAfter: '不能晚于', after: '须晚于', before: '须早于' };

/**
 * What the bound asks, in Chinese, without the field's name: `不能晚于今天（2026-03-02）`,
 * `须晚于 2026-03-22（今天之后 20 日）`. `labelOf` names a field of the same form (a variable has no label to show).
 */
export function dateBoundPhrase(bound: DateBound, day: number, context: Record<string, unknown>, labelOf: (id: string) => string | undefined): string {
  const date = isoDayOf(day);
  const days = typeof bound.days === 'number' ? bound.days : Number(context[bound.days]);
  const anchor = bound.anchor === 'today' ? '今天' : labelOf(bound.anchor) ? `“${labelOf(bound.anchor)}”` : null;
  if (!days) return `${VERB[bound.kind]}${anchor ? `${anchor}（${date}）` : ` ${date}`}`;
  const moved = anchor ? `（${anchor}${bound.sign > 0 ? '之后' : '之前'} ${days} 日）` : '';
  return `${VERB[bound.kind]} ${date}${moved}`;
}

/** The message shown at the field when the bound does not hold. */
export function dateBoundMessage(
  label: string,
  bound: DateBound,
  day: number,
  context: Record<string, unknown>,
  labelOf: (id: string) => string | undefined,
  source?: string,
): string {
  if (bound.message) return bound.message.replaceAll('{date}', isoDayOf(day));
  return `“${label}”${dateBoundPhrase(bound, day, context, labelOf)}${source ? `（${source}）` : ''}`;
}

/** The `min` / `max` a date input can show for a resolved bound (the earliest or latest day allowed). */
export function dateBoundLimit(kind: DateBoundKind, day: number): { min?: string; max?: string } {
  switch (kind) {
    case 'notBefore':
      return { min: isoDayOf(day) };
    case 'after':
      return { min: isoDayOf(day + 1) };
    case 'notAfter':
      return { max: isoDayOf(day) };
    case 'before':
      return { max: isoDayOf(day - 1) };
  }
}

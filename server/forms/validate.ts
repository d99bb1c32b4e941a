import { evaluateFeel, MAX_EVALUATION_MS, resolve } from '../expressions/feel.js';
import { chinaDayNumber, dayNumberOf } from './china-day.js';
import { normalizeCommunityName } from './community-name.js';
import { tableRowProblem } from './table-field.js';
import { dateBoundMessage, resolveDateBound, withinDateBound } from './date-bounds.js';
import {
  APPROVAL_DECISIONS,
  FIELD_ID,
  MAX_STRING_LENGTH,
  RESERVED_KEYS,
  isIsoDate,
  isIsoDateTime,
  type FormField,
  type FormSchema,
} from './schema.js';

/**
 * Validation of submitted form values against a form schema (server/forms/schema.ts).
 *
 * - Whitelist: only the schema's fields are read from the input (own properties only); unknown keys are ignored
 *   and never stored; `__proto__`, `constructor` and `prototype` are never read or written.
 * - Readonly fields are never taken from the input: a field with a default gets its default, one without is left
 *   out (so completing a task never overwrites the variable it displays).
 * - Values come from HTML forms (strings, "on" for a ticked checkbox, an absent key for an unticked one) or JSON.
 *   An absent key takes the field's default (a `${FEEL}` default is evaluated over the context); an absent boolean
 *   is `false`, as an unticked checkbox is absent. Empty strings and null are "no value" (stored as null).
 * - Types: long = integer within ±(2^53−1); boolean = true/false/"true"/"false"/"on"; date = `YYYY-MM-DD` (kept) or a
 *   full ISO date-time (stored as `toISOString()`); enum = one of the value ids; string = at most 10,000 characters
 *   or `maxlength`.
 * - Then required, min/max, minlength/maxlength, the approval rule (an opinion is required whenever the decision is
 *   not `approve`) and each field's FEEL `rule`s over the context (instance variables) overlaid with the submitted
 *   values; a rule that is not `true` (or fails) gives the field its `ruleMessage`.
 * - A `format: community` name is stored with one 社区 at its end; a table (`columns`) is checked row by row, before the
 *   rules, and a wrong row named by its line (server/forms/table-field.ts).
 * - Date bounds (`notAfter: today`, `after: today + voterListDays days`…) are judged against `options.now`, the
 *   runtime clock's instant of the submission (never the server's wall clock); a bound on today without it refuses.
 * All messages are Chinese and name the field by its label.
 */

export type FormValidationResult =
  | { ok: true; values: Record<string, unknown> }
  | { ok: false; fields: Record<string, string>; message: string };

type Coerced = { value: unknown } | { error: string };

function q(field: FormField): string {
  return `“${field.label || field.id}”`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** Number of characters (code points), counting no further than `limit + 1`. */
function charCount(text: string, limit: number): number {
  if (text.length <= limit) return [...text].length;
  if (text.length > limit * 2) return limit + 1; // at most two UTF-16 units per character
  let count = 0;
  for (const _ of text) {
    if (++count > limit) break;
  }
  return count;
}

const FULL_WIDTH_DIGITS = /[\uFF10-\uFF19\uFF0B\uFF0D]/g;

function coerce(field: FormField, raw: unknown): Coerced {
  if (Array.isArray(raw)) {
    if (raw.length !== 1) return { error: `${q(field)}只能填写一个值` };
    raw = raw[0];
  }
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return { value: field.type === 'boolean' ? false : null };
  }
  switch (field.type) {
    case 'string': {
      if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
      else if (typeof raw === 'boolean') raw = String(raw);
      if (typeof raw !== 'string') return { error: `${q(field)}必须是文本` };
      const limit = Math.min(field.constraints.maxlength ?? MAX_STRING_LENGTH, MAX_STRING_LENGTH);
      if (charCount(raw, limit) > limit) return { error: `${q(field)}不能超过 ${limit} 个字` };
      return { value: raw };
    }
    case 'long': {
      let number: number;
      if (typeof raw === 'number') number = raw;
      else if (typeof raw === 'string') {
        const digits = raw
          .trim()
          .replace(FULL_WIDTH_DIGITS, (c) => (c === '\uFF0B' ? '+' : c === '\uFF0D' ? '-' : String(c.charCodeAt(0) - 0xff10)));
        if (!/^[+-]?\d+$/.test(digits)) return { error: `${q(field)}必须是整数` };
        if (digits.replace(/^[+-]?0*/, '').length > 16) return { error: `${q(field)}超出允许的范围` };
        number = Number(digits);
      } else return { error: `${q(field)}必须是整数` };
      if (!Number.isFinite(number) || !Number.isInteger(number)) return { error: `${q(field)}必须是整数` };
      if (!Number.isSafeInteger(number)) return { error: `${q(field)}超出允许的范围` };
      return { value: number === 0 ? 0 : number };
    }
    case 'boolean': {
      if (raw === true || raw === false) return { value: raw };
      if (typeof raw === 'string') {
        const value = raw.trim().toLowerCase();
        if (value === 'true' || value === 'on') return { value: true };
        if (value === 'false') return { value: false };
      }
      return { error: `${q(field)}只能是“是”或“否”` };
    }
    case 'date': {
      if (typeof raw !== 'string') return { error: `${q(field)}必须是日期（格式为 YYYY-MM-DD）` };
      const value = raw.trim();
      if (isIsoDate(value)) return { value };
      if (value.length <= 40 && isIsoDateTime(value)) return { value: new Date(value).toISOString() };
      return { error: `${q(field)}必须是日期（格式为 YYYY-MM-DD）` };
    }
    case 'enum': {
      if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
      if (typeof raw !== 'string') return { error: `${q(field)}的取值无效` };
      const value = raw.trim();
      if (!(field.values ?? []).some((option) => option.id === value)) return { error: `${q(field)}的取值无效` };
      return { value };
    }
    default:
      return { error: `${q(field)}的类型不受支持` };
  }
}

function dateTime(value: string): number {
  return Date.parse(value);
}

/** Checks of a coerced value against the field's constraints; returns a message or null. */
function checkConstraints(field: FormField, value: unknown): string | null {
  const c = field.constraints;
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) {
    return c.required ? `${q(field)}不能为空` : null;
  }
  if (field.type === 'boolean') return c.required && value !== true ? `必须勾选${q(field)}` : null;
  if (field.type === 'long' && typeof value === 'number') {
    if (c.min !== undefined && value < c.min) return `${q(field)}不能小于 ${c.min}`;
    if (c.max !== undefined && value > c.max) return `${q(field)}不能大于 ${c.max}`;
  }
  if (field.type === 'date' && typeof value === 'string') {
    if (c.minDate && dateTime(value) < dateTime(c.minDate)) return `${q(field)}不能早于 ${c.minDate}`;
    if (c.maxDate && dateTime(value) > dateTime(c.maxDate)) return `${q(field)}不能晚于 ${c.maxDate}`;
  }
  if (field.type === 'string' && typeof value === 'string') {
    if (c.required && value.trim() === '') return `${q(field)}不能为空`;
    const length = charCount(value, MAX_STRING_LENGTH);
    if (c.minlength !== undefined && length < c.minlength) return `${q(field)}至少需要 ${c.minlength} 个字`;
    if (c.maxlength !== undefined && length > c.maxlength) return `${q(field)}不能超过 ${c.maxlength} 个字`;
  }
  return null;
}

function defaultOf(field: FormField, context: Record<string, unknown>): unknown {
  if (field.defaultValue === undefined) return field.type === 'boolean' ? false : null;
  if (typeof field.defaultValue !== 'string') return field.defaultValue;
  let raw: unknown = field.defaultValue;
  try {
    raw = resolve(field.defaultValue, context);
  } catch {
    return field.type === 'boolean' ? false : null;
  }
  const coerced = coerce(field, raw);
  return 'value' in coerced ? coerced.value : null;
}

function safeContext(context: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  if (context && typeof context === 'object') {
    for (const [key, value] of Object.entries(context)) {
      if (!RESERVED_KEYS.has(key)) out[key] = value;
    }
  }
  return out;
}

function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

/** A fraction `a/b` (b > 0) or a decimal, between 0 and 1 inclusive: what the services' ratio parser accepts. */
export function isRatio(text: string): boolean {
  const value = text.trim();
  const fraction = /^(\d{1,9})\s*\/\s*(\d{1,9})$/.exec(value);
  if (fraction) return Number(fraction[2]) > 0 && Number(fraction[1]) <= Number(fraction[2]);
  return /^(0(\.\d{1,9})?|1(\.0{1,9})?|\.\d{1,9})$/.test(value);
}

/** The choices of a field with `options`, evaluated over the instance's variables: trimmed, non-empty, distinct. */
export function fieldOptions(field: Pick<FormField, 'options'>, context: Record<string, unknown>): string[] {
  if (!field.options) return [];
  let list: unknown;
  try {
    list = evaluateFeel(field.options, context);
  } catch {
    return [];
  }
  const items = (Array.isArray(list) ? list : []).map((item) => (item === null || item === undefined ? '' : String(item).trim())).filter(Boolean);
  return [...new Set(items)];
}

export interface FormValidationOptions {
  /** The runtime clock's time of the submission: what `today` means to date bounds (in China time). */
  now?: Date;
}

export function validateFormValues(
  schema: FormSchema,
  input: unknown,
  context: Record<string, unknown>,
  options: FormValidationOptions = {},
): FormValidationResult {
  if (!isPlainObject(input)) {
    return { ok: false, fields: {}, message: '提交的表单数据无效' };
  }
  const base = safeContext(context);
  const values = new Map<string, unknown>();
  const errors = new Map<string, string>();
  const fields = schema.fields.filter((field) => FIELD_ID.test(field.id) && !RESERVED_KEYS.has(field.id));

  for (const field of fields) {
    if (field.constraints.readonly) {
      const fixed = field.defaultValue !== undefined ? defaultOf(field, base) : undefined;
      // What a document fixes (a read-only field that cites its source) is shown, never set: a different value is
      // refused with the clause that fixes it. Other read-only fields are display only, and input for them ignored.
      const given = hasOwn(input, field.id) ? input[field.id] : undefined;
      if (field.source && fixed !== undefined && given !== undefined && given !== null && given !== '' && String(given).trim() !== String(fixed)) {
        errors.set(field.id, `“${field.label}”由规定确定为“${fixed ?? ''}”，不能更改${field.source ? `（${field.source}）` : ''}`);
        continue;
      }
      if (fixed !== undefined) values.set(field.id, fixed);
      continue;
    }
    let value: unknown;
    if (hasOwn(input, field.id) && input[field.id] !== undefined) {
      const coerced = coerce(field, input[field.id]);
      if ('error' in coerced) {
        errors.set(field.id, coerced.error);
        continue;
      }
      value = coerced.value;
    } else {
      value = defaultOf(field, base);
    }
    const problem = checkConstraints(field, value);
    if (problem) errors.set(field.id, problem);
    else values.set(field.id, value);
  }

  if (schema.approval) {
    const decisionField = fields.find((field) => field.id === 'decision');
    const opinionField = fields.find((field) => field.id === 'opinion');
    const decision = values.get('decision');
    if (decisionField && opinionField && !errors.has('opinion') && typeof decision === 'string' && decision !== 'approve') {
      if (isEmpty(values.get('opinion'))) {
        const others = (decisionField.values ?? [])
          .filter((option) => option.id !== 'approve')
          .map((option) => `“${option.name || APPROVAL_DECISIONS[option.id] || option.id}”`);
        const label = opinionField.label || '审批意见';
        errors.set('opinion', `${label}不能为空：决定为${others.join('或')}时必须填写意见`);
      }
    }
  }

  // A share is a fraction or a decimal between 0 and 1, whichever process asks for it.
  for (const field of fields) {
    if (field.format !== 'ratio' || errors.has(field.id) || !values.has(field.id)) continue;
    const value = values.get(field.id);
    if (value === null || value === undefined || value === '') continue;
    if (!isRatio(String(value))) {
      errors.set(field.id, `${q(field)}应写成不大于 1 的分数（如 2/3）或小数（如 0.5）${field.source ? `（${field.source}）` : ''}`);
    }
  }

  // A community's name is kept with exactly one 社区 at its end, whatever was typed.
  for (const field of fields) {
    if (field.format !== 'community' || errors.has(field.id)) continue;
    const value = values.get(field.id);
    if (typeof value !== 'string' || value.trim() === '') continue;
    const name = normalizeCommunityName(value);
    if ('error' in name) errors.set(field.id, `${q(field)}：${name.error}`);
    else values.set(field.id, name.value);
  }

  // A field chosen from computed options takes only one of them, exactly.
  for (const field of fields) {
    if (!field.options || errors.has(field.id) || !values.has(field.id)) continue;
    const value = values.get(field.id);
    if (value === null || value === undefined || value === '') continue;
    if (!fieldOptions(field, base).includes(String(value))) {
      errors.set(field.id, `${q(field)}只能从列出的选项中选择${field.source ? `（${field.source}）` : ''}`);
    }
  }

  // Field rules and date bounds see the instance variables overlaid by the (valid) submitted values.
  const overlay = safeContext(base);
  for (const [key, value] of values) overlay[key] = value;
  const labelOf = (id: string) => fields.find((field) => field.id === id)?.label;

  // A table is checked row by row first, so a wrong row is named before any rule over the whole text speaks.
  for (const field of fields) {
    if (!field.table || field.constraints.readonly || errors.has(field.id)) continue;
    const value = values.get(field.id);
    if (typeof value !== 'string' || !value.trim()) continue;
    const problem = tableRowProblem(value, field.table.columns, field.table.separator, overlay, labelOf);
    if (problem) errors.set(field.id, `${problem}${field.source ? `（${field.source}）` : ''}`);
  }

  for (const field of fields) {
    if (field.constraints.readonly || errors.has(field.id)) continue;
    for (const rule of field.rules) {
      let holds = false;
      let message = rule.message;
      try {
        holds = evaluateFeel(rule.expression, overlay) === true;
      } catch (err) {
        // A rule stopped for taking too long says so; any other failure means the rule does not hold.
        if (err instanceof Error && err.message.includes(`${MAX_EVALUATION_MS} 毫秒`)) message = '填写的内容过长，无法在规定时间内校验，请分批填写或缩短内容';
      }
      if (!holds) {
        errors.set(field.id, message);
        break;
      }
    }
  }

  // A date is judged against today (the runtime's clock) or another date of the case, after the rules that cite
  // their clause have spoken.
  const today = options.now ? chinaDayNumber(options.now) : null;
  for (const field of fields) {
    if (!field.dateBounds?.length || field.constraints.readonly || errors.has(field.id)) continue;
    const day = dayNumberOf(values.get(field.id));
    if (day === null) continue;
    for (const bound of field.dateBounds) {
      const resolved = resolveDateBound(bound, overlay, today);
      if ('problem' in resolved) {
        errors.set(field.id, `${q(field)}${resolved.problem}`);
        break;
      }
      if (resolved.day !== null && !withinDateBound(bound.kind, day, resolved.day)) {
        errors.set(field.id, dateBoundMessage(field.label || field.id, bound, resolved.day, overlay, labelOf, field.source));
        break;
      }
    }
  }

  if (errors.size) {
    const out: Record<string, string> = {};
    for (const field of fields) {
      const message = errors.get(field.id);
      if (message !== undefined) out[field.id] = message;
    }
    // The summary names the first field the form shows with a problem, as the reader meets it.
    const first = Object.values(out)[0] ?? [...errors.values()][0];
    return {
      ok: false,
      fields: out,
      message: errors.size === 1 ? first : `表单有 ${errors.size} 处需要修改：${first}`,
    };
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of values) out[key] = value;
  return { ok: true, values: out };
}

import { isExpression, resolve } from '../expressions/feel.js';
import { APPROVAL_DECISIONS, type FormField, type FormSchema } from '../forms/schema.js';
import { fieldOptions } from '../forms/validate.js';
import { displayValue } from '../forms/display.js';
import { dayNumberOf, isoDayOf, chinaDayNumber } from '../forms/china-day.js';
import { dateBoundLimit, dateBoundPhrase, resolveDateBound } from '../forms/date-bounds.js';
import { rowOfMessage, rowPattern } from '../forms/table-field.js';
import { formatDateTime } from './views.js';

/** What a field template needs: everything already decided here, so templates stay plain. */
export interface FieldView {
  id: string;
  inputId: string;
  label: string;
  type: string;
  isText: boolean;
  isTextarea: boolean;
  isLong: boolean;
  isDate: boolean;
  isBoolean: boolean;
  isEnum: boolean;
  isDecision: boolean;
  readonly: boolean;
  required: boolean;
  /** Required mark shown only while the decision is not 通过 (the approval opinion). */
  requiredUnlessApprove: boolean;
  value: string;
  checked: boolean;
  display: string;
  options: { id: string; name: string; selected: boolean; inputId: string }[];
  help?: string;
  source?: string;
  error?: string;
  min?: number | string;
  max?: number | string;
  /**
   * A text edited as rows (web.js builds the row editor from these; without script the textarea stays): the columns as
   * JSON for the data attribute, the separator, how a row is written, and the row an error names.
   */
  table: { columns: string; separator: string; pattern: string; errorRow: number | null } | null;
  /** What the field's date bounds ask, with today's dates filled in (不能晚于今天（2026-03-02）). */
  dateRules: string[];
  minlength?: number;
  maxlength?: number;
  describedBy: string;
}

export function asSchema(value: unknown): FormSchema | null {
  if (!value || typeof value !== 'object') return null;
  const schema = value as FormSchema;
  return Array.isArray(schema.fields) ? schema : null;
}

function safeResolve(text: unknown, variables: Record<string, unknown>): unknown {
  try {
    return resolve(text, variables);
  } catch {
    return null;
  }
}


function inputText(field: FormField, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (field.type === 'date') {
    // A stored date-time is shown as its day in China time; anything typed is shown as typed.
    if (typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}T/.test(value)) return value;
    const day = dayNumberOf(value);
    return day !== null ? isoDayOf(day) : String(value);
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * The fields of a form ready to render. `submitted` (the raw posted strings) wins over defaults, so a form
 * refused by validation comes back with what the user typed. Defaults written as `${FEEL}` are evaluated over the
 * instance variables; a readonly field shows its default or, lacking one, the variable of the same name.
 */
export function fieldViews(
  schema: FormSchema,
  variables: Record<string, unknown>,
  submitted: Record<string, unknown> | null,
  errors: Record<string, string>,
  options: { prefix?: string; now?: Date } = {},
): FieldView[] {
  const prefix = options.prefix ?? 'f';
  const today = options.now ? chinaDayNumber(options.now) : null;
  const labelOf = (id: string) => schema.fields.find((f) => f.id === id)?.label;
  const views = schema.fields.map((field) => {
    const inputId = `${prefix}_${field.id}`;
    let value: unknown;
    if (field.defaultValue !== undefined && field.defaultValue !== null) {
      value = isExpression(field.defaultValue) ? safeResolve(field.defaultValue, variables) : field.defaultValue;
    } else if (field.constraints.readonly) {
      value = Object.prototype.hasOwnProperty.call(variables, field.id) ? variables[field.id] : null;
    }
    if (submitted && !field.constraints.readonly) {
      const raw = Object.prototype.hasOwnProperty.call(submitted, field.id) ? submitted[field.id] : undefined;
      value = field.type === 'boolean' ? raw !== undefined && raw !== '' && raw !== 'false' : raw ?? '';
    }
    const isDecision = schema.approval && field.id === 'decision' && field.type === 'enum';
    // Choices computed from the instance (the tender's winners) are offered as a list, never typed.
    const choices = field.options && !field.constraints.readonly ? fieldOptions(field, variables).map((name) => ({ id: name, name })) : null;
    const requiredUnlessApprove = schema.approval && field.id === 'opinion' && !field.constraints.required;
    const help = field.help;
    const c = field.constraints;
    const limits = dateLimits(field, variables, today, labelOf);
    const describedBy = [errors[field.id] ? `${inputId}_error` : '', limits.rules.length ? `${inputId}_dates` : '', help ? `${inputId}_help` : '']
      .filter(Boolean)
      .join(' ');
    return {
      id: field.id,
      inputId,
      label: field.label || field.id,
      type: field.type,
      isText: field.type === 'string' && !choices && field.widget !== 'textarea' && !field.table && !requiredUnlessApprove,
      isTextarea: field.type === 'string' && !choices && (field.widget === 'textarea' || !!field.table || requiredUnlessApprove),
      isLong: field.type === 'long',
      isDate: field.type === 'date',
      isBoolean: field.type === 'boolean',
      isEnum: (field.type === 'enum' && !isDecision) || !!choices,
      isDecision,
      readonly: !!c.readonly,
      required: !!c.required,
      requiredUnlessApprove,
      value: inputText(field, value),
      checked: value === true || value === 'true' || value === 'on',
      display: displayValue(field, value, formatDateTime),
      options: (choices ?? field.values ?? []).map((option) => ({
        id: option.id,
        name: option.name || APPROVAL_DECISIONS[option.id] || option.id,
        selected: value === option.id,
        inputId: `${inputId}_${option.id}`,
      })),
      help,
      source: field.source,
      error: errors[field.id],
      min: field.type === 'date' ? later(c.minDate?.slice(0, 10), limits.min) : c.min,
      max: field.type === 'date' ? earlier(c.maxDate?.slice(0, 10), limits.max) : c.max,
      dateRules: limits.rules,
      table:
        field.table && !c.readonly
          ? {
              columns: JSON.stringify(field.table.columns.map((col) => ({ label: col.label, numeric: col.type !== 'text', optional: col.optional }))),
              separator: field.table.separator,
              pattern: rowPattern(field.table.columns, field.table.separator),
              errorRow: rowOfMessage(errors[field.id]),
            }
          : null,
      minlength: c.minlength,
      maxlength: c.maxlength,
      describedBy,
    };
  });
  // A read-only field with nothing to show (a note that only applies after a return, say) is left out.
  return views.filter((view) => !view.readonly || view.display !== '');
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  return a && b ? (a > b ? a : b) : a ?? b;
}

function earlier(a: string | undefined, b: string | undefined): string | undefined {
  return a && b ? (a < b ? a : b) : a ?? b;
}

/**
 * The date bounds that can be judged while the form is shown (on today, or on a date the case already holds): the
 * earliest and latest day a date input offers, and each bound in words beside the field.
 */
function dateLimits(field: FormField, variables: Record<string, unknown>, today: number | null, labelOf: (id: string) => string | undefined) {
  const out: { min?: string; max?: string; rules: string[] } = { rules: [] };
  if (field.type !== 'date' || field.constraints.readonly) return out;
  for (const bound of field.dateBounds ?? []) {
    const resolved = resolveDateBound(bound, variables, today);
    if (!('day' in resolved) || resolved.day === null) continue;
    const limit = dateBoundLimit(bound.kind, resolved.day);
    out.min = later(out.min, limit.min);
    out.max = earlier(out.max, limit.max);
    out.rules.push(dateBoundPhrase(bound, resolved.day, variables, labelOf));
  }
  return out;
}

/** The posted values of a form's editable fields (strings as posted; an unticked checkbox stays absent). */
export function submittedValues(schema: FormSchema, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of schema.fields) {
    if (field.constraints.readonly) continue;
    if (!Object.prototype.hasOwnProperty.call(body, field.id)) continue;
    let value = body[field.id];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (typeof value !== 'string') continue;
    out[field.id] = value;
  }
  return out;
}

/** Field errors of fields the form does not show (so they are not lost). */
export function orphanErrors(schema: FormSchema | null, errors: Record<string, string>): string[] {
  const ids = new Set((schema?.fields ?? []).map((f) => f.id));
  return Object.entries(errors)
    .filter(([id]) => !ids.has(id))
    .map(([, message]) => message);
}

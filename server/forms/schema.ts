import { checkFeel, unwrap, isExpression } from '../expressions/feel.js';
import { DATE_BOUND_KINDS, parseDateBound, type DateBound, type DateBoundKind } from './date-bounds.js';
import { isTableSeparator, parseColumns, type TableColumn } from './table-field.js';

/**
 * Form schema read from `camunda:formData` on a user task or start event (docs/ARCHITECTURE.md, "User tasks"):
 * fields with id, Chinese label, type, default, enum values, `camunda:validation` constraints and the
 * platform's extra properties `help`, `widget`, `source`, `rule`/`ruleMessage` (`rule.2`/`ruleMessage.2`, …) and
 * the date bounds `notBefore`, `notAfter`, `after`, `before` (server/forms/date-bounds.ts).
 */

export type FieldType = 'string' | 'long' | 'boolean' | 'date' | 'enum';

export const FIELD_TYPES: readonly FieldType[] = ['string', 'long', 'boolean', 'date', 'enum'];

/** Longest text accepted in a string field unless its `maxlength` says less (in characters). */
export const MAX_STRING_LENGTH = 10000;

/** Decision values of an approval step and their Chinese names. */
export const APPROVAL_DECISIONS: Readonly<Record<string, string>> = { approve: '通过', reject: '不通过', return: '退回修改' };

/** Field ids must be plain FEEL/JS names and never a prototype key. */
export const FIELD_ID = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface FieldConstraints {
  required?: boolean;
  /** Bounds of a `long` field. */
  min?: number;
  max?: number;
  minlength?: number;
  maxlength?: number;
  readonly?: boolean;
  /** Bounds of a `date` field (`min`/`max` constraints written as ISO dates), as written. */
  minDate?: string;
  maxDate?: string;
}

export interface FieldRule {
  /** FEEL source (without `${…}`); must evaluate to `true` over the instance variables and the submitted values. */
  expression: string;
  /** Chinese message shown at the field when the rule does not hold. */
  message: string;
}

export interface FormField {
  id: string;
  label: string;
  type: FieldType;
  /** Typed default (`long` → number, `boolean` → boolean, others string); a `${FEEL}` default stays a string. */
  defaultValue?: string | number | boolean | null;
  values?: { id: string; name: string }[];
  constraints: FieldConstraints;
  help?: string;
  widget?: 'textarea';
  source?: string;
  /**
   * Choices computed from the instance (`camunda:property id="options"`, a FEEL list, e.g. the winners a tender
   * step recorded): the field is chosen from them, never typed, and a value not among them is refused.
   */
  options?: string;
  /**
   * `ratio`: a share written as a fraction (2/3) or a decimal (0.5), between 0 and 1 — checked the same way everywhere;
   * `community`: a community's name, stored ending in exactly one 社区 (幸福 → 幸福社区), so that nothing built on it
   * reads 幸福社区社区.
   */
  format?: 'ratio' | 'community';
  rules: FieldRule[];
  /**
   * A text that is really a table (`columns`, `separator`; server/forms/table-field.ts): one row a line, each row
   * checked on its own and named when wrong; the page edits it as rows.
   */
  table?: { columns: TableColumn[]; separator: string };
  /** Bounds of a date field relative to today or another date (`notAfter: today`, `after: today + voterListDays days`). */
  dateBounds?: DateBound[];
  /** Problems only visible while reading the XML (unknown constraint, unparsable bound…); see formSchemaProblems. */
  issues?: string[];
}

export interface FormSchema {
  fields: FormField[];
  /** An approval step: enum field `decision` with value `approve`, plus a string field `opinion`. */
  approval: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ModdleElement = any;

function is(element: ModdleElement, type: string): boolean {
  return !!element && typeof element.$instanceOf === 'function' && element.$instanceOf(type);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?$/;

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

/** `YYYY-MM-DD` naming a real day. */
export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  return !!m && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Full ISO date-time (`2025-03-01T09:30`, seconds, fraction and offset optional). */
export function isIsoDateTime(value: string): boolean {
  const m = ISO_DATE_TIME.exec(value);
  return !!m && validDay(Number(m[1]), Number(m[2]), Number(m[3])) && !Number.isNaN(Date.parse(value));
}

function parseFlag(config: unknown): boolean | null {
  const value = text(config)?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

function parseInteger(config: unknown): number | null {
  const value = text(config)?.trim();
  if (!value || !/^[+-]?\d{1,16}$/.test(value)) return null;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : null;
}

function parseNumber(config: unknown): number | null {
  const value = text(config)?.trim();
  if (!value || !/^[+-]?\d+(\.\d+)?$/.test(value)) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

function readConstraints(field: ModdleElement, type: string, issues: string[]): FieldConstraints {
  const constraints: FieldConstraints = {};
  for (const constraint of field.validation?.constraints ?? []) {
    const name = text(constraint.name)?.trim() ?? '';
    const config = constraint.config;
    switch (name) {
      case 'required':
      case 'readonly': {
        const flag = parseFlag(config);
        if (flag === null) issues.push(`约束 ${name} 的值“${String(config)}”无效（只能是 true 或 false）`);
        else constraints[name] = flag;
        break;
      }
      case 'min':
      case 'max': {
        if (type === 'date') {
          const value = text(config)?.trim() ?? '';
          if (!isIsoDate(value) && !isIsoDateTime(value)) issues.push(`约束 ${name} 的值“${value}”不是日期（YYYY-MM-DD）`);
          else constraints[name === 'min' ? 'minDate' : 'maxDate'] = value;
        } else if (type === 'long') {
          const value = parseNumber(config);
          if (value === null) issues.push(`约束 ${name} 的值“${String(config ?? '')}”不是数字`);
          else constraints[name] = value;
        } else {
          issues.push(`约束 ${name} 只适用于 long 和 date 类型的字段`);
        }
        break;
      }
      case 'minlength':
      case 'maxlength': {
        const value = parseInteger(config);
        if (type !== 'string') issues.push(`约束 ${name} 只适用于 string 类型的字段`);
        else if (value === null || value < 0) issues.push(`约束 ${name} 的值“${String(config ?? '')}”不是非负整数`);
        else constraints[name] = value;
        break;
      }
      default:
        issues.push(`不支持的校验约束“${name}”（可用：required、min、max、minlength、maxlength、readonly）`);
    }
  }
  return constraints;
}

function readDefault(
  raw: string,
  type: string,
  values: { id: string }[] | undefined,
  issues: string[],
): string | number | boolean | null {
  if (isExpression(raw as unknown)) return raw;
  const value = raw.trim();
  switch (type) {
    case 'long': {
      const number = parseInteger(value);
      if (number === null) issues.push(`默认值“${raw}”不是整数`);
      return number ?? raw;
    }
    case 'boolean':
      if (value === 'true') return true;
      if (value === 'false') return false;
      issues.push(`默认值“${raw}”必须是 true 或 false`);
      return raw;
    case 'date':
      if (!isIsoDate(value) && !isIsoDateTime(value)) issues.push(`默认值“${raw}”不是日期（YYYY-MM-DD）`);
      return raw;
    case 'enum':
      if (values && !values.some((v) => v.id === value)) issues.push(`默认值“${raw}”不是可选值之一`);
      return raw;
    default:
      return raw;
  }
}

function readField(field: ModdleElement): FormField {
  const issues: string[] = [];
  const id = text(field.id)?.trim() ?? '';
  const label = text(field.label)?.trim() ?? '';
  const type = text(field.type)?.trim() ?? '';
  const result: FormField = { id, label, type: type as FieldType, constraints: {}, rules: [] };

  if (type === 'enum' || (field.values && field.values.length)) {
    result.values = (field.values ?? []).map((value: ModdleElement) => {
      const valueId = text(value.id)?.trim() ?? '';
      return { id: valueId, name: text(value.name)?.trim() || valueId };
    });
  }
  result.constraints = readConstraints(field, type, issues);

  const rawDefault = text(field.defaultValue);
  if (rawDefault !== undefined) result.defaultValue = readDefault(rawDefault, type, result.values, issues);

  const properties = new Map<string, string>();
  for (const property of field.properties?.values ?? []) {
    const key = text(property.id)?.trim() ?? text(property.name)?.trim() ?? '';
    if (!key) continue;
    if (properties.has(key)) issues.push(`属性“${key}”重复`);
    properties.set(key, text(property.value) ?? '');
  }
  for (const [key, value] of properties) {
    if (key === 'help' && value.trim()) result.help = value.trim();
    else if (key === 'source' && value.trim()) result.source = value.trim();
    else if (key === 'format') {
      const format = value.trim();
      if ((format === 'ratio' || format === 'community') && type === 'string') result.format = format;
      else issues.push(`属性 format 的值“${value}”无效（只支持 string 字段的 ratio 和 community）`);
    } else if (key === 'options') {
      if (type !== 'string') issues.push('只有 string 类型的字段可以用 options 从流程数据中列出选项');
      else result.options = (unwrap(value) ?? value).trim();
    }
    else if ((DATE_BOUND_KINDS as string[]).includes(key)) {
      const bound = parseDateBound(key as DateBoundKind, value);
      if (type !== 'date') issues.push(`属性 ${key} 只适用于 date 类型的字段`);
      else if (!bound) issues.push(`属性 ${key} 的值“${value}”无效（应写成 today、字段标识，或再加减天数，如 today + 20 days、startedOn - voterListDays days）`);
      else {
        const message = properties.get(`${key}Message`)?.trim();
        (result.dateBounds ??= []).push(message ? { ...bound, message } : bound);
      }
    } else if (/^(notBefore|notAfter|after|before)Message$/.test(key)) {
      if (!properties.has(key.slice(0, -'Message'.length))) issues.push(`属性 ${key} 没有对应的 ${key.slice(0, -'Message'.length)}`);
    } else if (key === 'columns') {
      const columns = parseColumns(value);
      if (type !== 'string') issues.push('只有 string 类型的字段可以用 columns 写成表格');
      else if (!columns) issues.push(`属性 columns 的值“${value}”无效（如“姓名 | 票数:integer(票) <= validBallots”）`);
      else {
        const separator = properties.get('separator')?.trim() || '：';
        if (!isTableSeparator(separator)) issues.push(`属性 separator 的值“${separator}”无效（只支持“：”和“，”）`);
        else result.table = { columns, separator };
      }
    } else if (key === 'separator') {
      if (!properties.has('columns')) issues.push('属性 separator 没有对应的 columns');
    } else if (key === 'widget') {
      if (value.trim() === 'textarea') result.widget = 'textarea';
      else issues.push(`属性 widget 的值“${value}”无效（只支持 textarea）`);
    } else {
      const rule = /^rule(\.\d+)?$/.exec(key);
      if (rule) {
        const suffix = rule[1] ?? '';
        const expression = (unwrap(value) ?? value).trim();
        const message = properties.get(`ruleMessage${suffix}`)?.trim() || `“${label || id}”不符合要求`;
        result.rules.push({ expression, message });
      }
      const ruleMessage = /^ruleMessage(\.\d+)?$/.exec(key);
      if (ruleMessage && !properties.has(`rule${ruleMessage[1] ?? ''}`)) {
        issues.push(`属性 ${key} 没有对应的 rule${ruleMessage[1] ?? ''}`);
      }
    }
  }
  if (issues.length) result.issues = issues;
  return result;
}

/**
 * The form of a user task or start event (a bpmn-moddle element), or null when it has no `camunda:formData`.
 * Never throws on odd content: what cannot be used is recorded for formSchemaProblems.
 */
export function extractFormSchema(element: ModdleElement): FormSchema | null {
  const values: ModdleElement[] = element?.extensionElements?.values ?? [];
  const formData = values.find((value) => is(value, 'camunda:FormData'));
  if (!formData) return null;
  const fields: FormField[] = (formData.fields ?? []).map(readField);
  const decision = fields.find((field) => field.id === 'decision');
  const approval = !!decision && decision.type === 'enum' && !!decision.values?.some((value) => value.id === 'approve');
  return { fields, approval };
}

/** Problems of a form to report at deploy (Chinese). Empty when the form can be used. */
export function formSchemaProblems(schema: FormSchema): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const field of schema.fields) {
    const name = `字段“${field.label || field.id || '?'}”${field.id ? `（${field.id}）` : ''}`;
    const add = (message: string) => problems.push(`${name}：${message}`);
    if (!field.id) add('缺少标识（id）');
    else if (RESERVED_KEYS.has(field.id) || !FIELD_ID.test(field.id)) {
      add('标识只能由字母、数字和下划线组成（不以数字开头，最多 64 个字符），且不能是 __proto__、constructor、prototype');
    }
    if (field.id && seen.has(field.id)) add('标识与其他字段重复');
    seen.add(field.id);
    if (!field.label) add('缺少标签（label）');
    if (!FIELD_TYPES.includes(field.type)) {
      add(`类型“${field.type || ''}”不受支持（可用：${FIELD_TYPES.join('、')}）`);
    }
    if (field.type === 'enum') {
      const values = field.values ?? [];
      if (!values.length) add('枚举字段没有可选值（camunda:value）');
      const ids = new Set<string>();
      for (const value of values) {
        if (!value.id) add('有可选值缺少标识（id）');
        else if (ids.has(value.id)) add(`可选值“${value.id}”重复`);
        ids.add(value.id);
      }
    } else if (field.values?.length) {
      add('只有 enum 类型的字段可以有可选值');
    }
    const c = field.constraints;
    if (c.min !== undefined && c.max !== undefined && c.min > c.max) add(`最小值 ${c.min} 大于最大值 ${c.max}`);
    if (c.minDate && c.maxDate && Date.parse(c.minDate) > Date.parse(c.maxDate)) {
      add(`最早日期 ${c.minDate} 晚于最晚日期 ${c.maxDate}`);
    }
    if (c.minlength !== undefined && c.maxlength !== undefined && c.minlength > c.maxlength) {
      add(`最少字数 ${c.minlength} 大于最多字数 ${c.maxlength}`);
    }
    if (c.maxlength !== undefined && c.maxlength > MAX_STRING_LENGTH) add(`最多字数不能超过 ${MAX_STRING_LENGTH}`);
    if (typeof field.defaultValue === 'string' && isExpression(field.defaultValue)) {
      const source = unwrap(field.defaultValue) ?? '';
      const problem = source ? checkFeel(source) : '表达式为空';
      if (problem) add(`默认值表达式无效：${problem}`);
    }
    for (const rule of field.rules) {
      const problem = rule.expression ? checkFeel(rule.expression) : '表达式为空';
      if (problem) add(`校验规则“${rule.expression.slice(0, 60)}”不是有效的 FEEL：${problem}`);
    }
    for (const bound of field.dateBounds ?? []) {
      const anchor = schema.fields.find((other) => other.id === bound.anchor);
      if (anchor && anchor.type !== 'date') add(`日期界限 ${bound.kind} 引用的字段“${anchor.label || anchor.id}”不是 date 类型`);
      const days = typeof bound.days === 'string' ? schema.fields.find((other) => other.id === bound.days) : undefined;
      if (days && days.type !== 'long') add(`日期界限 ${bound.kind} 的天数字段“${days.label || days.id}”不是 long 类型`);
    }
    for (const issue of field.issues ?? []) add(issue);
  }

  const decision = schema.fields.find((field) => field.id === 'decision');
  if (schema.approval && decision) {
    const ids = (decision.values ?? []).map((value) => value.id);
    const unknown = ids.filter((id) => !(id in APPROVAL_DECISIONS));
    if (unknown.length) {
      problems.push(`审批表单的决定（decision）只能取 approve、reject、return，不能有：${unknown.join('、')}`);
    }
    if (!ids.includes('reject')) problems.push('审批表单的决定（decision）缺少可选值 reject（不通过）');
    const opinion = schema.fields.find((field) => field.id === 'opinion');
    if (!opinion) problems.push('审批表单缺少审批意见字段（opinion，string 类型）');
    else if (opinion.type !== 'string') problems.push('审批表单的审批意见字段（opinion）必须是 string 类型');
    else if (opinion.constraints.readonly) problems.push('审批表单的审批意见字段（opinion）不能是只读的');
  }
  return problems;
}

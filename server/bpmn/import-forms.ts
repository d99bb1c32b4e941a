import { FIELD_ID, RESERVED_KEYS, type FieldType } from '../forms/schema.js';
import { platformForm } from '../expressions/feel.js';
import { appendChild, attribute, createElement, elementChildren, type XmlElement } from './xml-tree.js';

/**
 * Forms written for other engines, as the platform's `camunda:formData` (docs/ARCHITECTURE.md, "User tasks"):
 *  - Camunda 8 forms (the JSON of `zeebe:userTaskForm`, schema of the Camunda Forms editor): textfield, textarea,
 *    number, checkbox, select and radio with static values, date pickers; their label, description, default,
 *    required, min/max, min/max length and read-only. Groups are flattened when they add no path.
 *  - Flowable and Activiti `formProperty`: id, name, type string/long/boolean/date/enum with `value` children,
 *    default (or the expression computing the shown value), required, writable="false".
 * What has no platform counterpart (layout and text components, dynamic options, multi-value fields, patterns,
 * conditions, variable mappings) is listed as dropped.
 */

export const CAMUNDA_URI = 'http://camunda.org/schema/1.0/bpmn';

export interface ImportedField {
  id: string;
  label: string;
  type: FieldType;
  defaultValue?: string;
  values?: { id: string; name: string }[];
  constraints: { name: string; config?: string }[];
  help?: string;
  widget?: 'textarea';
}

export interface FormReading {
  fields: ImportedField[];
  /** What could not be carried over, one Chinese sentence each. */
  dropped: string[];
}

function usableId(key: unknown): key is string {
  return typeof key === 'string' && FIELD_ID.test(key) && !RESERVED_KEYS.has(key);
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Groups nested deeper than any real form are not followed (a hostile file could nest thousands). */
const MAX_GROUP_DEPTH = 10;

const DECORATION = new Set(['text', 'html', 'image', 'spacer', 'separator', 'button', 'iframe', 'table', 'expression', 'documentPreview']);

/** A Camunda 8 form (the JSON text of `zeebe:userTaskForm`). */
export function readCamundaForm(json: string): FormReading {
  const dropped: string[] = [];
  let schema: unknown;
  try {
    schema = JSON.parse(json);
  } catch {
    return { fields: [], dropped: ['表单定义不是有效的 JSON'] };
  }
  const fields: ImportedField[] = [];
  const visit = (components: unknown, depth = 0): void => {
    if (!Array.isArray(components)) return;
    if (depth > MAX_GROUP_DEPTH) {
      dropped.push(`表单中嵌套超过 ${MAX_GROUP_DEPTH} 层的分组`);
      return;
    }
    for (const raw of components) {
      if (!raw || typeof raw !== 'object') continue;
      const c = raw as Record<string, unknown>;
      const type = String(c.type ?? '');
      const name = str(c.label) || str(c.key) || str(c.text)?.replace(/<[^>]*>/g, '').trim() || type;
      if (type === 'group' && !c.path) {
        visit(c.components, depth + 1);
        continue;
      }
      if (DECORATION.has(type)) {
        dropped.push(`表单中的展示内容“${name.length > 40 ? `${name.slice(0, 40)}…` : name}”（${type}）没有对应的平台字段`);
        continue;
      }
      const field = readComponent(c, type, dropped);
      if (field) fields.push(field);
    }
  };
  visit((schema as { components?: unknown } | null)?.components);
  return { fields, dropped };
}

function readComponent(c: Record<string, unknown>, type: string, dropped: string[]): ImportedField | null {
  const key = c.key;
  const label = (str(c.label) ?? '').trim() || (typeof key === 'string' ? key : '');
  const skip = (why: string) => {
    dropped.push(`表单字段“${label || type}”${why}`);
    return null;
  };
  if (!usableId(key)) return skip(`的键“${String(key ?? '')}”不能用作字段标识（只能由字母、数字和下划线组成）`);
  let fieldType: FieldType;
  let widget: 'textarea' | undefined;
  let values: { id: string; name: string }[] | undefined;
  switch (type) {
    case 'textfield':
      fieldType = 'string';
      break;
    case 'textarea':
      fieldType = 'string';
      widget = 'textarea';
      break;
    case 'number':
      fieldType = 'long';
      if (Number(c.decimalDigits) > 0) dropped.push(`表单字段“${label}”的小数位（平台的数字字段只收整数）`);
      break;
    case 'checkbox':
      fieldType = 'boolean';
      break;
    case 'select':
    case 'radio':
      fieldType = 'enum';
      if (!Array.isArray(c.values) || !c.values.length) return skip('的选项来自流程数据（valuesKey/valuesExpression），平台只支持固定选项');
      values = c.values
        .map((v) => v as { value?: unknown; label?: unknown })
        .filter((v) => str(v.value) !== undefined)
        .map((v) => ({ id: str(v.value)!, name: str(v.label) ?? str(v.value)! }));
      break;
    case 'datetime':
      if (c.subtype !== undefined && c.subtype !== 'date') return skip('记录时间，平台的日期字段只记日期');
      fieldType = 'date';
      break;
    default:
      return skip(`的类型“${type}”没有对应的平台字段类型`);
  }
  const constraints: ImportedField['constraints'] = [];
  const validate = (c.validate && typeof c.validate === 'object' ? c.validate : {}) as Record<string, unknown>;
  if (validate.required === true) constraints.push({ name: 'required' });
  for (const [from, to, types] of [
    ['min', 'min', ['long']],
    ['max', 'max', ['long']],
    ['minLength', 'minlength', ['string']],
    ['maxLength', 'maxlength', ['string']],
  ] as const) {
    const bound = validate[from];
    if (typeof bound === 'number' && Number.isFinite(bound) && (types as readonly string[]).includes(fieldType)) constraints.push({ name: to, config: String(bound) });
  }
  if (validate.pattern !== undefined || validate.validationType !== undefined) dropped.push(`表单字段“${label}”的格式校验（pattern）`);
  if (c.readonly === true || c.disabled === true) constraints.push({ name: 'readonly' });
  else if (c.readonly !== undefined && c.readonly !== false) dropped.push(`表单字段“${label}”按条件只读（表达式）`);
  if (c.conditional !== undefined) dropped.push(`表单字段“${label}”的显示条件`);
  const field: ImportedField = { id: key, label, type: fieldType, constraints };
  const defaultValue = str(c.defaultValue);
  if (defaultValue !== undefined) field.defaultValue = defaultValue;
  if (values) field.values = values;
  const help = str(c.description)?.trim();
  if (help) field.help = help;
  if (widget) field.widget = widget;
  return field;
}

const FORM_PROPERTY_TYPES: Record<string, FieldType> = { string: 'string', long: 'long', boolean: 'boolean', date: 'date', enum: 'enum' };

/** Flowable/Activiti `formProperty` elements (namespace `uri`) of one task or start event. */
export function readFormProperties(properties: XmlElement[], uri: string): FormReading {
  const fields: ImportedField[] = [];
  const dropped: string[] = [];
  for (const p of properties) {
    const get = (name: string) => attribute(p, name, '')?.value ?? attribute(p, name, uri)?.value;
    const id = get('id');
    const label = (get('name') ?? '').trim() || id || '';
    const typeName = (get('type') ?? 'string').trim();
    if (!usableId(id)) {
      dropped.push(`表单属性“${label}”的标识“${id ?? ''}”不能用作字段标识`);
      continue;
    }
    if (get('readable') === 'false') {
      dropped.push(`表单属性“${label}”（不显示的字段，平台的表单只有显示的字段）`);
      continue;
    }
    const type = FORM_PROPERTY_TYPES[typeName];
    if (!type) {
      dropped.push(`表单属性“${label}”的类型“${typeName}”没有对应的平台字段类型`);
      continue;
    }
    const constraints: ImportedField['constraints'] = [];
    if (get('required') === 'true') constraints.push({ name: 'required' });
    if (get('writable') === 'false') constraints.push({ name: 'readonly' });
    for (const extra of ['variable', 'datePattern']) {
      if (get(extra) !== undefined) dropped.push(`表单属性“${label}”的 ${extra}`);
    }
    const field: ImportedField = { id, label, type, constraints };
    // `expression` computes the shown value, which is what a platform default written ${FEEL} does.
    const defaultValue = get('default') ?? get('expression');
    if (defaultValue !== undefined) field.defaultValue = platformForm(defaultValue);
    if (get('default') !== undefined && get('expression') !== undefined) dropped.push(`表单属性“${label}”的 expression（已有 default）`);
    if (type === 'enum') {
      field.values = elementChildren(p, uri, 'value').map((v) => {
        const valueId = attribute(v, 'id')?.value ?? '';
        return { id: valueId, name: attribute(v, 'name')?.value || valueId };
      });
    }
    fields.push(field);
  }
  return { fields, dropped };
}

/** `<camunda:formData>` holding the fields; the camunda prefix is chosen when the document is written. */
export function formDataElement(fields: ImportedField[]): XmlElement {
  const formData = createElement(CAMUNDA_URI, 'formData');
  for (const f of fields) {
    const field = createElement(CAMUNDA_URI, 'formField', null, {
      id: f.id,
      label: f.label,
      type: f.type,
      ...(f.defaultValue !== undefined ? { defaultValue: f.defaultValue } : {}),
    });
    const properties: Record<string, string> = {};
    if (f.help) properties.help = f.help;
    if (f.widget) properties.widget = f.widget;
    if (Object.keys(properties).length) {
      const container = createElement(CAMUNDA_URI, 'properties');
      for (const [id, value] of Object.entries(properties)) appendChild(container, createElement(CAMUNDA_URI, 'property', null, { id, value }));
      appendChild(field, container);
    }
    if (f.constraints.length) {
      const validation = createElement(CAMUNDA_URI, 'validation');
      for (const c of f.constraints) {
        appendChild(validation, createElement(CAMUNDA_URI, 'constraint', null, { name: c.name, ...(c.config !== undefined ? { config: c.config } : {}) }));
      }
      appendChild(field, validation);
    }
    for (const v of f.values ?? []) appendChild(field, createElement(CAMUNDA_URI, 'value', null, { id: v.id, name: v.name }));
    appendChild(formData, field);
  }
  return formData;
}

import type { FormField } from './schema.js';

/**
 * A submitted or stored value as people read it: 是/否 for a boolean, the option's name for an enum, an amount in 元
 * with thousands separators, a list joined with 、. `formatDate` renders a date-time (the pages: Beijing time).
 */
export function displayValue(field: Pick<FormField, 'type' | 'values'> & { label?: string }, value: unknown, formatDate: (d: Date) => string = (d) => d.toISOString()): string {
  if (value === null || value === undefined) return '';
  if (field.type === 'boolean') return value === true || value === 'true' ? '是' : '否';
  if (field.type === 'enum') {
    const option = field.values?.find((v) => v.id === value);
    return option ? option.name : String(value);
  }
  // An amount of money (a whole-number field counted in 元) reads with thousands separators: 380,000.
  if (field.type === 'long' && typeof value === 'number' && field.label?.includes('元')) return value.toLocaleString('en-US');
  if (value instanceof Date) return formatDate(value);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*(Z|[+-]\d{2}:?\d{2})$/.test(value) && !Number.isNaN(Date.parse(value))) {
    return formatDate(new Date(value));
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join('、');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

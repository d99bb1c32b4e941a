import type { Db } from 'mongodb';
import type { Clock } from '../engine/clock.js';
import type { FormField } from '../forms/schema.js';
import type { InstanceListItem, InstanceQuery, RuntimeApi } from '../runtime/api.js';
import { eachLimited } from './each-limited.js';
import { InstanceSearch } from './instance-search.js';
import { STATUS_NAMES } from './labels.js';
import { displayNames } from './people.js';
import { ProcessFormsReader } from './process-forms.js';
import { MAX_EXPORT_ROWS, workbookBytes, type CellValue, type Column, type ColumnKind } from './workbook.js';

type ExportRuntime = Pick<RuntimeApi, 'listInstances' | 'listProcesses' | 'getInstance' | 'getDefinition' | 'org'>;

/** Fields every approval step shares: each step's own are in the print view, not one column for all. */
const PER_STEP_FIELDS = new Set(['decision', 'opinion']);

export interface InstanceExportRequest {
  /** The list's filters, already narrowed to what the person may see (server/http/instance-query.ts). */
  query: InstanceQuery;
  /** 事项名称/业务编号 search. */
  text?: string;
  /** The filters in words, for the 说明 sheet. */
  about: [string, string][];
}

/**
 * A list of cases as an Excel file: one row per instance; for a list of one process also its start form's fields
 * and the values its steps recorded (a year's P4 settlements, say), labelled as on its forms.
 */
export class InstanceExport {
  private readonly search: InstanceSearch;
  private readonly forms: ProcessFormsReader;

  constructor(
    private readonly runtime: ExportRuntime,
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly maxRows = MAX_EXPORT_ROWS,
  ) {
    this.search = new InstanceSearch(runtime);
    this.forms = new ProcessFormsReader(runtime);
  }

  async workbook(request: InstanceExportRequest): Promise<Buffer> {
    const { items, total } = await this.search.first(request.query, request.text, this.maxRows);
    const [org, people] = await Promise.all([this.runtime.org.snapshot(), displayNames(this.db, items.map((i) => i.startedBy))]);
    const columns: Column[] = [
      { header: '流程', kind: 'text', width: 30 },
      { header: '业务编号', kind: 'text', width: 22 },
      { header: '所属单位', kind: 'text', width: 18 },
      { header: '状态', kind: 'text', width: 8 },
      { header: '发起人', kind: 'text', width: 16 },
      { header: '发起时间', kind: 'datetime' },
      { header: '结束时间', kind: 'datetime' },
    ];
    const rows: CellValue[][] = items.map((i) => [
      i.processName || i.processKey,
      i.businessKey,
      i.unitId ? org.unit(i.unitId)?.name ?? i.unitId : '',
      STATUS_NAMES[i.status] ?? i.status,
      i.startedBy ? people.get(i.startedBy) ?? i.startedBy : '系统',
      i.startedAt,
      i.endedAt,
    ]);
    if (request.query.processKey && items.length) {
      const fields = await this.fieldColumns(items);
      columns.push(...fields.columns.map((f) => ({ header: f.header, kind: f.kind })));
      rows.forEach((row, i) => row.push(...fields.values[i]!));
    }
    return workbookBytes({ name: '流程实例', columns, rows, total, about: request.about, at: this.clock.now() });
  }

  /** The start form's fields, then every other form field some instance has a value for, with each row's values. */
  private async fieldColumns(items: InstanceListItem[]): Promise<{ columns: { header: string; kind: ColumnKind }[]; values: CellValue[][] }> {
    const variables: Record<string, unknown>[] = new Array(items.length);
    await eachLimited(items, 8, async (item, index) => {
      variables[index] = (await this.runtime.getInstance(item._id)).instance.variables ?? {};
    });
    const versions = [...new Set(items.map((i) => i.version))].sort((a, b) => b - a);
    const forms = await Promise.all(versions.map((v) => this.forms.forms(items[0]!.processKey, v)));
    const start = uniqueFields(forms.flatMap((f) => f.start).filter((f) => !f.constraints?.readonly));
    const startIds = new Set(start.map((f) => f.id));
    const recorded = uniqueFields(forms.flatMap((f) => f.tasks)).filter(
      (f) => !startIds.has(f.id) && !PER_STEP_FIELDS.has(f.id) && variables.some((v) => isScalar(v[f.id])),
    );
    const fields = [...start, ...recorded];
    return {
      columns: fields.map((f) => ({ header: f.label || f.id, kind: kindOf(f) })),
      values: variables.map((v) => fields.map((f) => cellOf(f, v[f.id]))),
    };
  }
}

/** Each field id once, the newest version's label first. */
function uniqueFields(fields: FormField[]): FormField[] {
  const seen = new Map<string, FormField>();
  for (const field of fields) if (!seen.has(field.id)) seen.set(field.id, field);
  return [...seen.values()];
}

function isScalar(value: unknown): boolean {
  return value !== null && value !== undefined && (typeof value !== 'object' || value instanceof Date);
}

function kindOf(field: FormField): ColumnKind {
  if (field.type === 'long') return 'number';
  if (field.type === 'date') return 'date';
  return 'text';
}

/** A value as its field shows it: an option's name, 是/否, a number, a date. */
function cellOf(field: FormField, value: unknown): CellValue {
  if (!isScalar(value)) return null;
  if (field.type === 'enum') return field.values?.find((o) => o.id === value)?.name ?? String(value);
  if (field.type === 'boolean') return value === true || value === 'true' ? '是' : '否';
  if (field.type === 'long') return typeof value === 'number' ? value : /^-?\d+(\.\d+)?$/.test(String(value).trim()) ? Number(value) : String(value);
  return value as CellValue;
}

import ExcelJS from 'exceljs';

/** The most rows one export holds; a larger list is cut, and the file says so. */
export const MAX_EXPORT_ROWS = 10_000;

/** How a column's values are written: text, a number, a date-time or a date (Beijing time, real Excel dates). */
export type ColumnKind = 'text' | 'number' | 'datetime' | 'date';

export interface Column {
  header: string;
  kind: ColumnKind;
  width?: number;
}

export type CellValue = string | number | boolean | Date | null | undefined;

export interface SheetData {
  /** The data sheet's name (at most 31 characters, as Excel allows). */
  name: string;
  columns: Column[];
  rows: CellValue[][];
  /** How many rows matched before the list was cut to `rows`; null when more matched than were read. */
  total: number | null;
  /** What the export is of, as lines of the 说明 sheet (e.g. [['范围', '我发起的'], ['流程', '网格事件']]). */
  about: [string, string][];
  /** When it was made, by the runtime's clock. */
  at: Date;
}

/** Excel keeps no time zone: a date is written as the wall-clock time it shows in China. */
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

const FORMATS: Record<ColumnKind, string | undefined> = {
  text: '@',
  number: undefined,
  datetime: 'yyyy-mm-dd hh:mm',
  date: 'yyyy-mm-dd',
};

/** An .xlsx file of one list: a data sheet with a frozen, filterable header row, and a 说明 sheet. */
export async function workbookBytes(data: SheetData): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '社区治理流程平台';
  workbook.created = data.at;
  const sheet = workbook.addWorksheet(data.name.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = data.columns.map((c) => ({ header: c.header, width: c.width ?? defaultWidth(c), style: FORMATS[c.kind] ? { numFmt: FORMATS[c.kind] } : {} }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).alignment = { vertical: 'middle' };
  for (const row of data.rows) sheet.addRow(row.map((value, i) => cell(value, data.columns[i]?.kind ?? 'text')));
  if (data.columns.length) sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: data.columns.length } };
  const cut = data.total === null || data.total > data.rows.length;
  if (cut) sheet.addRow([truncationNote(data.rows.length, data.total)]).font = { italic: true, color: { argb: 'FFB42318' } };

  const about = workbook.addWorksheet('说明');
  about.columns = [{ width: 14 }, { width: 70 }];
  const lines: [string, string][] = [
    ['导出时间', beijingText(data.at)],
    ...data.about,
    ['条数', cut ? `${data.rows.length}（${truncationNote(data.rows.length, data.total)}）` : String(data.rows.length)],
    ['时间', '均为北京时间（UTC+8）'],
  ];
  for (const line of lines) about.addRow(line);
  about.getColumn(1).font = { bold: true };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

function truncationNote(shown: number, total: number | null): string {
  return `列表过长，仅导出前 ${shown} 条（共 ${total ?? `${shown} 条以上`}${total === null ? '' : ' 条'}），请缩小筛选范围后分批导出。`;
}

function defaultWidth(column: Column): number {
  if (column.kind === 'datetime') return 17;
  if (column.kind === 'date') return 12;
  return Math.min(40, Math.max(10, [...column.header].length * 2 + 2));
}

function cell(value: CellValue, kind: ColumnKind): ExcelJS.CellValue {
  if (value === null || value === undefined || value === '') return null;
  if (kind === 'datetime' || kind === 'date') {
    const date = asDate(value, kind);
    if (date) return date;
  }
  if (kind === 'number' && typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (value instanceof Date) return beijingText(value);
  return String(value);
}

/** A date-time as its Beijing wall-clock time, or a `YYYY-MM-DD` day as that day. */
function asDate(value: CellValue, kind: 'datetime' | 'date'): Date | null {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(`${value}T00:00:00Z`);
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return null;
  const shifted = new Date(date.getTime() + BEIJING_OFFSET_MS);
  return kind === 'date' ? new Date(Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth(), shifted.getUTCDate())) : shifted;
}

/** `YYYY-MM-DD HH:mm` in Beijing time. */
export function beijingText(date: Date): string {
  return new Date(date.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

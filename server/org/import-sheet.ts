import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { ImportRow } from './admin.js';

/**
 * Reads the rows of a user import (an .xlsx workbook's first sheet, or a .csv file in UTF-8 or GBK — what Excel
 * writes on a Chinese Windows). The first row names the columns, in Chinese or English, in any order.
 */

const COLUMNS: Record<keyof Omit<ImportRow, 'row'>, readonly string[]> = {
  username: ['用户名', '登录名', 'username'],
  displayName: ['姓名', '显示名', 'displayname', 'name'],
  unit: ['所属单位', '单位', 'unit', 'unitid'],
  roles: ['角色', 'roles', 'groups'],
  password: ['初始密码', '密码', 'password'],
};

/** Largest user-import file (a few thousand rows of .xlsx are far below it). */
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

export class SheetError extends Error {
  override name = 'SheetError';
}

export async function readImportSheet(file: { buffer: Buffer; originalname: string }): Promise<ImportRow[]> {
  const workbook = new ExcelJS.Workbook();
  const name = file.originalname.toLowerCase();
  try {
    if (name.endsWith('.xlsx')) await workbook.xlsx.load(file.buffer as unknown as ArrayBuffer);
    else if (name.endsWith('.csv')) await workbook.csv.read(Readable.from([decodeText(file.buffer)]));
    else throw new SheetError('只能导入 .xlsx 或 .csv 文件');
  } catch (err) {
    if (err instanceof SheetError) throw err;
    throw new SheetError(`无法读取文件：${name.endsWith('.xlsx') ? '不是有效的 Excel 工作簿' : '不是有效的 CSV 文件'}`);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet || sheet.rowCount < 1) throw new SheetError('文件是空的');
  const header = sheet.getRow(1);
  const at: Partial<Record<keyof typeof COLUMNS, number>> = {};
  header.eachCell((cell, col) => {
    const title = cellText(cell.value).replace(/\s+/g, '').toLowerCase();
    for (const [field, names] of Object.entries(COLUMNS)) if (names.includes(title)) at[field as keyof typeof COLUMNS] = col;
  });
  const missing = (['username', 'unit', 'password'] as const).filter((f) => at[f] === undefined).map((f) => COLUMNS[f][0]);
  if (missing.length) throw new SheetError(`第 1 行缺少列：${missing.join('、')}（应有：用户名、姓名、所属单位、角色、初始密码）`);
  const rows: ImportRow[] = [];
  sheet.eachRow((row, number) => {
    if (number === 1) return;
    const get = (field: keyof typeof COLUMNS) => (at[field] ? cellText(row.getCell(at[field]!).value).trim() : '');
    const values = { username: get('username'), displayName: get('displayName'), unit: get('unit'), roles: get('roles'), password: get('password') };
    if (Object.values(values).every((v) => !v)) return;
    rows.push({ row: number, ...values });
  });
  return rows;
}

/** UTF-8 (with or without BOM) when the bytes are valid UTF-8, else GB18030 (a superset of GBK). */
function decodeText(buffer: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buffer);
  } catch {
    return new TextDecoder('gb18030').decode(buffer);
  }
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((r) => r.text).join('');
    if ('text' in value) return String(value.text);
    if ('result' in value) return String(value.result ?? '');
    if (value instanceof Date) return value.toISOString().slice(0, 10);
  }
  return String(value);
}

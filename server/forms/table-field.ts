/**
 * A text field that is really a table: one row a line, cells separated by a colon (or a comma), e.g. candidate votes
 * `张伟：312`. The field keeps its text (what services read); the diagram describes the columns so that every row is
 * checked on its own, and a wrong one is named by its number, and so that the page can edit it as rows.
 *
 *   <camunda:property id="columns" value="姓名 | 票数:integer(票) &lt;= validBallots" />
 *   <camunda:property id="separator" value="，" />          (default ：)
 *
 * A column is `label`, optionally `:text`, `:integer` or `:number` (not negative), a unit its values may end with in
 * brackets (`(票)`), a bound `<= n` (a number, or a field or variable of the case), and `?` when its cell may be empty.
 * The last column takes the rest of the line, separators included.
 */

export interface TableColumn {
  label: string;
  type: 'text' | 'integer' | 'number';
  /** A unit the values may carry (`312票`), stripped before the number is read. */
  unit?: string;
  /** The largest value: a number, or the id of a whole-number field or variable. */
  max?: number | string;
  optional: boolean;
}

/** The separators a table may use, each with the variants people type for it (full- and half-width). */
const SEPARATORS: Record<string, RegExp> = {
  '：': /[:：]/,
  '，': /[,，\t|｜]/,
};

export function isTableSeparator(text: string): boolean {
  return text in SEPARATORS;
}

const COLUMN = /^\s*([^:|?<>()]+?)\s*(?::\s*(text|integer|number)\s*(?:\(\s*([^()\s]{1,4})\s*\))?)?\s*(?:<=\s*(\d{1,15}(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]{0,63}))?\s*(\?)?\s*$/;

/** The columns as written in the `columns` property, or null when one of them cannot be read. */
export function parseColumns(spec: string): TableColumn[] | null {
  const parts = spec.split('|');
  const columns: TableColumn[] = [];
  for (const part of parts) {
    const m = COLUMN.exec(part);
    if (!m) return null;
    const type = (m[2] ?? 'text') as TableColumn['type'];
    if (type === 'text' && (m[3] || m[4])) return null;
    const column: TableColumn = { label: m[1]!, type, optional: !!m[5] };
    if (m[3]) column.unit = m[3];
    if (m[4]) column.max = /^\d/.test(m[4]) ? Number(m[4]) : m[4];
    columns.push(column);
  }
  return columns.length >= 1 ? columns : null;
}

/** The cells of one line: split at the first `count - 1` separators, trimmed. */
export function splitRow(line: string, separator: string, count: number): string[] {
  const pattern = SEPARATORS[separator] ?? SEPARATORS['：']!;
  const cells: string[] = [];
  let rest = line;
  while (cells.length < count - 1) {
    const m = pattern.exec(rest);
    if (!m) break;
    cells.push(rest.slice(0, m.index).trim());
    rest = rest.slice(m.index + m[0].length);
  }
  cells.push(rest.trim());
  return cells;
}

/** How a row is written, for messages: `“姓名：票数”`. */
export function rowPattern(columns: TableColumn[], separator: string): string {
  return `“${columns.map((c) => c.label).join(separator)}”`;
}

function numberOf(cell: string, column: TableColumn): number | null {
  let text = cell;
  if (column.unit && text.endsWith(column.unit)) text = text.slice(0, -column.unit.length).trim();
  const pattern = column.type === 'integer' ? /^\d{1,15}$/ : /^\d{1,15}(\.\d{1,6})?$/;
  return pattern.test(text) ? Number(text) : null;
}

/**
 * The first wrong row of a table's text, as a Chinese message naming it (`第 3 行（“张伟 591”）…`), or null. `context`
 * gives the bounds that name a field or variable; `labelOf` names such a field in the message.
 */
export function tableRowProblem(
  text: string,
  columns: TableColumn[],
  separator: string,
  context: Record<string, unknown>,
  labelOf: (id: string) => string | undefined,
): string | null {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const where = `第 ${i + 1} 行（“${line.trim().slice(0, 40)}”）`;
    const cells = splitRow(line, separator, columns.length);
    if (cells.length < columns.length) return `${where}应写成${rowPattern(columns, separator)}`;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!;
      const cell = cells[c]!;
      if (!cell) {
        if (column.optional) continue;
        return `${where}缺少“${column.label}”`;
      }
      if (column.type === 'text') continue;
      const value = numberOf(cell, column);
      if (value === null) return `${where}的“${column.label}”应为${column.type === 'integer' ? '不小于 0 的整数' : '不小于 0 的数'}`;
      if (column.max === undefined) continue;
      const max = typeof column.max === 'number' ? column.max : context[column.max];
      if (typeof max !== 'number') continue;
      if (value > max) {
        const named = typeof column.max === 'string' && labelOf(column.max) ? `${labelOf(column.max)}（${max}）` : String(max);
        return `${where}的“${column.label}”（${value}）不能多于${named}`;
      }
    }
  }
  return null;
}

/** The row number a table message names (`第 3 行…`), for the page to mark that row; null for a message about the whole table. */
export function rowOfMessage(message: string | undefined): number | null {
  const m = message ? /^第 (\d+) 行/.exec(message) : null;
  return m ? Number(m[1]) : null;
}

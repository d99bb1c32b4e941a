import { describe, expect, it } from '@jest/globals';
import { parseBpmn } from '../server/bpmn/moddle.js';
import { extractFormSchema, formSchemaProblems, type FormField, type FormSchema } from '../server/forms/schema.js';
import { parseColumns, rowOfMessage, splitRow } from '../server/forms/table-field.js';
import { validateFormValues } from '../server/forms/validate.js';
import { fieldViews } from '../server/web/form-view.js';

// Lists that are really tables (名称：数 per line): columns declared on the field, each row checked and named.

const NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"';

async function formOf(fields: string): Promise<FormSchema> {
  const xml = `<bpmn:definitions ${NS} id="d"><bpmn:process id="p" isExecutable="true">
    <bpmn:userTask id="t" name="任务"><bpmn:extensionElements><camunda:formData>${fields}</camunda:formData></bpmn:extensionElements></bpmn:userTask>
  </bpmn:process></bpmn:definitions>`;
  const parsed = await parseBpmn(xml);
  expect(parsed.warnings).toEqual([]);
  return extractFormSchema(parsed.elementsById.t)!;
}

const VOTES: Partial<FormField> = {
  id: 'votes',
  label: '候选人得票',
  table: { columns: parseColumns('姓名 | 票数:integer(票) <= validBallots')!, separator: '：' },
  source: '四(4)',
};

function schemaOf(...fields: Partial<FormField>[]): FormSchema {
  return { approval: false, fields: fields.map((f) => ({ type: 'string', constraints: {}, rules: [], ...f }) as FormField) };
}

function messageOf(schema: FormSchema, input: Record<string, unknown>, context: Record<string, unknown> = {}): string {
  const result = validateFormValues(schema, input, context);
  return result.ok ? 'ok' : Object.values(result.fields).join(' | ');
}

describe('columns', () => {
  it('reads labels, types, units, bounds and optional cells', () => {
    expect(parseColumns('姓名 | 票数:integer(票) <= validBallots')).toEqual([
      { label: '姓名', type: 'text', optional: false },
      { label: '票数', type: 'integer', unit: '票', max: 'validBallots', optional: false },
    ]);
    expect(parseColumns('指标名称|得分:number(分)?')).toEqual([
      { label: '指标名称', type: 'text', optional: false },
      { label: '得分', type: 'number', unit: '分', optional: true },
    ]);
    expect(parseColumns('社区名称 | 所属县（市）区')).toEqual([
      { label: '社区名称', type: 'text', optional: false },
      { label: '所属县（市）区', type: 'text', optional: false },
    ]);
    expect(parseColumns('名称:date')).toBeNull();
    expect(parseColumns('名称 | 说明:text(字)')).toBeNull();
  });

  it('splits a row at the first separators only: the last column keeps the rest', () => {
    expect(splitRow('民政局：虚报数据：2 项', '：', 2)).toEqual(['民政局', '虚报数据：2 项']);
    expect(splitRow(' 张伟 : 312 票', '：', 2)).toEqual(['张伟', '312 票']);
    expect(splitRow('金星社区,盘龙区', '，', 2)).toEqual(['金星社区', '盘龙区']);
    expect(splitRow('张伟 312', '：', 2)).toEqual(['张伟 312']);
  });

  it('are reported at deploy when they cannot be used', async () => {
    const schema = await formOf(`
      <camunda:formField id="a" label="甲" type="string"><camunda:properties><camunda:property id="columns" value="名称:date" /></camunda:properties></camunda:formField>
      <camunda:formField id="b" label="乙" type="long"><camunda:properties><camunda:property id="columns" value="名称" /></camunda:properties></camunda:formField>
      <camunda:formField id="c" label="丙" type="string"><camunda:properties><camunda:property id="columns" value="名称 | 数:integer" /><camunda:property id="separator" value=";" /></camunda:properties></camunda:formField>
      <camunda:formField id="e" label="戊" type="string"><camunda:properties><camunda:property id="separator" value="，" /></camunda:properties></camunda:formField>
      <camunda:formField id="f" label="己" type="string"><camunda:properties><camunda:property id="columns" value="名称 | 数:integer" /><camunda:property id="separator" value="，" /></camunda:properties></camunda:formField>`);
    const text = formSchemaProblems(schema).join('\n');
    expect(text).toContain('字段“甲”（a）：属性 columns 的值“名称:date”无效');
    expect(text).toContain('字段“乙”（b）：只有 string 类型的字段可以用 columns 写成表格');
    expect(text).toContain('字段“丙”（c）：属性 separator 的值“;”无效');
    expect(text).toContain('字段“戊”（e）：属性 separator 没有对应的 columns');
    expect(schema.fields[4]!.table).toEqual({ columns: [{ label: '名称', type: 'text', optional: false }, { label: '数', type: 'integer', optional: false }], separator: '，' });
  });
});

describe('each row is checked and a wrong one is named by its line', () => {
  const schema = schemaOf({ id: 'validBallots', label: '有效票数', type: 'long' }, VOTES);

  it('accepts good rows with either colon, the unit and blank lines', () => {
    expect(messageOf(schema, { validBallots: '590', votes: '张伟：590\n\n李娜:400 票\n' })).toBe('ok');
  });

  it('names the line (blank lines count) that lacks a separator, a cell, or a number', () => {
    expect(messageOf(schema, { validBallots: '590', votes: '张伟：590\n\n李娜 400' })).toBe('第 3 行（“李娜 400”）应写成“姓名：票数”（四(4)）');
    expect(messageOf(schema, { validBallots: '590', votes: '张伟：590\n：300' })).toBe('第 2 行（“：300”）缺少“姓名”（四(4)）');
    expect(messageOf(schema, { validBallots: '590', votes: '张伟：三百' })).toBe('第 1 行（“张伟：三百”）的“票数”应为不小于 0 的整数（四(4)）');
    expect(messageOf(schema, { validBallots: '590', votes: '张伟：30.5' })).toBe('第 1 行（“张伟：30.5”）的“票数”应为不小于 0 的整数（四(4)）');
  });

  it('holds a cell to its bound, named by the field it comes from: the bound itself is allowed, one more is not', () => {
    expect(messageOf(schema, { validBallots: '590', votes: '张伟：590' })).toBe('ok');
    expect(messageOf(schema, { validBallots: '590', votes: '李娜：300\n张伟：591' })).toBe('第 2 行（“张伟：591”）的“票数”（591）不能多于有效票数（590）（四(4)）');
  });

  it('leaves an optional cell empty and reads decimals in a number column', () => {
    const scores = schemaOf({ id: 'scores', label: '自查评分', table: { columns: parseColumns('指标名称 | 得分:number(分)?')!, separator: '：' } });
    expect(messageOf(scores, { scores: '党建引领：18.5分\n居民自治：' })).toBe('ok');
    expect(messageOf(scores, { scores: '党建引领：-1' })).toBe('第 1 行（“党建引领：-1”）的“得分”应为不小于 0 的数');
  });

  it('runs before the rules over the whole text', () => {
    const ruled = schemaOf({ id: 'validBallots', label: '有效票数', type: 'long' }, { ...VOTES, rules: [{ expression: 'false', message: '整体规则' }] });
    expect(messageOf(ruled, { validBallots: '590', votes: '张伟 1' })).toBe('第 1 行（“张伟 1”）应写成“姓名：票数”（四(4)）');
    expect(messageOf(ruled, { validBallots: '590', votes: '张伟：1' })).toBe('整体规则');
  });
});

describe('on the page', () => {
  it('a table field is a textarea carrying its columns, and the row a refusal names', () => {
    const schema = schemaOf({ id: 'validBallots', label: '有效票数', type: 'long' }, VOTES);
    const message = '第 2 行（“张伟：591”）的“票数”（591）不能多于有效票数（590）（四(4)）';
    const [, votes] = fieldViews(schema, {}, { validBallots: '590', votes: '李娜：300\n张伟：591' }, { votes: message });
    expect(votes!.isTextarea).toBe(true);
    expect(votes!.isText).toBe(false);
    expect(votes!.value).toBe('李娜：300\n张伟：591');
    expect(votes!.table).toEqual({
      columns: JSON.stringify([{ label: '姓名', numeric: false, optional: false }, { label: '票数', numeric: true, optional: false }]),
      separator: '：',
      pattern: '“姓名：票数”',
      errorRow: 2,
    });
    expect(rowOfMessage('“候选人得票”不能为空')).toBeNull();
  });
});

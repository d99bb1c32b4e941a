import { describe, expect, it } from '@jest/globals';
import { parseBpmn } from '../server/bpmn/moddle.js';
import { extractFormSchema, formSchemaProblems, type FormField, type FormSchema } from '../server/forms/schema.js';
import { validateFormValues } from '../server/forms/validate.js';

// ---------------------------------------------------------------------------------------------------------------
// Reading camunda:formData

const NS =
  'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"';

async function taskForm(formData: string, tag = 'userTask'): Promise<FormSchema | null> {
  const xml = `<bpmn:definitions ${NS} id="d"><bpmn:process id="p" isExecutable="true">
    <bpmn:${tag} id="t" name="任务">${formData ? `<bpmn:extensionElements>${formData}</bpmn:extensionElements>` : ''}</bpmn:${tag}>
  </bpmn:process></bpmn:definitions>`;
  const parsed = await parseBpmn(xml);
  expect(parsed.warnings).toEqual([]);
  return extractFormSchema(parsed.elementsById.t);
}

const SCORE_FORM = `<camunda:formData>
  <camunda:formField id="score" label="得分" type="long" defaultValue="60">
    <camunda:validation>
      <camunda:constraint name="required" />
      <camunda:constraint name="min" config="0" />
      <camunda:constraint name="max" config="100" />
    </camunda:validation>
    <camunda:properties>
      <camunda:property id="help" value="按评分细则打分" />
      <camunda:property id="source" value="《社区微更新项目评审办法》第六条" />
      <camunda:property id="rule" value="\${score &lt;= maxScore}" />
      <camunda:property id="ruleMessage" value="得分不能超过本项满分" />
      <camunda:property id="rule.2" value="score != 13" />
      <camunda:property id="ruleMessage.2" value="不吉利" />
    </camunda:properties>
  </camunda:formField>
  <camunda:formField id="kind" label="类别" type="enum" defaultValue="small">
    <camunda:value id="small" name="小微项目" /><camunda:value id="large" name="重大项目" />
  </camunda:formField>
  <camunda:formField id="agree" label="同意公示" type="boolean" defaultValue="true" />
  <camunda:formField id="meetingDate" label="会议日期" type="date">
    <camunda:validation><camunda:constraint name="min" config="2024-01-01" /><camunda:constraint name="max" config="2030-12-31" /></camunda:validation>
  </camunda:formField>
  <camunda:formField id="summary" label="会议纪要" type="string">
    <camunda:validation><camunda:constraint name="minlength" config="5" /><camunda:constraint name="maxlength" config="500" /></camunda:validation>
    <camunda:properties><camunda:property id="widget" value="textarea" /></camunda:properties>
  </camunda:formField>
  <camunda:formField id="caseNo" label="案卷号" type="string" defaultValue="AJ-001">
    <camunda:validation><camunda:constraint name="readonly" /></camunda:validation>
  </camunda:formField>
</camunda:formData>`;

describe('extractFormSchema', () => {
  it('reads fields, constraints and the platform properties', async () => {
    const schema = await taskForm(SCORE_FORM);
    expect(schema).not.toBeNull();
    if (!schema) return;
    expect(schema.approval).toBe(false);
    expect(schema.fields.map((f) => f.id)).toEqual(['score', 'kind', 'agree', 'meetingDate', 'summary', 'caseNo']);
    const [score, kind, agree, meetingDate, summary, caseNo] = schema.fields;
    expect(score).toEqual({
      id: 'score',
      label: '得分',
      type: 'long',
      defaultValue: 60,
      constraints: { required: true, min: 0, max: 100 },
      help: '按评分细则打分',
      source: '《社区微更新项目评审办法》第六条',
      rules: [
        { expression: 'score <= maxScore', message: '得分不能超过本项满分' },
        { expression: 'score != 13', message: '不吉利' },
      ],
    });
    expect(kind.values).toEqual([
      { id: 'small', name: '小微项目' },
      { id: 'large', name: '重大项目' },
    ]);
    expect(kind.defaultValue).toBe('small');
    expect(agree.defaultValue).toBe(true);
    expect(meetingDate.constraints).toEqual({ minDate: '2024-01-01', maxDate: '2030-12-31' });
    expect(summary.widget).toBe('textarea');
    expect(summary.constraints).toEqual({ minlength: 5, maxlength: 500 });
    expect(caseNo.constraints.readonly).toBe(true);
    expect(formSchemaProblems(schema)).toEqual([]);
  });

  it('returns null without camunda:formData and reads start event forms', async () => {
    expect(await taskForm('')).toBeNull();
    const start = await taskForm('<camunda:formData><camunda:formField id="title" label="标题" type="string" /></camunda:formData>', 'startEvent');
    expect(start?.fields[0]).toMatchObject({ id: 'title', type: 'string', rules: [] });
  });

  it('recognises an approval step', async () => {
    const schema = await taskForm(`<camunda:formData>
      <camunda:formField id="decision" label="审批决定" type="enum"><camunda:value id="approve" name="通过" /><camunda:value id="reject" name="不通过" /></camunda:formField>
      <camunda:formField id="opinion" label="审批意见" type="string" />
    </camunda:formData>`);
    expect(schema?.approval).toBe(true);
    expect(formSchemaProblems(schema as FormSchema)).toEqual([]);
  });
});

describe('formSchemaProblems', () => {
  it('reports bad types, enums without values, min > max, bad rules and unknown constraints', async () => {
    const schema = await taskForm(`<camunda:formData>
      <camunda:formField id="amount" label="金额" type="double" />
      <camunda:formField id="level" label="等级" type="enum" />
      <camunda:formField id="score" label="得分" type="long">
        <camunda:validation><camunda:constraint name="min" config="10" /><camunda:constraint name="max" config="5" /><camunda:constraint name="pattern" config="\\d+" /></camunda:validation>
        <camunda:properties><camunda:property id="rule" value="\${score &gt; }" /><camunda:property id="ruleMessage" value="错" /></camunda:properties>
      </camunda:formField>
      <camunda:formField id="count" label="次数" type="long" defaultValue="many" />
      <camunda:formField id="note" type="string" />
    </camunda:formData>`);
    const problems = formSchemaProblems(schema as FormSchema);
    const text = problems.join('\n');
    expect(text).toContain('字段“金额”（amount）：类型“double”不受支持');
    expect(text).toContain('字段“等级”（level）：枚举字段没有可选值');
    expect(text).toContain('字段“得分”（score）：最小值 10 大于最大值 5');
    expect(text).toContain('字段“得分”（score）：校验规则“score >”不是有效的 FEEL');
    expect(text).toContain('不支持的校验约束“pattern”');
    expect(text).toContain('字段“次数”（count）：默认值“many”不是整数');
    expect(text).toContain('字段“note”（note）：缺少标签（label）');
  });

  it('requires an opinion field in approval forms and refuses dangerous field ids', () => {
    const field = (id: string, extra: Partial<FormField> = {}): FormField => ({
      id,
      label: id,
      type: 'string',
      constraints: {},
      rules: [],
      ...extra,
    });
    const approval: FormSchema = {
      approval: true,
      fields: [field('decision', { type: 'enum', values: [{ id: 'approve', name: '通过' }, { id: 'reject', name: '不通过' }] })],
    };
    expect(formSchemaProblems(approval)).toEqual(['审批表单缺少审批意见字段（opinion，string 类型）']);
    const odd: FormSchema = {
      approval: true,
      fields: [
        field('decision', { type: 'enum', values: [{ id: 'approve', name: '通过' }, { id: 'maybe', name: '再议' }] }),
        field('opinion'),
        field('__proto__'),
        field('constructor'),
        field('opinion'),
      ],
    };
    const problems = formSchemaProblems(odd).join('\n');
    expect(problems).toContain('不能有：maybe');
    expect(problems).toContain('缺少可选值 reject');
    expect(problems).toContain('字段“__proto__”（__proto__）：标识只能由字母');
    expect(problems).toContain('字段“constructor”（constructor）：标识只能由字母');
    expect(problems).toContain('字段“opinion”（opinion）：标识与其他字段重复');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Validating submitted values

function schemaOf(fields: Partial<FormField>[], approval = false): FormSchema {
  return {
    approval,
    fields: fields.map((f) => ({ label: f.id ?? '', type: 'string', constraints: {}, rules: [], ...f }) as FormField),
  };
}

function errors(result: ReturnType<typeof validateFormValues>): Record<string, string> {
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.values)}`);
  return result.fields;
}

function values(result: ReturnType<typeof validateFormValues>): Record<string, unknown> {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.fields)}`);
  return result.values;
}

describe('validateFormValues', () => {
  let score: FormSchema;
  it('coerces HTML form strings and checks the constraints, in Chinese', async () => {
    score = (await taskForm(SCORE_FORM)) as FormSchema;
    const context = { maxScore: 100 };
    const ok = values(
      validateFormValues(
        score,
        { score: '85', kind: 'large', agree: 'on', meetingDate: '2025-03-01', summary: '同意按计划实施。' },
        context,
      ),
    );
    expect(ok).toEqual({
      score: 85,
      kind: 'large',
      agree: true,
      meetingDate: '2025-03-01',
      summary: '同意按计划实施。',
      caseNo: 'AJ-001',
    });

    expect(errors(validateFormValues(score, { score: '101' }, context))).toEqual({ score: '“得分”不能大于 100' });
    expect(errors(validateFormValues(score, { score: '-1' }, context))).toEqual({ score: '“得分”不能小于 0' });
    expect(errors(validateFormValues(score, { score: '' }, context))).toEqual({ score: '“得分”不能为空' });
    expect(errors(validateFormValues(score, { score: '8.5' }, context))).toEqual({ score: '“得分”必须是整数' });
    expect(errors(validateFormValues(score, { score: 'abc' }, context))).toEqual({ score: '“得分”必须是整数' });
    expect(errors(validateFormValues(score, { kind: 'huge' }, context))).toEqual({ kind: '“类别”的取值无效' });
    expect(errors(validateFormValues(score, { agree: 'yes' }, context))).toEqual({ agree: '“同意公示”只能是“是”或“否”' });
    expect(errors(validateFormValues(score, { meetingDate: '2025-02-30' }, context))).toEqual({
      meetingDate: '“会议日期”必须是日期（格式为 YYYY-MM-DD）',
    });
    expect(errors(validateFormValues(score, { meetingDate: '2023-12-31' }, context))).toEqual({
      meetingDate: '“会议日期”不能早于 2024-01-01',
    });
    expect(errors(validateFormValues(score, { meetingDate: '2031-01-01T08:00:00Z' }, context))).toEqual({
      meetingDate: '“会议日期”不能晚于 2030-12-31',
    });
    expect(errors(validateFormValues(score, { summary: '同意' }, context))).toEqual({ summary: '“会议纪要”至少需要 5 个字' });
    expect(errors(validateFormValues(score, { summary: '字'.repeat(501) }, context))).toEqual({
      summary: '“会议纪要”不能超过 500 个字',
    });
    const two = validateFormValues(score, { score: '101', kind: 'huge' }, context);
    expect(two.ok).toBe(false);
    if (!two.ok) expect(two.message).toBe('表单有 2 处需要修改：“得分”不能大于 100');
  });

  it('coerces JSON values', () => {
    const schema = schemaOf([
      { id: 'n', label: '人数', type: 'long' },
      { id: 'b', label: '是否', type: 'boolean' },
      { id: 'd', label: '时间', type: 'date' },
    ]);
    expect(values(validateFormValues(schema, { n: 42, b: false, d: '2025-03-01T08:30:00+08:00' }, {}))).toEqual({
      n: 42,
      b: false,
      d: '2025-03-01T00:30:00.000Z',
    });
    expect(values(validateFormValues(schema, { n: '４２', b: 'false' }, {}))).toEqual({ n: 42, b: false, d: null });
    expect(errors(validateFormValues(schema, { n: 2 ** 53 }, {}))).toEqual({ n: '“人数”超出允许的范围' });
    expect(errors(validateFormValues(schema, { n: '9007199254740993' }, {}))).toEqual({ n: '“人数”超出允许的范围' });
    expect(values(validateFormValues(schema, { n: -(2 ** 53 - 1) }, {})).n).toBe(-(2 ** 53 - 1));
    expect(errors(validateFormValues(schema, { n: 1.5, b: 1, d: 20250301 }, {}))).toEqual({
      n: '“人数”必须是整数',
      b: '“是否”只能是“是”或“否”',
      d: '“时间”必须是日期（格式为 YYYY-MM-DD）',
    });
    expect(errors(validateFormValues(schema, { n: ['1', '2'] }, {}))).toEqual({ n: '“人数”只能填写一个值' });
    expect(errors(validateFormValues(schema, { n: { $gt: 1 } }, {}))).toEqual({ n: '“人数”必须是整数' });
    // an unticked checkbox is absent
    expect(values(validateFormValues(schema, {}, {})).b).toBe(false);
  });

  it('refuses input that is not an object', () => {
    const schema = schemaOf([{ id: 'a' }]);
    for (const input of [null, 'a=1', [], 42, new Map([['a', '1']])]) {
      const result = validateFormValues(schema, input, {});
      expect(result).toEqual({ ok: false, fields: {}, message: '提交的表单数据无效' });
    }
  });

  it('keeps only the fields of the form (whitelist) and ignores prototype keys harmlessly', () => {
    const schema = schemaOf([{ id: 'title', label: '标题' }]);
    const payload = JSON.parse('{"title":"议题","isAdmin":true,"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":1}');
    const result = values(validateFormValues(schema, payload, {}));
    expect(result).toEqual({ title: '议题' });
    expect(Object.keys(result)).toEqual(['title']);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((result as Record<string, unknown>).polluted).toBeUndefined();

    // a schema naming prototype keys (refused at deploy) still never reads or writes them
    const hostile = schemaOf([{ id: '__proto__' }, { id: 'constructor' }, { id: 'title', label: '标题' }]);
    const out = values(validateFormValues(hostile, payload, { constructor: 'x' }));
    expect(Object.keys(out)).toEqual(['title']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never takes readonly fields from the input', async () => {
    const schema = schemaOf([
      { id: 'caseNo', label: '案卷号', defaultValue: 'AJ-001', constraints: { readonly: true } },
      { id: 'total', label: '总分', type: 'long', constraints: { readonly: true } },
      { id: 'stamp', label: '日期', type: 'date', defaultValue: '${today}', constraints: { readonly: true } },
    ]);
    const out = values(validateFormValues(schema, { caseNo: 'HACKED', total: 999, stamp: '1999-01-01' }, { total: 88, today: '2025-06-01' }));
    expect(out).toEqual({ caseNo: 'AJ-001', stamp: '2025-06-01' });
  });

  it('refuses another value for a read-only field a document fixes, citing it', () => {
    const schema = schemaOf([{ id: 'ratio', label: '同意比例', defaultValue: '过半数', source: '《某文件》四(4)', constraints: { readonly: true } }]);
    expect(errors(validateFormValues(schema, { ratio: '1/10' }, {}))).toEqual({ ratio: '“同意比例”由规定确定为“过半数”，不能更改（《某文件》四(4)）' });
    expect(values(validateFormValues(schema, { ratio: '过半数' }, {}))).toEqual({ ratio: '过半数' });
    expect(values(validateFormValues(schema, {}, {}))).toEqual({ ratio: '过半数' });
  });

  it('checks every ratio the same way: a fraction or a decimal from 0 to 1', () => {
    const schema = schemaOf([{ id: 'r', label: '比例', format: 'ratio', source: '实践' }]);
    for (const ok of ['1/2', '2/3', ' 1 / 2 ', '0.5', '.5', '1', '1.0', '0', '3/3']) expect(values(validateFormValues(schema, { r: ok }, {})).r).toBe(ok);
    for (const bad of ['3/2', '1.5', 'abc', '1/0', '2', '-1/2', '三分之二']) {
      expect(errors(validateFormValues(schema, { r: bad }, {}))).toEqual({ r: '“比例”应写成不大于 1 的分数（如 2/3）或小数（如 0.5）（实践）' });
    }
  });

  it('takes a field with computed options only as one of them, exactly', () => {
    const schema = schemaOf([{ id: 'pick', label: '机构', options: 'split(list, "\\n")', source: '三(三)' }]);
    const context = { list: '甲机构\n 乙机构 \n' };
    expect(values(validateFormValues(schema, { pick: '乙机构' }, context))).toEqual({ pick: '乙机构' });
    for (const wrong of ['乙', '乙机构分部', '丙机构']) {
      expect(errors(validateFormValues(schema, { pick: wrong }, context))).toEqual({ pick: '“机构”只能从列出的选项中选择（三(三)）' });
    }
  });

  it('refuses megabyte strings quickly', () => {
    const schema = schemaOf([{ id: 'note', label: '备注' }]);
    const huge = 'x'.repeat(1024 * 1024);
    const started = Date.now();
    expect(errors(validateFormValues(schema, { note: huge }, {}))).toEqual({ note: '“备注”不能超过 10000 个字' });
    expect(errors(validateFormValues(schema, { note: '政'.repeat(10001) }, {}))).toEqual({ note: '“备注”不能超过 10000 个字' });
    expect(values(validateFormValues(schema, { note: '政'.repeat(10000) }, {})).note).toHaveLength(10000);
    // characters beyond the BMP count once
    expect(values(validateFormValues(schema, { note: '𠀋'.repeat(10000) }, {})).note).toHaveLength(20000);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('requires an opinion unless the decision is approve', async () => {
    const schema = (await taskForm(`<camunda:formData>
      <camunda:formField id="decision" label="审批决定" type="enum">
        <camunda:validation><camunda:constraint name="required" /></camunda:validation>
        <camunda:value id="approve" name="通过" /><camunda:value id="reject" name="不通过" /><camunda:value id="return" name="退回修改" />
      </camunda:formField>
      <camunda:formField id="opinion" label="审批意见" type="string" />
    </camunda:formData>`)) as FormSchema;
    expect(values(validateFormValues(schema, { decision: 'approve' }, {}))).toEqual({ decision: 'approve', opinion: null });
    const message = '审批意见不能为空：决定为“不通过”或“退回修改”时必须填写意见';
    expect(errors(validateFormValues(schema, { decision: 'reject' }, {}))).toEqual({ opinion: message });
    expect(errors(validateFormValues(schema, { decision: 'return', opinion: '   ' }, {}))).toEqual({ opinion: message });
    expect(values(validateFormValues(schema, { decision: 'reject', opinion: '材料不全' }, {}))).toEqual({
      decision: 'reject',
      opinion: '材料不全',
    });
    expect(errors(validateFormValues(schema, {}, {}))).toEqual({ decision: '“审批决定”不能为空' });
  });

  it('applies field rules over the instance variables overlaid by the submitted values', async () => {
    const schema = (await taskForm(SCORE_FORM)) as FormSchema;
    expect(errors(validateFormValues(schema, { score: '90' }, { maxScore: 80 }))).toEqual({ score: '得分不能超过本项满分' });
    expect(values(validateFormValues(schema, { score: '80' }, { maxScore: 80 })).score).toBe(80);
    // the second rule
    expect(errors(validateFormValues(schema, { score: '13' }, { maxScore: 80 }))).toEqual({ score: '不吉利' });
    // a submitted value overrides the variable of the same name
    expect(values(validateFormValues(schema, { score: '70' }, { maxScore: 80, score: 99 })).score).toBe(70);
    // a rule that cannot be evaluated (no maxScore) does not hold
    expect(errors(validateFormValues(schema, { score: '70' }, {}))).toEqual({ score: '得分不能超过本项满分' });

    const crossField = schemaOf([
      { id: 'votesFor', label: '赞成票', type: 'long' },
      {
        id: 'votesAgainst',
        label: '反对票',
        type: 'long',
        rules: [{ expression: 'votesFor + votesAgainst <= registeredVoters', message: '赞成票与反对票之和不能超过登记人数' }],
      },
    ]);
    expect(errors(validateFormValues(crossField, { votesFor: '30', votesAgainst: '25' }, { registeredVoters: 50 }))).toEqual({
      votesAgainst: '赞成票与反对票之和不能超过登记人数',
    });
    expect(values(validateFormValues(crossField, { votesFor: '30', votesAgainst: '20' }, { registeredVoters: 50 }))).toEqual({
      votesFor: 30,
      votesAgainst: 20,
    });
    // instance variables with prototype names are not visible to rules and cause no harm
    const context = JSON.parse('{"registeredVoters":50,"__proto__":{"registeredVoters":1000}}');
    expect(values(validateFormValues(crossField, { votesFor: '30', votesAgainst: '20' }, context)).votesAgainst).toBe(20);
  });

  it('uses defaults for absent fields and a required boolean must be ticked', () => {
    const schema = schemaOf([
      { id: 'kind', label: '类别', type: 'enum', values: [{ id: 'a', name: '甲' }, { id: 'b', name: '乙' }], defaultValue: 'b' },
      { id: 'count', label: '数量', type: 'long', defaultValue: 3 },
      { id: 'read', label: '我已阅读公示内容', type: 'boolean', constraints: { required: true } },
    ]);
    expect(values(validateFormValues(schema, { read: 'on' }, {}))).toEqual({ kind: 'b', count: 3, read: true });
    expect(errors(validateFormValues(schema, {}, {}))).toEqual({ read: '必须勾选“我已阅读公示内容”' });
    // an emptied field is empty, not the default
    expect(values(validateFormValues(schema, { count: '', read: true }, {})).count).toBeNull();
  });
});

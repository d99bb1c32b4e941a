import { describe, expect, it } from '@jest/globals';
import { parseBpmn } from '../server/bpmn/moddle.js';
import { extractFormSchema, formSchemaProblems, type FormField, type FormSchema } from '../server/forms/schema.js';
import { validateFormValues } from '../server/forms/validate.js';
import { fieldViews } from '../server/web/form-view.js';

// Date bounds of form fields (server/forms/date-bounds.ts): read from camunda:property, judged against the clock the
// validation is given, in China time, at each boundary (the day before, the day itself, the day after).

const NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"';

async function formOf(fields: string): Promise<FormSchema> {
  const xml = `<bpmn:definitions ${NS} id="d"><bpmn:process id="p" isExecutable="true">
    <bpmn:userTask id="t" name="任务"><bpmn:extensionElements><camunda:formData>${fields}</camunda:formData></bpmn:extensionElements></bpmn:userTask>
  </bpmn:process></bpmn:definitions>`;
  const parsed = await parseBpmn(xml);
  expect(parsed.warnings).toEqual([]);
  return extractFormSchema(parsed.elementsById.t)!;
}

const dateField = (id: string, label: string, properties: Record<string, string>) =>
  `<camunda:formField id="${id}" label="${label}" type="date"><camunda:properties>${Object.entries(properties)
    .map(([k, v]) => `<camunda:property id="${k}" value="${v}" />`)
    .join('')}</camunda:properties></camunda:formField>`;

/** Monday 2 March 2026, 09:00 in Beijing. */
const NOW = new Date('2026-03-02T09:00:00+08:00');

function outcome(schema: FormSchema, input: Record<string, unknown>, context: Record<string, unknown> = {}, now: Date | null = NOW) {
  const result = validateFormValues(schema, input, context, now ? { now } : {});
  return result.ok ? 'ok' : Object.values(result.fields).join(' | ');
}

describe('date bounds: reading', () => {
  it('reads notBefore / notAfter / after / before with an anchor, a number of days and a message', async () => {
    const schema = await formOf(
      dateField('meetingDate', '会议日期', { notAfter: 'today' }) +
        dateField('electionDate', '选举日', { after: 'today + listDays days', afterMessage: '须晚于 {date}' }) +
        dateField('endOn', '结束日期', { notBefore: 'startOn - 1 day', before: 'deadline' }),
    );
    expect(schema.fields.map((f) => f.dateBounds)).toEqual([
      [{ kind: 'notAfter', anchor: 'today', days: 0, sign: 1 }],
      [{ kind: 'after', anchor: 'today', days: 'listDays', sign: 1, message: '须晚于 {date}' }],
      [
        { kind: 'notBefore', anchor: 'startOn', days: 1, sign: -1 },
        { kind: 'before', anchor: 'deadline', days: 0, sign: 1 },
      ],
    ]);
    expect(formSchemaProblems(schema)).toEqual([]);
  });

  it('reports a bound that cannot be used at deploy', async () => {
    const schema = await formOf(
      dateField('a', '甲', { notAfter: 'tomorrow please' }) +
        `<camunda:formField id="n" label="乙" type="string"><camunda:properties><camunda:property id="after" value="today" /></camunda:properties></camunda:formField>` +
        dateField('c', '丙', { beforeMessage: '早一点' }) +
        dateField('d', '丁', { after: 'n + 3 days' }) +
        dateField('e', '戊', { after: 'today + n days' }),
    );
    const text = formSchemaProblems(schema).join('\n');
    expect(text).toContain('字段“甲”（a）：属性 notAfter 的值“tomorrow please”无效');
    expect(text).toContain('字段“乙”（n）：属性 after 只适用于 date 类型的字段');
    expect(text).toContain('字段“丙”（c）：属性 beforeMessage 没有对应的 before');
    expect(text).toContain('字段“丁”（d）：日期界限 after 引用的字段“乙”不是 date 类型');
    expect(text).toContain('字段“戊”（e）：日期界限 after 的天数字段“乙”不是 long 类型');
  });
});

describe('date bounds: each kind at its boundary', () => {
  const field = (bound: Partial<FormField>): FormSchema => ({
    approval: false,
    fields: [{ id: 'day', label: '日期', type: 'date', constraints: {}, rules: [], ...bound } as FormField],
  });

  it('notAfter today: the day before and today are accepted, tomorrow is refused', () => {
    const schema = field({ dateBounds: [{ kind: 'notAfter', anchor: 'today', days: 0, sign: 1 }] });
    expect(outcome(schema, { day: '2026-03-01' })).toBe('ok');
    expect(outcome(schema, { day: '2026-03-02' })).toBe('ok');
    expect(outcome(schema, { day: '2026-03-03' })).toBe('“日期”不能晚于今天（2026-03-02）');
  });

  it('today is the day in Beijing: one minute before and after midnight there', () => {
    const schema = field({ dateBounds: [{ kind: 'notAfter', anchor: 'today', days: 0, sign: 1 }] });
    // 23:59 on 2 March in Beijing is 15:59 UTC; 00:01 on 3 March in Beijing is still 2 March in UTC.
    expect(outcome(schema, { day: '2026-03-03' }, {}, new Date('2026-03-02T23:59:00+08:00'))).toBe('“日期”不能晚于今天（2026-03-02）');
    expect(outcome(schema, { day: '2026-03-03' }, {}, new Date('2026-03-03T00:01:00+08:00'))).toBe('ok');
  });

  it('notBefore today: yesterday is refused, today and tomorrow are accepted', () => {
    const schema = field({ dateBounds: [{ kind: 'notBefore', anchor: 'today', days: 0, sign: 1 }] });
    expect(outcome(schema, { day: '2026-03-01' })).toBe('“日期”不能早于今天（2026-03-02）');
    expect(outcome(schema, { day: '2026-03-02' })).toBe('ok');
    expect(outcome(schema, { day: '2026-03-03' })).toBe('ok');
  });

  it('after today + n days (n a variable): the last day of the period and the day before are refused, the next day accepted', () => {
    const schema = field({ dateBounds: [{ kind: 'after', anchor: 'today', days: 'listDays', sign: 1 }], source: '实践规则' });
    const context = { listDays: 20 };
    expect(outcome(schema, { day: '2026-03-21' }, context)).toBe('“日期”须晚于 2026-03-22（今天之后 20 日）（实践规则）');
    expect(outcome(schema, { day: '2026-03-22' }, context)).toBe('“日期”须晚于 2026-03-22（今天之后 20 日）（实践规则）');
    expect(outcome(schema, { day: '2026-03-23' }, context)).toBe('ok');
  });

  it('before another field − n days (a literal), with the message the diagram gives', () => {
    const schema: FormSchema = {
      approval: false,
      fields: [
        { id: 'startOn', label: '开始日期', type: 'date', constraints: {}, rules: [] },
        { id: 'day', label: '日期', type: 'date', constraints: {}, rules: [], dateBounds: [{ kind: 'before', anchor: 'startOn', days: 3, sign: -1, message: '须在开始前三日以前（{date} 之前）' }] },
      ],
    };
    expect(outcome(schema, { startOn: '2026-03-10', day: '2026-03-06' })).toBe('ok');
    expect(outcome(schema, { startOn: '2026-03-10', day: '2026-03-07' })).toBe('须在开始前三日以前（2026-03-07 之前）');
    expect(outcome(schema, { startOn: '2026-03-10', day: '2026-03-08' })).toBe('须在开始前三日以前（2026-03-07 之前）');
  });

  it('notBefore a field of the same form names it; a stored date-time counts as its day in Beijing', () => {
    const schema: FormSchema = {
      approval: false,
      fields: [
        { id: 'startOn', label: '开工日期', type: 'date', constraints: {}, rules: [] },
        { id: 'day', label: '完工日期', type: 'date', constraints: {}, rules: [], dateBounds: [{ kind: 'notBefore', anchor: 'startOn', days: 0, sign: 1 }] },
      ],
    };
    expect(outcome(schema, { startOn: '2026-03-10', day: '2026-03-09' })).toBe('“完工日期”不能早于“开工日期”（2026-03-10）');
    expect(outcome(schema, { startOn: '2026-03-10', day: '2026-03-10' })).toBe('ok');
    expect(outcome(schema, { startOn: '2026-03-10', day: '2026-03-11' })).toBe('ok');
    // 16:00 UTC on 9 March is midnight on 10 March in Beijing
    expect(outcome(schema, { startOn: '2026-03-09T16:00:00Z', day: '2026-03-09' })).toBe('“完工日期”不能早于“开工日期”（2026-03-10）');
  });

  it('after a variable holding the end of a period (23:59:59.999 Beijing time): only the next day is accepted', () => {
    const schema = field({ dateBounds: [{ kind: 'after', anchor: 'listEndsAt', days: 0, sign: 1 }] });
    const context = { listEndsAt: '2026-03-22T15:59:59.999Z' };
    expect(outcome(schema, { day: '2026-03-21' }, context)).toBe('“日期”须晚于 2026-03-22');
    expect(outcome(schema, { day: '2026-03-22' }, context)).toBe('“日期”须晚于 2026-03-22');
    expect(outcome(schema, { day: '2026-03-23' }, context)).toBe('ok');
  });

  it('a bound on a value not given yet is not judged; an empty optional date is not judged', () => {
    const schema = field({ dateBounds: [{ kind: 'after', anchor: 'listEndsAt', days: 0, sign: 1 }] });
    expect(outcome(schema, { day: '2000-01-01' }, {})).toBe('ok');
    expect(outcome(field({ dateBounds: [{ kind: 'notAfter', anchor: 'today', days: 0, sign: 1 }] }), { day: '' })).toBe('ok');
  });

  it('without a clock a bound on today refuses instead of passing', () => {
    const schema = field({ dateBounds: [{ kind: 'notAfter', anchor: 'today', days: 0, sign: 1 }] });
    expect(outcome(schema, { day: '2026-03-01' }, {}, null)).toBe('“日期”无法核对日期：未取得平台当前日期');
  });

  it('a rule citing its clause speaks before the bound', () => {
    const schema = field({ dateBounds: [{ kind: 'notAfter', anchor: 'today', days: 0, sign: 1 }], rules: [{ expression: 'day != "2026-03-05"', message: '不能是 5 日（某条款）' }] });
    expect(outcome(schema, { day: '2026-03-05' })).toBe('不能是 5 日（某条款）');
  });
});

describe('date bounds on the form', () => {
  it('the date input offers only the allowed days and says why, with today filled in', () => {
    const schema: FormSchema = {
      approval: false,
      fields: [
        { id: 'held', label: '会议日期', type: 'date', constraints: {}, rules: [], dateBounds: [{ kind: 'notAfter', anchor: 'today', days: 0, sign: 1 }] },
        { id: 'vote', label: '选举日', type: 'date', constraints: {}, rules: [], dateBounds: [{ kind: 'after', anchor: 'today', days: 'listDays', sign: 1 }] },
        { id: 'later', label: '完成日期', type: 'date', constraints: {}, rules: [], dateBounds: [{ kind: 'notBefore', anchor: 'vote', days: 0, sign: 1 }] },
      ],
    };
    const [held, vote, later] = fieldViews(schema, { listDays: 20 }, null, {}, { now: NOW });
    expect([held!.max, held!.min, held!.dateRules]).toEqual(['2026-03-02', undefined, ['不能晚于今天（2026-03-02）']]);
    expect([vote!.min, vote!.max, vote!.dateRules]).toEqual(['2026-03-23', undefined, ['须晚于 2026-03-22（今天之后 20 日）']]);
    expect(vote!.describedBy).toBe('f_vote_dates');
    // a bound on a field not filled in yet cannot be shown
    expect([later!.min, later!.dateRules]).toEqual([undefined, []]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProcessDriver } from '../support/process-driver.js';

// P5 网格事件 巡、拨、办、督 (processes/grid-event.bpmn) driven through the API as the demo users.
// 《社会治理活动方案》篇四 第14项、第15项. The clock starts on Monday 2 March 2026, 09:00 China time; only the last
// test (the 3-vs-4 boundary) moves it.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('proc_grid_event', '2026-03-02T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const CHECK = '《社会治理活动方案》篇四 第14项';
const MINOR = '《社会治理活动方案》篇四 第15项';

const normalEvent = {
  eventType: 'sanitation',
  grid: '幸福社区第3网格',
  place: '幸福路 12 号门前',
  description: '人行道上堆放建筑垃圾约 2 立方米，占用盲道',
  urgency: 'normal',
};

async function dispatched(businessKey: string) {
  const inst = await d.start('grid-worker', 'grid-event', normalEvent, businessKey);
  await d.complete('grid-office', inst.id, 'dispatch', {
    responsibleUnit: '街道城管执法队',
    handleDueDate: '2026-03-06',
    dispatchNote: '请于期限内清运',
  });
  const handled = await d.complete('responsible-unit', inst.id, 'handle', {
    handlingResult: '已清运建筑垃圾，恢复盲道',
    handledOn: '2026-03-02',
  });
  return { inst, handled };
}

const fail = (n: number) => ({ decision: 'reject', opinion: `第 ${n} 次核查：现场仍有残留垃圾` });
const rework = (day: string) => ({ handlingResult: `再次清理（${day}）`, handledOn: day });

describe('P5 grid-event', () => {
  it('normal event: dispatched (拨) with a due date, handled (办), verified by the reporter and closed', async () => {
    const inst = await d.start('grid-worker', 'grid-event', normalEvent, 'WG-normal');
    expect(inst.variables).toMatchObject({
      route: 'normal',
      reportedOn: '2026-03-02',
      reportedAt: '2026-03-02T01:00:00.000Z',
      eventSummary: '【市容环卫】幸福路 12 号门前：人行道上堆放建筑垃圾约 2 立方米，占用盲道',
      failedChecks: 0,
      checkCount: 0,
    });
    expect(inst.openTasks.map((t) => t.elementId)).toEqual(['dispatch']);
    expect(inst.openTasks[0]!.candidateGroups).toEqual(['grid-office@demo-street-1']);

    // a due date before the report is refused with the clause
    const early = await d.refused('grid-office', inst.id, 'dispatch', { responsibleUnit: '街道城管执法队', handleDueDate: '2026-03-01' });
    expect(early.handleDueDate).toBe(`办理期限不能早于事件上报日期（${CHECK}：巡、拨、办、督）`);
    const none = await d.refused('grid-office', inst.id, 'dispatch', { handleDueDate: '2026-03-06' });
    expect(none.responsibleUnit).toBeDefined();

    const afterDispatch = await d.complete('grid-office', inst.id, 'dispatch', { responsibleUnit: '街道城管执法队', handleDueDate: '2026-03-06' });
    const handleTask = afterDispatch.openTasks.find((t) => t.elementId === 'handle')!;
    expect(handleTask.candidateGroups).toEqual(['responsible-unit@demo-street-1']);
    expect(handleTask.dueAt).toBe('2026-03-06T15:59:59.000Z'); // end of 6 March, China time

    const backdated = await d.refused('responsible-unit', inst.id, 'handle', { handlingResult: '已清运', handledOn: '2026-03-01' });
    expect(backdated.handledOn).toBe(`整治完成日期不能早于事件上报日期（${CHECK}：巡、拨、办、督）`);
    const handled = await d.complete('responsible-unit', inst.id, 'handle', { handlingResult: '已清运建筑垃圾，恢复盲道', handledOn: '2026-03-02' });
    expect(handled.openTasks.map((t) => t.elementId)).toEqual(['verify']);
    // 谁上报、谁核查: the check is assigned to the reporter (camunda:initiator), not offered to every grid worker
    const verifyTask = await d.task('grid-worker', inst.id, 'verify');
    expect(verifyTask.assignee).toBe('grid-worker');
    expect((await d.instance(inst.id)).variables.reporter).toBe('grid-worker');
    const other = await d.post('grid-office', `/api/tasks/${encodeURIComponent(verifyTask.id)}/complete`, { variables: { decision: 'approve', opinion: '代为核查' } });
    expect(other.status).toBe(403);

    // a failed check needs the reason
    const noReason = await d.refused('grid-worker', inst.id, 'verify', { decision: 'reject' });
    expect(noReason.opinion).toBe('核查意见不能为空：决定为“核查不通过（退回整治）”时必须填写意见');

    const closed = await d.complete('grid-worker', inst.id, 'verify', { decision: 'approve', opinion: '现场已清理干净' });
    expect(closed.status).toBe('completed');
    expect(closed.variables).toMatchObject({ closed: true, failedChecks: 0, checkCount: 1, underSupervision: false });
    expect(closed.variables.appraisalRecord).toBeUndefined();
    expect((await d.signoffs(inst.id)).map((s) => [s.elementId, s.decision, s.by])).toEqual([['verify', 'approve', 'grid-worker']]);
  });

  it('minor event on the list: handled on the spot by the simple procedure', async () => {
    const inst = await d.start('grid-worker', 'grid-event', {
      ...normalEvent,
      description: '共享单车倒伏堵塞通道',
      minorEvent: true,
      minorListItem: '共享单车乱停放',
    }, 'WG-minor');
    expect(inst.variables.route).toBe('minor');
    expect(inst.openTasks.map((t) => t.elementId)).toEqual(['minorOnSpot']);
    const done = await d.complete('grid-worker', inst.id, 'minorOnSpot', { minorOutcome: 'handled', minorNote: '已当场扶正摆放' });
    expect(done.status).toBe('completed');
    expect(done.variables.minorOutcome).toBe('handled');
  });

  it('minor event: a responsible party that refuses goes to the comprehensive rectification team', async () => {
    const inst = await d.start('grid-worker', 'grid-event', {
      ...normalEvent,
      eventType: 'market',
      description: '商铺占道经营',
      minorEvent: true,
      minorListItem: '门前占道经营',
    }, 'WG-refused');
    const noParty = await d.refused('grid-worker', inst.id, 'minorOnSpot', { minorOutcome: 'refused', minorNote: '多次劝导无效' });
    expect(noParty.responsibleParty).toBe(`督促整改或拒不整改的，须写明相关责任主体（${MINOR}）`);
    const refused = await d.complete('grid-worker', inst.id, 'minorOnSpot', { minorOutcome: 'refused', responsibleParty: '幸福路 8 号水果店', minorNote: '多次劝导无效' });
    expect(refused.status).toBe('running');
    const task = refused.openTasks.find((t) => t.elementId === 'forcedRectification')!;
    expect(task.candidateGroups).toEqual(['rectification-team@demo-street-1']);
    const backdated = await d.refused('rectification-team', inst.id, 'forcedRectification', { forcedResult: '暂扣占道物品', forcedOn: '2026-02-28' });
    expect(backdated.forcedOn).toBe(`整治完成日期不能早于事件上报日期（${MINOR}）`);
    const done = await d.complete('rectification-team', inst.id, 'forcedRectification', { forcedResult: '依法暂扣占道物品，责令退回店内经营', forcedOn: '2026-03-02' });
    expect(done.status).toBe('completed');
    expect(done.variables).toMatchObject({ responsibleParty: '幸福路 8 号水果店', forcedOn: '2026-03-02' });
  });

  it('dangerous or urgent event: fast-reported to the departments at once, disposed of, then verified by the reporter', async () => {
    const inst = await d.start('grid-worker', 'grid-event', {
      eventType: 'fire',
      grid: '幸福社区第3网格',
      place: '幸福路 20 号出租屋',
      description: '楼道电动车充电冒烟',
      urgency: 'urgent',
      reportedDepartments: '消防救援站、街道安监办',
    }, 'WG-urgent');
    expect(inst.variables).toMatchObject({
      route: 'urgent',
      fastReportedAt: '2026-03-02T01:00:00.000Z',
      fastReportText: '【消防安全隐患】幸福路 20 号出租屋：楼道电动车充电冒烟——危险程度高、事态紧急，已于 2026-03-02 09:00（北京时间）快采快报至：消防救援站、街道安监办',
    });
    // no dispatch by the grid office: the departments' task is open at once, ahead of the rest
    expect(inst.openTasks.map((t) => t.elementId)).toEqual(['urgentDisposal']);
    const task = await d.task('responsible-unit', inst.id, 'urgentDisposal');
    expect((task as unknown as { priority: number }).priority).toBe(90);
    await d.complete('responsible-unit', inst.id, 'urgentDisposal', { responsibleUnit: '消防救援站', handlingResult: '已断电处置，无人员伤亡', handledOn: '2026-03-02' });
    const closed = await d.complete('grid-worker', inst.id, 'verify', { decision: 'approve', opinion: '隐患已消除' });
    expect(closed.status).toBe('completed');
    expect(closed.variables).toMatchObject({ responsibleUnit: '消防救援站', closed: true });
  });

  it('the report form refuses impossible reports with the clause; only grid workers report', async () => {
    const both = await d.startRefused('grid-worker', 'grid-event', { ...normalEvent, urgency: 'urgent', reportedDepartments: '安监办', minorEvent: true, minorListItem: '乱堆放' });
    expect(both.fields?.minorEvent).toBe(`危险程度高、事态紧急的事件应以快采快报形式报告相关部门处置，不适用微小事件简易程序（${MINOR}）`);
    const noItem = await d.startRefused('grid-worker', 'grid-event', { ...normalEvent, minorEvent: true });
    expect(noItem.fields?.minorListItem).toBe(`微小事件须写明《网格员督办微小事件清单》中的对应事项（${MINOR}）`);
    const noDepartments = await d.startRefused('grid-worker', 'grid-event', { ...normalEvent, urgency: 'urgent' });
    expect(noDepartments.fields?.reportedDepartments).toBe(`危险程度高、事态紧急的事件须写明快采快报的相关部门（${MINOR}）`);
    const noPlace = await d.startRefused('grid-worker', 'grid-event', { ...normalEvent, place: '' });
    expect(noPlace.fields?.place).toBeDefined();

    const err = await d.startRefused('responsible-unit', 'grid-event', normalEvent, 403);
    expect(err.code).toBe('forbidden');
  });

  it('exactly three failed checks → still rework; the fourth → 限期督办 and the appraisal record', async () => {
    const { inst } = await dispatched('WG-boundary');
    let after = await d.complete('grid-worker', inst.id, 'verify', fail(1));
    expect(after.openTasks.map((t) => t.elementId)).toEqual(['rework']);
    expect(after.variables).toMatchObject({ failedChecks: 1, underSupervision: false, checkSummary: '第 1 次核查不通过（累计 1 次）：退回整治。' });
    // the original due date stands for the rework
    expect(after.openTasks[0]!.dueAt).toBe('2026-03-06T15:59:59.000Z');

    // a rework dated before the failed check is refused
    await d.advance('P1D');
    after = await d.complete('responsible-unit', inst.id, 'rework', rework('2026-03-03'));
    after = await d.complete('grid-worker', inst.id, 'verify', fail(2));
    expect(after.variables.checkedOnDate).toBe('2026-03-03');
    const backdated = await d.refused('responsible-unit', inst.id, 'rework', rework('2026-03-02'));
    expect(backdated.handledOn).toBe(`重新整治的完成日期不能早于最近一次核查的日期（${CHECK}：核查不通过的事件退回整治）`);
    after = await d.complete('responsible-unit', inst.id, 'rework', rework('2026-03-03'));

    // third failed check: exactly three is not “more than three” — still rework, no appraisal record
    after = await d.complete('grid-worker', inst.id, 'verify', fail(3));
    expect(after.variables).toMatchObject({ failedChecks: 3, checkCount: 3, underSupervision: false, closed: false });
    expect(after.variables.appraisalRecord).toBeUndefined();
    expect(after.openTasks.map((t) => t.elementId)).toEqual(['rework']);
    await d.complete('responsible-unit', inst.id, 'rework', rework('2026-03-03'));

    // fourth failed check: more than three → recorded against the unit, deadline supervision
    after = await d.complete('grid-worker', inst.id, 'verify', fail(4));
    expect(after.variables).toMatchObject({
      failedChecks: 4,
      checkCount: 4,
      underSupervision: true,
      closed: false,
      checkSummary: '第 4 次核查不通过（累计 4 次，超过 3 次）：纳入整治单位绩效考核，限期督办。',
    });
    expect(after.variables.appraisalRecord).toEqual({
      unit: '街道城管执法队',
      eventNo: 'WG-boundary',
      eventType: '市容环卫',
      place: '幸福路 12 号门前',
      reason: '核查超过三次仍达不到结案标准（累计核查不通过 4 次），纳入整治单位绩效考核，限期督办',
      failedChecks: 4,
      at: '2026-03-03T01:00:00.000Z',
      lastFailedAt: '2026-03-03T01:00:00.000Z',
      source: '《社会治理活动方案》篇四 第14项（优化巡、拨、办、督机制）',
    });
    expect(after.openTasks.map((t) => t.elementId)).toEqual(['supervise']);
    expect(after.openTasks[0]!.candidateGroups).toEqual(['grid-office@demo-street-1']);

    const past = await d.refused('grid-office', inst.id, 'supervise', { supervisionDueDate: '2026-03-02', supervisionNote: '限期整改' });
    expect(past.supervisionDueDate).toBe(`督办期限不能早于最近一次核查的日期（${CHECK}：限期督办）`);
    after = await d.complete('grid-office', inst.id, 'supervise', { supervisionDueDate: '2026-03-05', supervisionNote: '3 日内彻底清运并设置围挡' });
    expect(after.variables.appraisalReason).toBe(after.variables.appraisalRecord.reason);
    const supervised = after.openTasks.find((t) => t.elementId === 'supervisedRework')!;
    expect(supervised.dueAt).toBe('2026-03-05T15:59:59.000Z');
    expect(supervised.candidateGroups).toEqual(['responsible-unit@demo-street-1']);

    // a fifth failure: supervised again, the record keeps its date and counts the failures
    await d.advance('P1D');
    await d.complete('responsible-unit', inst.id, 'supervisedRework', rework('2026-03-04'));
    after = await d.complete('grid-worker', inst.id, 'verify', fail(5));
    expect(after.openTasks.map((t) => t.elementId)).toEqual(['supervise']);
    expect(after.variables.appraisalRecord).toMatchObject({ failedChecks: 5, at: '2026-03-03T01:00:00.000Z', lastFailedAt: '2026-03-04T01:00:00.000Z' });
    await d.complete('grid-office', inst.id, 'supervise', { supervisionDueDate: '2026-03-06', supervisionNote: '再次督办' });
    await d.complete('responsible-unit', inst.id, 'supervisedRework', rework('2026-03-04'));
    const closed = await d.complete('grid-worker', inst.id, 'verify', { decision: 'approve' });
    expect(closed.status).toBe('completed');
    expect(closed.variables).toMatchObject({ closed: true, failedChecks: 5, checkCount: 6 });
    expect(closed.variables.appraisalRecord.failedChecks).toBe(5);
    const signoffs = await d.signoffs(inst.id);
    expect(signoffs.map((s) => s.decision)).toEqual(['reject', 'reject', 'reject', 'reject', 'reject', 'approve']);
    expect(signoffs[3]!.opinion).toBe('第 4 次核查：现场仍有残留垃圾');
  });
});

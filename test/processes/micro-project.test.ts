import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { noticeText, ProcessDriver } from '../support/process-driver.js';

// P6 民生微实事 (processes/micro-project.bpmn) driven through the API as the demo users: 群众点菜、党委实施 —
// collection, review, determination, implementation, acceptance, the result made public.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('proc_micro_project', '2026-04-01T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const collected = {
  communityName: '幸福社区',
  projectName: '3栋楼道照明改造',
  projectContent: '3栋楼道灯损坏多年，夜间出行不便',
  proposedBy: '3栋居民（楼栋长代表 12 户提出）',
  collectionChannel: 'platform',
  estimatedCost: 8000,
};

const review = { reviewDate: '2026-04-03', reviewParticipants: 40, reviewSupporters: 36, reviewOpinions: '同意改造，建议用节能灯' };
const implemented = (actualCost: number, extra: Record<string, unknown> = {}) => ({
  startedOn: '2026-04-10',
  completedOn: '2026-04-20',
  actualCost,
  implementationReport: '更换 24 盏节能灯\n加装声控开关',
  ...extra,
});

describe('P6 micro-project', () => {
  it('collected, reviewed, determined, implemented, returned once at acceptance, accepted, the result published and recorded for the 述职评议', async () => {
    const inst = await d.start('residents-committee', 'micro-project', collected, 'P6-light');
    expect((await d.instance(inst.id)).variables).toMatchObject({ resultPublicityWorkingDays: 5 });
    // the residents meet on 3 April; review numbers must add up
    await d.setClock('2026-04-03T18:00:00+08:00');
    expect((await d.refused('residents-committee', inst.id, 'publicReview', { ...review, reviewSupporters: 41 })).reviewSupporters).toBe(
      '支持人数不能多于参加评议的人数（《社会治理活动方案》篇四 第32项：评议）',
    );
    await d.complete('residents-committee', inst.id, 'publicReview', review);
    // the party committee decides; a decision to implement needs a budget
    expect((await d.refused('party-committee', inst.id, 'determine', { decision: 'approve', opinion: '同意' })).approvedBudget).toBe(
      '确定实施的项目须确定预算（《社会治理活动方案》篇四 第32项：确定）',
    );
    const determined = await d.complete('party-committee', inst.id, 'determine', { decision: 'approve', opinion: '同意实施', approvedBudget: 8000 });
    expect(determined.openTasks.map((t) => t.elementId)).toEqual(['implement']);
    // implementation, recorded when the work is done on 20 April: dates in order, overspending explained
    await d.setClock('2026-04-20T17:00:00+08:00');
    expect((await d.refused('party-committee', inst.id, 'implement', implemented(8000, { completedOn: '2026-04-09' }))).completedOn).toBe(
      '完工日期不能早于开工日期（《社会治理活动方案》篇四 第32项：实施）',
    );
    expect((await d.refused('party-committee', inst.id, 'implement', implemented(8500))).overspendReason).toBe(
      '实际支出超过党委确定的预算时必须说明理由（《社会治理活动方案》篇四 第32项：实施）',
    );
    await d.complete('party-committee', inst.id, 'implement', implemented(8500, { overspendReason: '增加 2 盏应急灯' }));
    // acceptance on 22 April returns it for rework (the opinion is required), which is recorded too
    await d.setClock('2026-04-22T10:00:00+08:00');
    expect((await d.refused('street-office', inst.id, 'acceptance', { acceptedOn: '2026-04-22', decision: 'return' })).opinion).toBeDefined();
    const returned = await d.complete('street-office', inst.id, 'acceptance', { acceptedOn: '2026-04-22', decision: 'return', opinion: '2 楼声控开关失灵' });
    expect(returned.openTasks.map((t) => t.elementId)).toEqual(['implement']);
    const rework = await d.task('party-committee', inst.id, 'implement');
    expect(JSON.stringify(rework)).toBeDefined();
    await d.setClock('2026-04-25T17:00:00+08:00');
    await d.complete('party-committee', inst.id, 'implement', implemented(8500, { completedOn: '2026-04-25', overspendReason: '增加 2 盏应急灯' }));
    await d.setClock('2026-04-27T10:00:00+08:00');
    expect((await d.refused('street-office', inst.id, 'acceptance', { acceptedOn: '2026-04-24', decision: 'approve' })).acceptedOn).toBe(
      '验收日期不能早于完工日期（《社会治理活动方案》篇四 第32项：验收）',
    );
    const done = await d.complete('street-office', inst.id, 'acceptance', { acceptedOn: '2026-04-27', decision: 'approve', opinion: '合格' });
    expect(done.status).toBe('completed');
    expect(done.variables.secretaryReportRecord.map((r: { result: string }) => r.result)).toEqual(['退回整改', '验收合格']);
    expect(done.variables.secretaryReportRecord[1]).toMatchObject({ community: '幸福社区', project: '3栋楼道照明改造', approvedBudget: 8000, actualCost: 8500 });

    const [notice] = await d.notices('P6-light');
    expect(notice!.title).toBe('幸福社区“民生微实事”项目“3栋楼道照明改造”实施结果公示');
    const text = noticeText(notice!.html);
    expect(text).toContain('群众点菜、党委实施');
    expect(text).toContain('3栋居民（楼栋长代表 12 户提出）');
    expect(text).toContain('参加 40 人，支持 36 人');
    expect(text).toContain('增加 2 盏应急灯');

    // every step's sign-off is kept: the determination, both acceptances
    const signoffs = (await d.signoffs(inst.id)).map((s) => [s.elementId, s.decision]);
    expect(signoffs).toEqual([['determine', 'approve'], ['acceptance', 'return'], ['acceptance', 'approve']]);
  });

  it('the party committee returns a project for another review, or does not determine it (the reason kept)', async () => {
    const inst = await d.start('party-committee', 'micro-project', collected, 'P6-return');
    await d.complete('residents-committee', inst.id, 'publicReview', review);
    const back = await d.complete('party-committee', inst.id, 'determine', { decision: 'return', opinion: '请扩大评议范围' });
    expect(back.openTasks.map((t) => t.elementId)).toEqual(['publicReview']);
    await d.complete('residents-committee', inst.id, 'publicReview', { ...review, reviewParticipants: 80, reviewSupporters: 30 });
    const ended = await d.complete('party-committee', inst.id, 'determine', { decision: 'reject', opinion: '支持者不足半数，暂不实施' });
    expect(ended.status).toBe('completed');
    expect(ended.activeElements).toEqual([]);
    expect(await d.notices('P6-return')).toEqual([]);
  });

  it('only the community committees may start it', async () => {
    const err = await d.startRefused('grid-worker', 'micro-project', collected, 403);
    expect(err.code).toBe('forbidden');
  });
});

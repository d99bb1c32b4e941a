import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { noticeText, ProcessDriver, type TaskJson } from '../support/process-driver.js';

// P1 城乡社区治理创新试点 (processes/pilot-campaign.bpmn) through the API. The campaign runs one track per
// community as a multi-instance embedded sub-process `pilotTrack`: each track has its own variables
// (server/engine/scopes.ts) and its tasks carry the community's name as `subject`. The clock starts on Tuesday
// 1 September 2026, 09:00 China time.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('proc_pilot_campaign', '2026-09-01T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const startForm = {
  communityList: '翠湖社区，五华区\n金碧社区，西山区',
  applicationDueDate: '2026-09-30',
  selfCheckDueDate: '2026-10-31',
  evaluationDueDate: '2026-11-30',
  namingDueDate: '2026-12-31',
};

describe('P1 pilot-campaign', () => {
  it('start form: weights must sum to 100, at least 3 experts, dates in order — each message names its clause', async () => {
    const weights = await d.startRefused('leading-office', 'pilot-campaign', { ...startForm, weightSelfCheck: 30, weightExpert: 50, weightResident: 30 });
    expect(weights.fields?.weightResident).toBe('社区自查、专家评估、居民测评三项权重之和应为 100（《社会治理活动方案》篇一 第3项“评估验收”）');
    const experts = await d.startRefused('leading-office', 'pilot-campaign', { ...startForm, expertCount: 2 });
    expect(experts.fields?.expertCount).toBeDefined();
    const dates = await d.startRefused('leading-office', 'pilot-campaign', { ...startForm, selfCheckDueDate: '2026-09-15' });
    expect(dates.fields?.selfCheckDueDate).toBe('社区自查截止日期应晚于申报截止日期（《社会治理活动方案》篇一：宣传启动在前，评估验收在后）');
    const list = await d.startRefused('leading-office', 'pilot-campaign', { ...startForm, communityList: '翠湖社区' });
    expect(list.fields?.communityList).toBe('第 1 行（“翠湖社区”）应写成“社区名称，所属县（市）区”（《社会治理活动方案》篇一 第1项“宣传启动”）');
    const twice = await d.startRefused('leading-office', 'pilot-campaign', { ...startForm, communityList: '翠湖社区，五华区\n金碧社区，西山区\n 翠湖社区 , 盘龙区' });
    expect(twice.fields?.communityList).toBe('同一社区只能申报一次，名单中有重复的社区名称（《社会治理活动方案》篇一 第1项“宣传启动”）');
  });

  it('setup splits the communities and indicators; one application task per community, due at the end of the application day', async () => {
    const inst = await d.start('leading-office', 'pilot-campaign', startForm, 'P1-setup');
    const view = await d.instance(inst.id);
    expect(view.variables).toMatchObject({
      weightSelfCheck: 20,
      weightExpert: 50,
      weightResident: 30,
      passMark: 80,
      expertCount: 3,
      communityCount: 2,
      communities: [
        { name: '翠湖社区', county: '五华区' },
        { name: '金碧社区', county: '西山区' },
      ],
      indicatorMaxTotal: 100,
    });
    expect(view.variables.indicators).toHaveLength(5);
    const applications = await d.myTasks('county', inst.id, 'application');
    expect(applications).toHaveLength(2);
    for (const t of applications) expect(t.dueAt).toBe('2026-09-30T15:59:59.000Z');
  });

  it('completing one community\'s application leaves the other community\'s application open, each with its own values', async () => {
    const inst = await d.start('leading-office', 'pilot-campaign', startForm, 'P1-iterations');
    const applications = await d.myTasks('county', inst.id, 'application');
    expect(applications.map((t) => t.subject).sort()).toEqual(['翠湖社区', '金碧社区']);
    const cuihu = applications.find((t) => t.subject === '翠湖社区')!;
    const jinbi = applications.find((t) => t.subject === '金碧社区')!;
    await d.completeTask('county', cuihu, { applicationSummary: '老旧小区', workPlan: '翠湖方案', contactPerson: '李主任' });
    const after = await d.instance(inst.id);
    expect(after.openTasks.map((t) => `${t.elementId}:${t.subject}`).sort()).toEqual(['acceptApplication:翠湖社区', 'application:金碧社区']);
    expect(after.openTasks.find((t) => t.elementId === 'application')!.id).toBe(jinbi.id);
    // the track's values stay in the track: nothing of 翠湖's application leaks into the campaign's variables
    expect(after.variables.workPlan).toBeUndefined();
    expect(after.variables.communityName).toBeUndefined();
  });

  // Four communities, one per branch of a track: 翠湖 reworks after the county's initial evaluation and is
  // accepted; 金碧's application is returned once, then accepted with a lower score; 龙泉's application is not
  // accepted; 海源 fails the county's initial evaluation. The named list has 翠湖 first, then 金碧.
  it('full campaign: four tracks through every branch, capped self-check, three experts each, weighted acceptance, named list and its notice', async () => {
    const inst = await d.start(
      'leading-office',
      'pilot-campaign',
      { ...startForm, communityList: '翠湖社区，五华区\n金碧社区，西山区\n龙泉社区，盘龙区\n海源社区，五华区' },
      'P1-full',
    );
    expect((await d.instance(inst.id)).variables.communityCount).toBe(4);
    const track = async (user: string, elementId: string, community: string): Promise<TaskJson> => {
      const tasks = (await d.myTasks(user, inst.id, elementId)).filter((t) => t.subject === community);
      if (tasks.length !== 1) throw new Error(`${user}: expected one ${elementId} of ${community}, found ${tasks.length}`);
      return tasks[0]!;
    };
    const apply = (community: string, plan: string) =>
      track('county', 'application', community).then((t) =>
        d.completeTask('county', t, { applicationSummary: `${community}基础条件`, workPlan: plan, contactPerson: '联络员' }),
      );

    // 宣传启动: every county applies; the leading-group office accepts, returns or rejects.
    for (const c of ['翠湖社区', '金碧社区', '龙泉社区', '海源社区']) await apply(c, `${c}试点方案`);
    const refused = await d.post('leading-office', `/api/tasks/${encodeURIComponent((await track('leading-office', 'acceptApplication', '金碧社区')).id)}/claim`);
    expect(refused.status).toBe(200);
    const returnedFields = await d.post(
      'leading-office',
      `/api/tasks/${encodeURIComponent((await track('leading-office', 'acceptApplication', '金碧社区')).id)}/complete`,
      { variables: { decision: 'return' } },
    );
    expect(returnedFields.status).toBe(400);
    expect(returnedFields.body.error.fields.opinion).toContain('不能为空');
    await d.completeTask('leading-office', await track('leading-office', 'acceptApplication', '金碧社区'), {
      decision: 'return',
      opinion: '请补充居民需求调查',
    });
    await d.completeTask('leading-office', await track('leading-office', 'acceptApplication', '龙泉社区'), {
      decision: 'reject',
      opinion: '不符合推荐条件',
    });
    await d.completeTask('leading-office', await track('leading-office', 'acceptApplication', '翠湖社区'), { decision: 'approve' });
    await d.completeTask('leading-office', await track('leading-office', 'acceptApplication', '海源社区'), { decision: 'approve' });
    await apply('金碧社区', '金碧社区试点方案（补充居民需求调查）');
    await d.completeTask('leading-office', await track('leading-office', 'acceptApplication', '金碧社区'), { decision: 'approve' });

    // 试点建设 and 社区自查, each due at the end of the self-check day; a score above an indicator's maximum counts as the maximum.
    const build = async (c: string) => {
      const t = await track('residents-committee', 'build', c);
      expect(t.dueAt).toBe('2026-10-31T15:59:59.000Z');
      await d.completeTask('residents-committee', t, { responsibleUnits: '社区党委牵头', progressReport: `${c}建设进展` });
    };
    const selfCheck = async (c: string, scores: number[]) => {
      const names = ['党建引领', '居民自治', '社区服务', '平安法治', '特色创新'];
      await d.completeTask('residents-committee', await track('residents-committee', 'selfCheck', c), {
        selfCheckScores: names.map((n, i) => `${n}：${scores[i]}`).join('\n'),
        selfCheckReport: `${c}自查报告`,
      });
    };
    for (const c of ['翠湖社区', '金碧社区', '海源社区']) await build(c);
    await selfCheck('翠湖社区', [25, 18, 19, 17, 16]); // 25 capped at 20 → 90
    await selfCheck('金碧社区', [18, 17, 17, 16, 16]); // 84
    await selfCheck('海源社区', [10, 10, 10, 10, 10]); // 50
    let view = await d.instance(inst.id);
    expect(view.openTasks.filter((t) => t.elementId === 'countyEvaluation').map((t) => t.subject).sort()).toEqual(['海源社区', '翠湖社区', '金碧社区']);

    // 县（市）区初评: 翠湖 goes back for rework and checks itself again; 海源 fails; 金碧 passes.
    await d.completeTask('county', await track('county', 'countyEvaluation', '翠湖社区'), { decision: 'return', opinion: '特色创新材料不足' });
    await d.completeTask('county', await track('county', 'countyEvaluation', '海源社区'), { decision: 'reject', opinion: '自查得分过低' });
    await d.completeTask('county', await track('county', 'countyEvaluation', '金碧社区'), { decision: 'approve' });
    await build('翠湖社区');
    await selfCheck('翠湖社区', [20, 19, 19, 18, 17]); // 93
    await d.completeTask('county', await track('county', 'countyEvaluation', '翠湖社区'), { decision: 'approve' });

    // The server restarts mid-campaign: the tracks' own values come back from the database.
    d = await d.restarted();

    // 专家评估: three experts score each pilot independently.
    const review = async (c: string, scores: number[]) => {
      for (const [i, score] of scores.entries()) {
        const expert = `expert${i + 1}`;
        const [t] = (await d.myTasks(expert, inst.id, 'expertReview')).filter((x) => x.subject === c && !x.assignee);
        await d.completeTask(expert, t!, { score, decision: 'approve', opinion: `${expert}对${c}的评分依据` });
      }
    };
    await review('翠湖社区', [88, 92, 90]); // average 90
    await review('金碧社区', [85, 80, 84]); // average 83

    // 居民测评, then the acceptance score of each track by the campaign's weights (20/50/30) and pass mark 80.
    await d.completeTask('third-party', await track('third-party', 'residentSurvey', '翠湖社区'), {
      surveyMethod: 'questionnaire',
      surveyRespondents: 200,
      satisfiedRespondents: 180,
    });
    view = await d.instance(inst.id);
    expect(view.status).toBe('running');
    // each track's result is collected when the track ends; 金碧 is still being evaluated
    expect((view.variables.pilotTrackResults as { community: { name: string } }[]).map((r) => r.community.name).sort()).toEqual([
      '海源社区',
      '翠湖社区',
      '龙泉社区',
    ]);
    await d.completeTask('third-party', await track('third-party', 'residentSurvey', '金碧社区'), {
      surveyMethod: 'meeting',
      surveyRespondents: 150,
      satisfiedRespondents: 135,
    });

    view = await d.instance(inst.id);
    const results = view.variables.pilotTrackResults as Record<string, any>[];
    expect(results).toHaveLength(4);
    const byName = Object.fromEntries(results.map((r) => [r.community.name, r]));
    expect(byName['翠湖社区']).toMatchObject({
      community: { name: '翠湖社区', county: '五华区' },
      communityName: '翠湖社区',
      workPlan: '翠湖社区试点方案',
      selfCheckScore: 93,
      expertAverage: 90,
      residentScore: 90,
      acceptanceScore: 90.6, // (93×20 + 90×50 + 90×30) / 100
      accepted: true,
    });
    expect(byName['翠湖社区'].expertReviewResults.map((r: any) => [r.by, r.score])).toEqual([['expert1', 88], ['expert2', 92], ['expert3', 90]]);
    expect(byName['金碧社区']).toMatchObject({
      workPlan: '金碧社区试点方案（补充居民需求调查）',
      selfCheckScore: 84,
      expertAverage: 83,
      acceptanceScore: 85.3, // (84×20 + 83×50 + 90×30) / 100
      accepted: true,
    });
    expect(byName['龙泉社区']).toMatchObject({ decision: 'reject', opinion: '不符合推荐条件' });
    expect(byName['龙泉社区'].acceptanceScore).toBeUndefined();
    expect(byName['海源社区']).toMatchObject({ selfCheckScore: 50, decision: 'reject' });
    expect(byName['海源社区'].acceptanceScore).toBeUndefined();

    // 总结命名: the city reviews the list, best score first, and the named list is published.
    expect(view.variables.namedPilots).toEqual([
      { rank: 1, name: '翠湖社区', county: '五华区', score: 90.6 },
      { rank: 2, name: '金碧社区', county: '西山区', score: 85.3 },
    ]);
    expect(view.variables.notNamed.sort()).toEqual(['海源社区', '龙泉社区']);
    const naming = await d.task('city', inst.id, 'naming');
    expect(naming.dueAt).toBe('2026-12-31T15:59:59.000Z');
    const done = await d.completeTask('city', naming, { decision: 'approve' });
    expect(done.status).toBe('completed');
    const [notice] = await d.notices('P1-full');
    expect(notice!.title).toBe('城乡社区治理创新试点（第1批）命名名单公示');
    const text = noticeText(notice!.html);
    expect(text).toContain('1 翠湖社区 五华区 90.6');
    expect(text).toContain('2 金碧社区 西山区 85.3');
    expect(text).not.toContain('龙泉社区');
    expect(text).toContain('社区自查（20%）、专家评估（50%）、居民测评（30%）加权计算，合格线 80 分');

    // Every decision is a sign-off of its own track's task.
    const signoffs = await d.signoffs(inst.id);
    expect(signoffs.filter((s) => s.elementId === 'expertReview')).toHaveLength(6);
    expect(signoffs.filter((s) => s.elementId === 'countyEvaluation').map((s) => s.decision).sort()).toEqual(['approve', 'approve', 'reject', 'return']);
  });

  /**
   * One community through one track up to the acceptance score: applied, accepted, built, self-checked with the
   * five scores, passed by the county, scored by expert1–3, surveyed. `afterFirstExpert` runs between the first
   * and second expert. Returns the instance after the survey.
   */
  async function singleTrack(
    businessKey: string,
    community: string,
    marks: { selfCheck: number[]; experts: number[]; respondents: number; satisfied: number; decisions?: ('approve' | 'reject')[] },
    afterFirstExpert?: (instanceId: string) => Promise<void>,
  ) {
    const inst = await d.start('leading-office', 'pilot-campaign', { ...startForm, communityList: community }, businessKey);
    await d.complete('county', inst.id, 'application', { applicationSummary: '基础条件', workPlan: '方案', contactPerson: '联络员' });
    await d.complete('leading-office', inst.id, 'acceptApplication', { decision: 'approve' });
    await d.complete('residents-committee', inst.id, 'build', { responsibleUnits: '社区', progressReport: '进展' });
    const names = ['党建引领', '居民自治', '社区服务', '平安法治', '特色创新'];
    await d.complete('residents-committee', inst.id, 'selfCheck', {
      selfCheckScores: names.map((n, i) => `${n}：${marks.selfCheck[i]}`).join('\n'),
      selfCheckReport: '报告',
    });
    await d.complete('county', inst.id, 'countyEvaluation', { decision: 'approve' });
    for (const [i, score] of marks.experts.entries()) {
      const [t] = (await d.myTasks(`expert${i + 1}`, inst.id, 'expertReview')).filter((x) => !x.assignee);
      await d.completeTask(`expert${i + 1}`, t!, { score, decision: marks.decisions?.[i] ?? 'approve', opinion: '评分依据' });
      if (i === 0) await afterFirstExpert?.(inst.id);
    }
    return d.complete('third-party', inst.id, 'residentSurvey', {
      surveyMethod: 'online',
      surveyRespondents: marks.respondents,
      satisfiedRespondents: marks.satisfied,
    });
  }

  it('加签 of one more expert into one pilot\'s review: a fourth score is needed there and counts in its average; the other pilot still needs three', async () => {
    const inst = await d.start('leading-office', 'pilot-campaign', startForm, 'P1-add-expert');
    const one = async (user: string, elementId: string, c: string) => {
      const found = (await d.myTasks(user, inst.id, elementId)).filter((t) => t.subject === c);
      expect(found).toHaveLength(1);
      return found[0]!;
    };
    for (const c of ['翠湖社区', '金碧社区']) {
      await d.completeTask('county', await one('county', 'application', c), { applicationSummary: '基础条件', workPlan: '方案', contactPerson: '联络员' });
      await d.completeTask('leading-office', await one('leading-office', 'acceptApplication', c), { decision: 'approve' });
      await d.completeTask('residents-committee', await one('residents-committee', 'build', c), { responsibleUnits: '社区', progressReport: '进展' });
      await d.completeTask('residents-committee', await one('residents-committee', 'selfCheck', c), {
        selfCheckScores: ['党建引领', '居民自治', '社区服务', '平安法治', '特色创新'].map((n) => `${n}：18`).join('\n'),
        selfCheckReport: '报告',
      });
      await d.completeTask('county', await one('county', 'countyEvaluation', c), { decision: 'approve' });
    }
    const reviews = async (c: string) => (await d.instance(inst.id)).openTasks.filter((t) => t.elementId === 'expertReview' && t.subject === c);
    expect(await reviews('翠湖社区')).toHaveLength(3);

    // expert1 scores 翠湖, then expert2 takes another of its reviews and asks for expert4 as one more expert
    const [first] = (await d.myTasks('expert1', inst.id, 'expertReview')).filter((t) => t.subject === '翠湖社区');
    await d.completeTask('expert1', first!, { score: 90, decision: 'approve', opinion: '依据一' });
    const [mine] = (await d.myTasks('expert2', inst.id, 'expertReview')).filter((t) => t.subject === '翠湖社区');
    await d.claim('expert2', mine!);
    const add = (user: string, body: unknown) => d.post(user, `/api/tasks/${encodeURIComponent(mine!.id)}/add-signers`, body);
    // refusals: no reason; an expert who already scored this pilot; a position the step does not have
    expect((await add('expert2', { users: ['expert4'], position: 'instance' })).body.error.fields).toEqual({ reason: '请填写操作原因' });
    const again = await add('expert2', { users: ['expert1'], position: 'instance', reason: '再请一位' });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe('“expert1”已办理过该环节的一份：该环节须由不同人员各自办理');
    expect((await add('expert2', { users: ['expert4'], position: 'sideways', reason: '再请一位' })).status).toBe(400);
    expect((await add('expert3', { users: ['expert4'], position: 'instance', reason: '再请一位' })).status).toBe(403); // expert2 holds it

    const added = await add('expert2', { users: ['expert4'], position: 'instance', reason: '评分分歧较大，增请一位专家' });
    expect(added.status).toBe(200);
    expect(added.body.created).toHaveLength(1);
    const open = await reviews('翠湖社区');
    expect(open).toHaveLength(3); // expert2's, the unclaimed third, and expert4's new one
    const fourth = open.find((t) => t.id === added.body.created[0])!;
    expect(fourth).toMatchObject({ assignee: 'expert4', subject: '翠湖社区' });
    expect(await reviews('金碧社区')).toHaveLength(3);
    expect((await d.get('admin', `/api/instances/${encodeURIComponent(inst.id)}/audit`)).body.find((e: { type: string }) => e.type === 'task.signers_added')).toMatchObject({
      actor: 'expert2',
      data: { users: ['expert4'], position: 'instance', reason: '评分分歧较大，增请一位专家' },
    });
    expect((await d.get('expert4', '/api/messages')).body.items.find((m: { kind: string }) => m.kind === 'cosign')).toMatchObject({ taskId: fourth.id, text: '评分分歧较大，增请一位专家' });

    // the added review is scored like the others, and the loop keeps counting it across a restart
    await d.completeTask('expert4', fourth, { score: 70, decision: 'approve', opinion: '依据四' });
    d = await d.restarted();
    await d.completeTask('expert2', mine!, { score: 80, decision: 'approve', opinion: '依据二' });
    expect(await reviews('翠湖社区')).toHaveLength(1);
    const [last] = (await d.myTasks('expert3', inst.id, 'expertReview')).filter((t) => t.subject === '翠湖社区');
    await d.completeTask('expert3', last!, { score: 100, decision: 'approve', opinion: '依据三' });
    expect(await reviews('翠湖社区')).toEqual([]);
    await d.completeTask('third-party', await one('third-party', 'residentSurvey', '翠湖社区'), { surveyMethod: 'online', surveyRespondents: 10, satisfiedRespondents: 9 });
    const view = await d.instance(inst.id);
    const cuihu = (view.variables.pilotTrackResults as Record<string, any>[]).find((r) => r.community.name === '翠湖社区')!;
    expect(cuihu.expertReviewResults.map((r: any) => [r.by, r.score])).toEqual([['expert1', 90], ['expert4', 70], ['expert2', 80], ['expert3', 100]]);
    expect(cuihu).toMatchObject({ expertCount: 4, expertAverage: 85 });
    expect(view.variables.expertCount).toBe(3);
    // 金碧 is untouched: three reviews close it
    for (const expert of ['expert1', 'expert2', 'expert3']) {
      const [t] = (await d.myTasks(expert, inst.id, 'expertReview')).filter((x) => x.subject === '金碧社区' && !x.assignee);
      await d.completeTask(expert, t!, { score: 80, decision: 'approve', opinion: '依据' });
    }
    expect(await reviews('金碧社区')).toEqual([]);
    expect((await d.instance(inst.id)).openTasks.map((t) => `${t.elementId}:${t.subject}`)).toEqual(['residentSurvey:金碧社区']);
  });

  it('a pilot most experts reject is not named, whatever its score; one rejection of three does not decide (practice)', async () => {
    const marks = { selfCheck: [20, 20, 18, 18, 19], experts: [95, 90, 94], respondents: 50, satisfied: 48 };
    const rejected = await singleTrack('P1-vetoed', '福海社区，西山区', { ...marks, decisions: ['reject', 'reject', 'approve'] });
    expect(rejected.variables.pilotTrackResults[0]).toMatchObject({ acceptanceScore: 94.3, accepted: false, expertRejections: 2 });
    expect(rejected.variables.pilotTrackResults[0].acceptanceSummary).toContain('3 名专家中 2 名结论为“不通过”，超过 1/2（专家评审惯例：多数专家不同意即不通过），不论得分，未通过评估验收');
    expect(rejected.variables.namedCount).toBe(0);
    expect(rejected.status).toBe('completed');
    const allThree = await singleTrack('P1-vetoed-3', '龙泉社区，盘龙区', { ...marks, decisions: ['reject', 'reject', 'reject'] });
    expect(allThree.variables.namedCount).toBe(0);
    const oneOfThree = await singleTrack('P1-one-reject', '海源社区，五华区', { ...marks, decisions: ['reject', 'approve', 'approve'] });
    expect(oneOfThree.variables.pilotTrackResults[0]).toMatchObject({ accepted: true, expertRejections: 1 });
    expect(oneOfThree.variables.namedListText).toBe('1. 海源社区（五华区）　94.3 分');
  });

  it('the city does not approve the named list: the batch ends 未予命名 with the reason kept and nothing published', async () => {
    const ready = await singleTrack('P1-not-named', '福海社区，西山区', { selfCheck: [20, 20, 18, 18, 19], experts: [95, 90, 94], respondents: 50, satisfied: 48 });
    // (95×20 + 93×50 + 96×30) / 100 = 94.3
    expect(ready.variables.namedListText).toBe('1. 福海社区（西山区）　94.3 分');
    const refused = await d.refused('city', ready.id, 'naming', { decision: 'reject' });
    expect(refused.opinion).toContain('不能为空');
    const done = await d.complete('city', ready.id, 'naming', { decision: 'reject', opinion: '特色不突出，下一批再评' });
    expect(done.status).toBe('completed');
    expect(done.activeElements).toEqual([]);
    expect(await d.notices('P1-not-named')).toEqual([]);
    const [naming] = (await d.signoffs(ready.id)).filter((x) => x.elementId === 'naming');
    expect(naming).toMatchObject({ decision: 'reject', opinion: '特色不突出，下一批再评', by: 'city' });
  });

  it('a batch in which no pilot reaches the pass mark ends without a named list; an expert cannot score a pilot twice', async () => {
    const view = await singleTrack(
      'P1-none',
      '安宁社区，安宁市',
      { selfCheck: [15, 15, 15, 15, 10], experts: [70, 75, 65], respondents: 100, satisfied: 60 },
      async (instanceId) => {
        // the same expert may not score the same pilot twice: the other iterations are no longer offered to them…
        expect(await d.myTasks('expert1', instanceId, 'expertReview')).toEqual([]);
        expect(await d.myTasks('expert2', instanceId, 'expertReview')).toHaveLength(2);
        const count = await d.get('expert1', '/api/tasks/count');
        expect(count.body.candidate).toBe((await d.get('expert1', '/api/tasks?scope=candidate&limit=200')).body.length);
        // …and taking one anyway is refused at claim, naming the rule and its clause
        const second = (await d.instance(instanceId)).openTasks.find((x) => x.elementId === 'expertReview' && !x.assignee);
        const res = await d.post('expert1', `/api/tasks/${encodeURIComponent(second!.id)}/claim`);
        expect(res.status).toBe(403);
        expect(res.body.error.message).toBe(
          '您已办理过“安宁社区”的“专家评估（每位专家独立评分）”：该环节须由不同人员各自独立办理，同一人不能办理两份（《社会治理活动方案》篇一 第3项“评估验收”）',
        );
        // one who holds an iteration may not take a second of the same pilot, by claim or by 转办, before doing it
        const [a, b] = (await d.instance(instanceId)).openTasks.filter((x) => x.elementId === 'expertReview' && !x.assignee);
        const url = (t: { id: string }, action: string) => `/api/tasks/${encodeURIComponent(t.id)}/${action}`;
        expect((await d.post('expert2', url(a!, 'claim'))).status).toBe(200);
        const twice = await d.post('expert2', url(b!, 'claim'));
        expect(twice.status).toBe(409);
        expect(twice.body.error.message).toBe('您已签收“安宁社区”的“专家评估（每位专家独立评分）”的另一份：该环节须由不同人员各自独立办理，须先办理或退回已签收的那一份');
        expect((await d.post('expert3', url(b!, 'claim'))).status).toBe(200);
        const handed = await d.post('expert3', url(b!, 'transfer'), { to: 'expert2', reason: '请专家二代评' });
        expect(handed.status).toBe(409);
        expect(handed.body.error.message).toContain('“评审专家2（演示）”已签收“安宁社区”的“专家评估（每位专家独立评分）”的另一份');
        // …and nor may one who already did an iteration be handed another: the refusal names them, not the one asking
        const toDone = await d.post('expert3', url(b!, 'transfer'), { to: 'expert1', reason: '请专家一再评' });
        expect(toDone.status).toBe(403);
        expect(toDone.body.error.message).toContain('“评审专家1（演示）”已办理过“安宁社区”的“专家评估（每位专家独立评分）”');
        for (const [user, t] of [['expert2', a!], ['expert3', b!]] as const) expect((await d.post(user, url(t, 'unclaim'))).status).toBe(200);
      },
    );
    expect(view.status).toBe('completed');
    // (70×20 + 70×50 + 60×30) / 100 = 67 < 80
    expect(view.variables.pilotTrackResults[0]).toMatchObject({ acceptanceScore: 67, accepted: false });
    expect(view.variables.namedCount).toBe(0);
    expect(await d.notices('P1-none')).toEqual([]);
  });
});

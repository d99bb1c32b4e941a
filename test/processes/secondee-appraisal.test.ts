import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  COMMITTEE_WEIGHT_FLOOR_HIGH,
  COMMITTEE_WEIGHT_FLOOR_LOW,
  computeAppraisal,
  setupWeights,
} from '../../server/services/secondee-appraisal.js';
import { RuleViolation } from '../../server/services/types.js';
import { noticeText, ProcessDriver } from '../support/process-driver.js';

// P7 下沉人员年度考核 (processes/secondee-appraisal.bpmn) driven through the API as the demo users:
// street-office starts, home-department and party-committee score, district-hr files, home-department replaces.
// The clock starts on Monday 5 January 2026, 09:00 China time.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('proc_secondee_appraisal', '2026-01-05T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const CLAUSE = '《社会治理活动方案》篇四 第11项';
const FLOOR_70 = `“社区党委考核比重（%）”不得低于 70%：社区综合整治、治安消防队伍，社区党委考核比重不低于70%（${CLAUSE}）`;
const FLOOR_50 = `“社区党委考核比重（%）”不得低于 50%：综合巡查、安监、环水、交通、交警、市场监管队伍，社区党委考核比重不低于50%（${CLAUSE}）`;

const base = {
  appraisalYear: 2025,
  communityName: '凤凰社区',
  secondeeName: '张伟',
  homeDepartment: '福永街道综合执法队',
  team: 'rectification',
  committeeWeight: 75,
  workPlanRef: '福永街道下沉人员管理工作方案',
  appraisalDueDate: '2026-01-31',
};

const HIGH_TEAMS = ['rectification', 'security-fire'];
const LOW_TEAMS = ['inspection', 'work-safety', 'environment-water', 'transport', 'traffic-police', 'market-supervision'];

const openIds = (inst: { openTasks: { elementId: string }[] }) => inst.openTasks.map((t) => t.elementId).sort();

async function score(instanceId: string, home: string, committee: string, veto: { vetoReason?: string; vetoFacts?: string } = {}) {
  await d.complete('home-department', instanceId, 'homeAppraisal', { homeScore: home, homeComment: '到岗到位，工作落实较好' });
  return d.complete('party-committee', instanceId, 'committeeAppraisal', {
    committeeScore: committee,
    committeeComment: '响应社区诉求及时',
    vetoReason: 'none',
    ...veto,
  });
}

const filing = { decision: 'approve', filingNo: '宝人社备〔2026〕3号', filedOn: '2026-01-05', opinion: '' };

describe('P7 secondee-appraisal: the committee weight floors of 第11项', () => {
  it('rectification / security-fire teams: 69% is refused naming the field and the clause, 70% is accepted', async () => {
    for (const team of HIGH_TEAMS) {
      const err = await d.startRefused('street-office', 'secondee-appraisal', { ...base, team, committeeWeight: 69 });
      expect(err.code).toBe('validation_failed');
      expect(err.fields?.committeeWeight).toBe(FLOOR_70);
    }
    // 50 satisfies the other teams' floor but not this one's
    const fifty = await d.startRefused('street-office', 'secondee-appraisal', { ...base, team: 'security-fire', committeeWeight: 50 });
    expect(fifty.fields?.committeeWeight).toBe(FLOOR_70);

    for (const team of HIGH_TEAMS) {
      const inst = await d.start('street-office', 'secondee-appraisal', { ...base, team, committeeWeight: 70 }, `P7-70-${team}`);
      expect(inst.status).toBe('running');
      expect(inst.variables).toMatchObject({ committeeWeight: 70, homeWeight: 30, minCommitteeWeight: 70, dailyManager: '社区党委为主' });
      expect(openIds(inst)).toEqual(['committeeAppraisal', 'homeAppraisal']);
    }
  });

  it('inspection, work safety, environment/water, transport, traffic police, market supervision: 49% refused, 50% accepted', async () => {
    for (const team of LOW_TEAMS) {
      const err = await d.startRefused('street-office', 'secondee-appraisal', { ...base, team, committeeWeight: 49 });
      expect(err.fields?.committeeWeight).toBe(FLOOR_50);
    }
    for (const team of ['inspection', 'market-supervision']) {
      const inst = await d.start('street-office', 'secondee-appraisal', { ...base, team, committeeWeight: 50 }, `P7-50-${team}`);
      expect(inst.variables).toMatchObject({ committeeWeight: 50, homeWeight: 50, minCommitteeWeight: 50 });
    }
    const inst = await d.start('street-office', 'secondee-appraisal', { ...base, team: 'environment-water', committeeWeight: 50 }, 'P7-50-env');
    expect(inst.variables).toMatchObject({ teamName: '环水队伍', dailyManager: '区主管部门为主' });
  });

  it('the committee cannot take 100%: the appraisal is exercised jointly (共同行使); the default weight is 70', async () => {
    const err = await d.startRefused('street-office', 'secondee-appraisal', { ...base, committeeWeight: 100 });
    expect(err.fields?.committeeWeight).toBe(
      `“社区党委考核比重（%）”不能为 100%：下沉人员年度考核由各主管部门、社区党委共同行使，主管部门须保留考核比重（${CLAUSE}）`,
    );
    const { committeeWeight: _omitted, ...withoutWeight } = base;
    const inst = await d.start('street-office', 'secondee-appraisal', { ...withoutWeight, team: 'traffic-police' }, 'P7-default');
    expect(inst.variables).toMatchObject({ committeeWeight: 70, homeWeight: 30, publicityWorkingDays: 5 });
  });

  it('the floors are constants of the document, checked again by the service (a RuleViolation citing 第11项)', () => {
    expect([COMMITTEE_WEIGHT_FLOOR_HIGH, COMMITTEE_WEIGHT_FLOOR_LOW]).toEqual([70, 50]);
    expect(() => setupWeights('rectification', 69)).toThrow(RuleViolation);
    expect(() => setupWeights('rectification', 69)).toThrow(
      '社区综合整治队伍的社区党委考核比重（committeeWeight）为 69%，低于 70%：社区综合整治、治安消防队伍，社区党委考核比重不低于70%（《社会治理活动方案》篇四 第11项（完善下沉人员考核激励机制））',
    );
    expect(setupWeights('security-fire', 70).homeWeight).toBe(30);
    expect(() => setupWeights('transport', 49)).toThrow(/低于 50%.*第11项/);
    expect(setupWeights('transport', 50).homeWeight).toBe(50);
    expect(() => computeAppraisal({ team: 'security-fire', committeeWeight: 69, homeScore: '90', committeeScore: '90' })).toThrow(/不低于70%/);
    expect(() => setupWeights('street-cleaning', 80)).toThrow(/不在第11项所列队伍之中/);
  });
});

describe('P7 secondee-appraisal: scoring, filing, publication', () => {
  it('normal path: both score in parallel, exact combined score, filed with district HR before the result is published', async () => {
    const inst = await d.start('street-office', 'secondee-appraisal', base, 'P7-normal');
    expect(inst.variables.weightSummary).toBe('社区综合整治队伍：社区党委考核比重 75%（不低于 70%），主管部门考核比重 25%；日常管理以社区党委为主');
    // each party sees its own task only; both due at the end of the appraisal due date (China time)
    const committeeTasks = await d.myTasks('party-committee', inst.id);
    const homeTasks = await d.myTasks('home-department', inst.id);
    expect(committeeTasks.map((t) => t.elementId)).toEqual(['committeeAppraisal']);
    expect(homeTasks.map((t) => t.elementId)).toEqual(['homeAppraisal']);
    expect(committeeTasks[0]!.dueAt).toBe('2026-01-31T15:59:59.000Z');
    expect(await d.myTasks('district-hr', inst.id)).toEqual([]);

    // scores: 0–100, one decimal at most
    const bad = await d.refused('home-department', inst.id, 'homeAppraisal', { homeScore: '100.5', homeComment: '评语' });
    expect(bad.homeScore).toBe(`“主管部门评分（百分制）”应为 0 至 100 分、至多一位小数（${CLAUSE}）`);
    expect((await d.refused('home-department', inst.id, 'homeAppraisal', { homeScore: '85.55', homeComment: '评语' })).homeScore).toBeDefined();
    // the weight shown on the committee's form is fixed by the start: another value is refused with the clause
    const weight = await d.refused('party-committee', inst.id, 'committeeAppraisal', {
      committeeWeight: 60, committeeScore: '90', committeeComment: '好', vetoReason: 'none',
    });
    expect(weight.committeeWeight).toBe(`“社区党委考核比重（%）”由规定确定为“75”，不能更改（${CLAUSE}）`);

    const afterHome = await d.complete('home-department', inst.id, 'homeAppraisal', { homeScore: '70', homeComment: '到岗到位' });
    expect(openIds(afterHome)).toEqual(['committeeAppraisal']); // the join waits for the committee
    const scored = await d.complete('party-committee', inst.id, 'committeeAppraisal', {
      committeeScore: '82.3', committeeComment: '响应社区诉求及时', vetoReason: 'none',
    });
    // 70 × 25% + 82.3 × 75% = 17.5 + 61.725 = 79.225 → 79.23 (half up, computed on integers;
    // in floating point 70 * 0.25 + 82.3 * 0.75 is stored just below 79.225 and toFixed(2) gives 79.22)
    expect(scored.variables).toMatchObject({
      homeWeighted: '17.5',
      committeeWeighted: '61.725',
      combinedExact: '79.225',
      combinedScoreText: '79.23',
      combinedScore: 79.23,
      vetoed: false,
      vetoReasonName: null,
      appraisalResult: '综合得分 79.23 分',
      scoreSummary: '主管部门评分 70 × 25% = 17.5；社区党委评分 82.3 × 75% = 61.725；合计 79.225，综合得分 79.23 分（四舍五入保留两位小数）',
    });
    expect((70 * 0.25 + 82.3 * 0.75).toFixed(2)).toBe('79.22');

    // filed before published: nothing is public while the filing is open
    expect(openIds(scored)).toEqual(['hrFiling']);
    expect(await d.notices('P7-normal')).toEqual([]);
    expect((await d.myTasks('district-hr', inst.id)).map((t) => t.elementId)).toEqual(['hrFiling']);
    const noNumber = await d.refused('district-hr', inst.id, 'hrFiling', { ...filing, filingNo: '' });
    expect(noNumber.filingNo).toBe('予以备案时必须登记备案编号（《社会治理活动方案》篇四 第11项：考核结果公示前应报区组织人事部门备案）');
    const noDate = await d.refused('district-hr', inst.id, 'hrFiling', { ...filing, filedOn: '' });
    expect(noDate.filedOn).toMatch(/备案日期.*第11项/);

    const done = await d.complete('district-hr', inst.id, 'hrFiling', filing);
    expect(done.status).toBe('completed');
    expect(done.activeElements).toEqual([]);
    // published Monday 5 January 2026 → Tue 6 … Mon 12 January = 5 working days, end of day China time
    expect(done.variables.publicityEndsAt).toBe('2026-01-12T15:59:59.999Z');

    const signoffs = await d.signoffs(inst.id);
    expect(signoffs).toEqual([expect.objectContaining({ elementId: 'hrFiling', decision: 'approve', by: 'district-hr' })]);

    const notices = await d.notices('P7-normal');
    expect(notices).toHaveLength(1);
    const notice = notices[0]!;
    expect(notice.title).toBe('2025年度下沉人员考核结果公示（凤凰社区·张伟）');
    expect(notice.kind).toBe('secondee-appraisal-result');
    expect(notice).toMatchObject({ days: 5, workingDays: true });
    expect(new Date(notice.endAt).toISOString()).toBe('2026-01-12T15:59:59.999Z');
    const text = noticeText(notice.html);
    expect(text).toContain('考核结果已报区组织人事部门备案，现予公示');
    expect(text).toContain('所属队伍 社区综合整治队伍');
    expect(text).toContain('考核比重 社区党委 75%，主管部门 25%');
    expect(text).toContain('合计 79.225，综合得分 79.23 分');
    expect(text).toContain('考核结果 综合得分 79.23 分');
    expect(text).toContain('2026年1月5日报区组织人事部门备案，备案编号 宝人社备〔2026〕3号');
    expect(text).toContain('公示期：2026年1月5日至2026年1月12日（5 个工作日）');
    expect(text).toContain('依据：《社会治理活动方案》篇四 第11项（考核结果公示前应报区组织人事部门备案）');
  });

  it('combined score arithmetic at 50%: exact, two decimals', async () => {
    const inst = await d.start('street-office', 'secondee-appraisal', { ...base, team: 'work-safety', committeeWeight: 55 }, 'P7-arith');
    const scored = await score(inst.id, '87.5', '90.5');
    // 87.5 × 45% + 90.5 × 55% = 39.375 + 49.775 = 89.15
    expect(scored.variables).toMatchObject({ homeWeighted: '39.375', committeeWeighted: '49.775', combinedExact: '89.15', combinedScoreText: '89.15' });
    // whole scores keep two decimals in the text: 85 × 30% + 92 × 70% = 89.9 → 89.90
    expect(computeAppraisal({ team: 'security-fire', committeeWeight: 70, homeScore: '85', committeeScore: '92' })).toMatchObject({
      combinedScoreText: '89.90',
      combinedScore: 89.9,
    });
    // 100 and 0 are the bounds
    expect(computeAppraisal({ team: 'inspection', committeeWeight: 50, homeScore: '100', committeeScore: '0' }).combinedScoreText).toBe('50.00');
    // half up at the third decimal: 66.7 × 49% + 70.1 × 51% = 32.683 + 35.751 = 68.434 → 68.43; 0.1 × 35% + 0 = 0.035 → 0.04
    expect(computeAppraisal({ team: 'transport', committeeWeight: 51, homeScore: '66.7', committeeScore: '70.1' }).combinedScoreText).toBe('68.43');
    expect(computeAppraisal({ team: 'transport', committeeWeight: 65, homeScore: '0.1', committeeScore: '0' }).combinedScoreText).toBe('0.04');
    expect(() => computeAppraisal({ team: 'transport', committeeWeight: 65, homeScore: '85.55', committeeScore: '0' })).toThrow(/至多一位小数/);
  });

  it('one-vote veto for a reason of 第12项: filed, published, then the home department is asked to replace the person', async () => {
    const inst = await d.start('street-office', 'secondee-appraisal', { ...base, team: 'security-fire', committeeWeight: 80 }, 'P7-veto');
    await d.complete('home-department', inst.id, 'homeAppraisal', { homeScore: '78', homeComment: '基本完成工作' });
    // a veto needs its facts
    const noFacts = await d.refused('party-committee', inst.id, 'committeeAppraisal', {
      committeeScore: '55', committeeComment: '多次不服从社区调度', vetoReason: 'disobedience',
    });
    expect(noFacts.vetoFacts).toBe('实行一票否决必须写明事实依据（《社会治理活动方案》篇四 第12项）');
    // only the reasons the text lists can be chosen
    const other = await d.refused('party-committee', inst.id, 'committeeAppraisal', {
      committeeScore: '55', committeeComment: '意见', vetoReason: 'personal-dislike', vetoFacts: '事实',
    });
    expect(other.vetoReason).toBe('“一票否决”的取值无效');

    const vetoed = await d.complete('party-committee', inst.id, 'committeeAppraisal', {
      committeeScore: '55',
      committeeComment: '多次不服从社区调度',
      vetoReason: 'disobedience',
      vetoFacts: '2025年7月至9月三次拒绝参加社区联合整治行动',
    });
    // 78 × 20% + 55 × 80% = 15.6 + 44 = 59.6
    expect(vetoed.variables).toMatchObject({
      combinedScoreText: '59.60',
      vetoed: true,
      vetoReasonName: '不服从管理',
      appraisalResult: '社区党委实行一票否决（不服从管理），要求主管部门调整下沉人员；综合得分 59.60 分',
    });
    expect(openIds(vetoed)).toEqual(['hrFiling']);
    expect(await d.notices('P7-veto')).toEqual([]);

    const published = await d.complete('district-hr', inst.id, 'hrFiling', { ...filing, filingNo: '宝人社备〔2026〕4号' });
    expect(openIds(published)).toEqual(['replaceSecondee']);
    const [notice] = await d.notices('P7-veto');
    expect(noticeText(notice!.html)).toContain('考核结果 社区党委实行一票否决（不服从管理），要求主管部门调整下沉人员；综合得分 59.60 分');

    // the replacement request goes to the home department, not to the committee
    expect(await d.myTasks('party-committee', inst.id)).toEqual([]);
    const replaceTask = await d.task('home-department', inst.id, 'replaceSecondee');
    expect(replaceTask.name).toBe('主管部门调整下沉人员');
    // the home department sends the replacement on 20 January
    await d.setClock('2026-01-20T09:00:00+08:00');
    const same = await d.refused('home-department', inst.id, 'replaceSecondee', { replacementName: '张伟', replacedOn: '2026-01-20' });
    expect(same.replacementName).toBe('接替人员不能是被一票否决的下沉人员本人（《社会治理活动方案》篇四 第12项：要求主管部门调整下沉人员）');
    const replaced = await d.complete('home-department', inst.id, 'replaceSecondee', {
      replacementName: '李强', replacedOn: '2026-01-20', replacementNote: '原下沉人员调回区公安分局',
    });
    expect(replaced.status).toBe('completed');
    expect(replaced.variables).toMatchObject({ replacementName: '李强', vetoReasonName: '不服从管理', secondeeName: '张伟' });
  });

  it('every veto reason of 第12项 is accepted; anything else is refused by the service too', () => {
    const reasons = {
      disobedience: '不服从管理',
      'non-cooperation': '不配合工作',
      'poor-performance': '工作不到位',
      'insufficient-skill': '专业水平不足',
      'consecutive-low-ranking': '连续年度考核排名靠后',
    };
    for (const [id, name] of Object.entries(reasons)) {
      const result = computeAppraisal({ team: 'inspection', committeeWeight: 50, homeScore: '80', committeeScore: '60', vetoReason: id, vetoFacts: '事实' });
      expect(result).toMatchObject({ vetoed: true, vetoReasonName: name });
    }
    expect(() => computeAppraisal({ team: 'inspection', committeeWeight: 50, homeScore: '80', committeeScore: '60', vetoReason: 'other', vetoFacts: '事实' })).toThrow(
      /不在第12项所列情形之中/,
    );
    expect(() => computeAppraisal({ team: 'inspection', committeeWeight: 50, homeScore: '80', committeeScore: '60', vetoReason: 'disobedience', vetoFacts: ' ' })).toThrow(
      '实行一票否决须写明事实依据（《社会治理活动方案》篇四 第12项（提升下沉人员工作效能：一票否决））',
    );
  });

  it('district HR returns the result: both parties score again; then refuses filing: nothing is published', async () => {
    const inst = await d.start('street-office', 'secondee-appraisal', { ...base, team: 'traffic-police', committeeWeight: 60 }, 'P7-return');
    await score(inst.id, '70', '95');
    const noReason = await d.refused('district-hr', inst.id, 'hrFiling', { decision: 'return', filingNo: '', filedOn: '' });
    expect(noReason.opinion).toMatch(/意见/);
    const returned = await d.complete('district-hr', inst.id, 'hrFiling', { decision: 'return', opinion: '评分与平时考核记录不符，请核实' });
    expect(openIds(returned)).toEqual(['committeeAppraisal', 'homeAppraisal']);
    const rescored = await score(inst.id, '75', '92');
    // 75 × 40% + 92 × 60% = 30 + 55.2 = 85.2
    expect(rescored.variables.combinedScoreText).toBe('85.20');
    const ended = await d.complete('district-hr', inst.id, 'hrFiling', { decision: 'reject', opinion: '未按工作方案组织考核' });
    expect(ended.status).toBe('completed');
    expect(ended.activeElements).toEqual([]);
    expect(await d.notices('P7-return')).toEqual([]);
    const signoffs = await d.signoffs(inst.id);
    expect(signoffs.map((s) => [s.elementId, s.decision, s.opinion])).toEqual([
      ['hrFiling', 'return', '评分与平时考核记录不符，请核实'],
      ['hrFiling', 'reject', '未按工作方案组织考核'],
    ]);
  });

  it('only the street office may start it (camunda:candidateStarterGroups)', async () => {
    for (const user of ['party-committee', 'home-department', 'district-hr']) {
      const err = await d.startRefused(user, 'secondee-appraisal', base, 403);
      expect(err.code).toBe('forbidden');
    }
  });
});

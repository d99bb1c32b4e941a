import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProcessDriver, type InstanceJson } from '../support/process-driver.js';

// P8 年度评奖 (processes/annual-awards.bpmn, server/services/annual-awards.ts) through the API as the demo users:
// county (区政府办公室), city, awards-conference (联席会议), supervising-bureau (区监察局).
// Source: 《社会治理活动方案》篇七. Amounts: 优秀奖 100,000, 先进奖 60,000, 社会治理创新奖 50,000 yuan, of which 5% to the
// unit's party and government heads (三(一)(二)).

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('proc_annual_awards', '2026-01-12T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const S1 = '《社会治理活动方案》篇七 三(一)';
const S2 = '《社会治理活动方案》篇七 三(二)';
const S42 = '《社会治理活动方案》篇七 四(二)';
const S43 = '《社会治理活动方案》篇七 四(三)';

const scores = {
  townScores: '甲街道：96.5\n乙镇：94\n丙街道：91\n丁镇: 88',
  separateGroupScores: '滨湖世纪社区：98.2\nx社区：95\nx经济开发区：90',
  // 卫生健康局 is 2nd by score but not 城区第一 in the city's assessment: no award, and nobody moves up in its place
  departmentScores: '教育局：97\n卫生健康局：95\n民政局：93\n文化旅游局：92\n人社局：90',
  unitHonours: '教育局：全国文明单位',
  vetoList: '',
};
const city = {
  cityFirstUnits: '教育局\n民政局\n文化旅游局\n人社局',
  municipalPrizeUnits: '丙街道：“智慧社区”项目',
};
const innovation = {
  directAwardConfirmed: true,
  innovationAwardees: '民政局：“社区治理积分制”在全省推广',
  innovationCriteriaMet: true,
};

/** Start → compile → city → innovation review → supervision review (confirmed) → award list computed. */
async function untilConference(
  businessKey: string,
  overrides: { scores?: Partial<typeof scores>; city?: Partial<typeof city>; innovation?: Partial<typeof innovation>; falsifiedBeforeAward?: string } = {},
): Promise<InstanceJson> {
  const inst = await d.start('county', 'annual-awards', { awardYear: 2025 }, businessKey);
  await d.complete('county', inst.id, 'compileResults', { ...scores, ...overrides.scores });
  await d.complete('city', inst.id, 'cityResults', { ...city, ...overrides.city });
  await d.complete('awards-conference', inst.id, 'innovationReview', { ...innovation, ...overrides.innovation });
  return d.complete('supervising-bureau', inst.id, 'supervisionReview', {
    reviewResult: 'confirmed',
    falsifiedBeforeAward: overrides.falsifiedBeforeAward ?? '',
  });
}

const line = (award: { unit: string; award: string; amount: number; headsShare: number; unitShare: number }) => [
  award.unit,
  award.award,
  award.amount,
  award.headsShare,
  award.unitShare,
];

describe('P8 annual-awards', () => {
  it('ranking and amounts: 优秀奖 100,000, 先进奖 60,000, 创新奖 50,000, 5% of each to the heads; granted, supervision closed', async () => {
    const ranked = await untilConference('P8-2025');
    const id = ranked.id;
    const v = ranked.variables;
    expect(ranked.openTasks.map((t) => t.elementId)).toEqual(['conferenceDecision']);
    expect(v.awards.map(line)).toEqual([
      // 街镇: 1st → 优秀奖, 2nd → 先进奖 (三(一))
      ['甲街道', '2025年度社会事业发展优秀奖', 100000, 5000, 95000],
      ['乙镇', '2025年度社会事业发展先进奖', 60000, 3000, 57000],
      // 单独考核组优秀等次: highest converted score → 优秀奖, 2nd → 先进奖
      ['滨湖世纪社区', '2025年度社会事业发展优秀奖', 100000, 5000, 95000],
      ['x社区', '2025年度社会事业发展先进奖', 60000, 3000, 57000],
      // 区直部门: 城区第一 and 1st–2nd → 优秀奖; 城区第一 and 3rd–4th → 先进奖. 卫生健康局 (2nd, not 城区第一) gets
      // nothing, and 民政局 (3rd) stays 先进奖: the text ranks by the assessment's places, nobody moves up.
      ['教育局', '2025年度社会事业发展优秀奖', 100000, 5000, 95000],
      ['民政局', '2025年度社会事业发展先进奖', 60000, 3000, 57000],
      ['文化旅游局', '2025年度社会事业发展先进奖', 60000, 3000, 57000],
      // 社会治理创新奖: the municipal innovation prize directly, and the unit the conference found to meet the criteria
      ['丙街道', '2025年度社会治理创新奖', 50000, 2500, 47500],
      ['民政局', '2025年度社会治理创新奖', 50000, 2500, 47500],
    ]);
    // 3 × 100,000 + 4 × 60,000 + 2 × 50,000 = 640,000; 5% = 32,000 to the heads, 608,000 to the units
    expect(v).toMatchObject({ awardCount: 9, awardTotal: 640000, headsShareTotal: 32000, unitShareTotal: 608000, excludedText: '（无）' });
    expect(v.awards[0].basis).toBe(`街镇社会事业发展目标评价得分第 1 名（96.5 分）（${S1}）`);
    expect(v.awards[4].basis).toBe(`市政府下达的社会发展目标所承担项目考核名次城区第一，全区考核得分第 1 名（97 分）（${S1}）`);
    expect(v.awards[7].basis).toBe(`获市政府工作创新奖社会事业类项目（“智慧社区”项目），直接确定（${S2}）`);
    expect(v.awardListText.split('\n')[0]).toBe(
      `1. 甲街道　2025年度社会事业发展优秀奖　100,000 元（其中党政主要负责人 5,000 元，单位 95,000 元）——街镇社会事业发展目标评价得分第 1 名（96.5 分）（${S1}）`,
    );
    expect(v.rankingText.split('\n')).toEqual([
      '街镇（社会事业发展目标评价得分）：第 1 名 甲街道 96.5 分；第 2 名 乙镇 94 分；第 3 名 丙街道 91 分；第 4 名 丁镇 88 分',
      '单独考核组（优秀等次）（社会事业发展目标评价得分折算分值）：第 1 名 滨湖世纪社区 98.2 分；第 2 名 x社区 95 分；第 3 名 x经济开发区 90 分',
      '区直社会事业部门、单位（全区年度经济社会发展目标考核得分）：第 1 名 教育局 97 分；第 2 名 卫生健康局 95 分；第 3 名 民政局 93 分；第 4 名 文化旅游局 92 分；第 5 名 人社局 90 分',
    ]);

    // the conference's task page shows the list with its clause
    const page = await d.get('awards-conference', `/tasks/${encodeURIComponent((await d.task('awards-conference', id, 'conferenceDecision')).id)}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('1. 甲街道　2025年度社会事业发展优秀奖　100,000 元（其中党政主要负责人 5,000 元，单位 95,000 元）');
    expect(page.text).toContain('《社会治理活动方案》篇七 四(一)');

    const granted = await d.complete('awards-conference', id, 'conferenceDecision', { decision: 'approve' });
    expect(granted.openTasks.map((t) => t.elementId)).toEqual(['grantAwards']);
    // the awards are handed over at the ceremony on 10 February
    await d.setClock('2026-02-10T10:00:00+08:00');
    const refused = await d.refused('county', id, 'grantAwards', { awardsGranted: false, grantedOn: '2026-02-10' });
    expect(refused.awardsGranted).toBe(`须授予奖牌并拨付奖金后办结（${S1}、${S2}）`);
    await d.complete('county', id, 'grantAwards', { awardsGranted: true, grantedOn: '2026-02-10' });
    const ended = await d.complete('supervising-bureau', id, 'postAwardSupervision', { supervisionOutcome: 'close' });
    expect(ended.status).toBe('completed');
    expect((await d.signoffs(id)).map((s) => [s.elementId, s.decision, s.by])).toEqual([['conferenceDecision', 'approve', 'awards-conference']]);
  });

  it('a unit vetoed in one of the five areas, ranked first, loses every award; the next units do not move up', async () => {
    const ranked = await untilConference('P8-veto', {
      scores: { vetoList: '甲街道：安全生产和重大安全生产事故风险' },
      // 甲街道 also holds the municipal innovation prize: that award is lost too (取消所有奖项评选资格)
      city: { municipalPrizeUnits: '甲街道：“平安街区”项目\n丙街道：“智慧社区”项目' },
    });
    const v = ranked.variables;
    expect(v.awards.some((a: { unit: string }) => a.unit === '甲街道')).toBe(false);
    expect(v.awards.filter((a: { unit: string }) => ['甲街道', '乙镇', '丙街道', '丁镇'].includes(a.unit)).map(line)).toEqual([
      // 乙镇 is still 2nd: 先进奖, not 优秀奖; the towns' 优秀奖 stays vacant
      ['乙镇', '2025年度社会事业发展先进奖', 60000, 3000, 57000],
      ['丙街道', '2025年度社会治理创新奖', 50000, 2500, 47500],
    ]);
    expect(v.awards.filter((a: { kind: string }) => a.kind === 'excellent').map((a: { unit: string }) => a.unit)).toEqual(['滨湖世纪社区', '教育局']);
    // the list of the first test (640,000) less 甲街道's 优秀奖: 540,000; heads 32,000 − 5,000 = 27,000; its 创新奖
    // (50,000) is never added
    expect(v).toMatchObject({ awardCount: 8, awardTotal: 540000, headsShareTotal: 27000, unitShareTotal: 513000, excludedUnits: ['甲街道'] });
    expect(v.excludedText.split('\n')).toEqual([
      `甲街道：本应获2025年度社会事业发展优秀奖（街镇社会事业发展目标评价得分第 1 名（96.5 分）），安全生产和重大安全生产事故风险工作被“一票否决”，取消所有奖项评选资格（${S42}）；名次不递补，该奖项空缺`,
      `甲街道：本应获2025年度社会治理创新奖（获市政府工作创新奖社会事业类项目（“平安街区”项目），直接确定），安全生产和重大安全生产事故风险工作被“一票否决”，取消所有奖项评选资格（${S42}）；名次不递补，该奖项空缺`,
    ]);
  });

  it('the veto list names only the five areas of 四(二); a unit vetoed without an award is still listed', async () => {
    const inst = await d.start('county', 'annual-awards', { awardYear: 2025 }, 'P8-veto-areas');
    const fields = await d.refused('county', inst.id, 'compileResults', { ...scores, vetoList: '丁镇：招商引资' });
    expect(fields.vetoList).toBe(
      `每行填写“单位名称：被否决的工作”，工作只能是人口和计划生育、社会治安综合治理、环境保护和节能减排、安全生产和重大安全生产事故风险、党风廉政建设之一（${S42}）`,
    );
    const badScores = await d.refused('county', inst.id, 'compileResults', { ...scores, townScores: '甲街道 96.5' });
    expect(badScores.townScores).toBe(`第 1 行（“甲街道 96.5”）应写成“街镇名称：得分”（${S1}）`);
    await d.complete('county', inst.id, 'compileResults', { ...scores, vetoList: '丁镇：党风廉政建设\n教育局：安全生产' });
    await d.complete('city', inst.id, 'cityResults', city);
    await d.complete('awards-conference', inst.id, 'innovationReview', innovation);
    const ranked = await d.complete('supervising-bureau', inst.id, 'supervisionReview', { reviewResult: 'confirmed' });
    const v = ranked.variables;
    // 教育局 (1st, 城区第一) vetoed: its 优秀奖 is vacant; 民政局 (3rd) keeps 先进奖
    expect(v.awards.filter((a: { kind: string }) => a.kind !== 'innovation').map((a: { unit: string; kind: string }) => `${a.unit}:${a.kind}`)).toEqual([
      '甲街道:excellent',
      '乙镇:advanced',
      '滨湖世纪社区:excellent',
      'x社区:advanced',
      '民政局:advanced',
      '文化旅游局:advanced',
    ]);
    expect(v.excludedText.split('\n')).toEqual([
      `教育局：本应获2025年度社会事业发展优秀奖（市政府下达的社会发展目标所承担项目考核名次城区第一，全区考核得分第 1 名（97 分）），安全生产和重大安全生产事故风险工作被“一票否决”，取消所有奖项评选资格（${S42}）；名次不递补，该奖项空缺`,
      `丁镇：党风廉政建设工作被“一票否决”，取消所有奖项评选资格（${S42}）`,
    ]);
    expect(v.awardTotal).toBe(540000);
  });

  it('direct award for a municipal innovation prize; other innovation awardees must rank 城区第一', async () => {
    const inst = await d.start('county', 'annual-awards', { awardYear: 2025 }, 'P8-innovation');
    await d.complete('county', inst.id, 'compileResults', scores);
    // 戊社区 is in no score list and not 城区第一: with the municipal prize it is determined directly
    await d.complete('city', inst.id, 'cityResults', { ...city, municipalPrizeUnits: '戊社区：“邻里中心”项目' });
    const notFirst = await d.refused('awards-conference', inst.id, 'innovationReview', {
      directAwardConfirmed: true,
      innovationAwardees: '卫生健康局：家庭医生签约创新',
      innovationCriteriaMet: true,
    });
    expect(notFirst.innovationAwardees).toBe(`评定的单位所承担的市政府下达社会发展目标项目考核名次须为城区第一（获市政府工作创新奖社会事业类项目、直接确定的除外）（${S2}）`);
    const unconfirmed = await d.refused('awards-conference', inst.id, 'innovationReview', {
      directAwardConfirmed: true,
      innovationAwardees: '人社局：“零跑腿”就业服务',
      innovationCriteriaMet: false,
    });
    expect(unconfirmed.innovationCriteriaMet).toBe(`评定社会治理创新奖须确认各单位符合评奖依据（${S2}）`);
    await d.complete('awards-conference', inst.id, 'innovationReview', { directAwardConfirmed: true, innovationAwardees: '' });
    const ranked = await d.complete('supervising-bureau', inst.id, 'supervisionReview', { reviewResult: 'confirmed' });
    const innovations = ranked.variables.awards.filter((a: { kind: string }) => a.kind === 'innovation');
    expect(innovations.map(line)).toEqual([['戊社区', '2025年度社会治理创新奖', 50000, 2500, 47500]]);
    expect(innovations[0].basis).toBe(`获市政府工作创新奖社会事业类项目（“邻里中心”项目），直接确定（${S2}）`);
    // the conference sends the list back; without the direct determination the prize alone wins nothing
    const back = await d.complete('awards-conference', inst.id, 'conferenceDecision', { decision: 'return', opinion: '直接确定事项需再议' });
    expect(back.openTasks.map((t) => t.elementId)).toEqual(['compileResults']);
    await d.complete('county', inst.id, 'compileResults', {});
    await d.complete('city', inst.id, 'cityResults', {});
    await d.complete('awards-conference', inst.id, 'innovationReview', { directAwardConfirmed: false });
    const again = await d.complete('supervising-bureau', inst.id, 'supervisionReview', { reviewResult: 'confirmed' });
    expect(again.variables.awards.filter((a: { kind: string }) => a.kind === 'innovation')).toEqual([]);
    expect(again.variables.awardTotal).toBe(540000);
  });

  it('awards found to rest on falsified data are recovered in full, the heads’ 5% included; a unit only once', async () => {
    const ranked = await untilConference('P8-recovery');
    const id = ranked.id;
    await d.complete('awards-conference', id, 'conferenceDecision', { decision: 'approve' });
    await d.setClock('2026-02-10T10:00:00+08:00');
    await d.complete('county', id, 'grantAwards', { awardsGranted: true, grantedOn: '2026-02-10' });

    const missing = await d.refused('supervising-bureau', id, 'postAwardSupervision', { supervisionOutcome: 'falsified', falsifiedUnits: '' });
    expect(missing.falsifiedUnits).toBe(`发现弄虚作假时必须填写弄虚作假的获奖单位（${S43}）`);
    expect(missing.disciplinaryAction).toBe(`发现弄虚作假的，须写明依纪依规严肃处理的情况（${S43}）`);
    const notAwarded = await d.refused('supervising-bureau', id, 'postAwardSupervision', {
      supervisionOutcome: 'falsified', falsifiedUnits: '卫生健康局：虚报数据', disciplinaryAction: '移送纪检',
    });
    expect(notAwarded.falsifiedUnits).toBe(`只能追回本年度获奖且尚未追回的单位的奖项（${S43}）`);

    // 民政局 holds two awards (先进奖 60,000 and 创新奖 50,000): both are recovered
    const found = await d.complete('supervising-bureau', id, 'postAwardSupervision', {
      supervisionOutcome: 'falsified',
      falsifiedUnits: '民政局：虚报社会发展目标完成数据',
      disciplinaryAction: '对相关责任人依纪依规严肃处理',
    });
    expect(found.openTasks.map((t) => t.elementId)).toEqual(['recoverAwards']);
    expect(found.variables).toMatchObject({
      lastRecoveryTotal: 110000,
      lastRecoveryHeadsShare: 5500,
      recoveryTotal: 110000,
      recoveryHeadsShareTotal: 5500,
      netAwardTotal: 530000,
      recoveredUnits: ['民政局'],
    });
    expect(found.variables.lastRecoveryText.split('\n')).toEqual([
      `民政局：追回2025年度社会事业发展先进奖奖牌及奖金 60,000 元（其中党政主要负责人奖励 3,000 元，单位 57,000 元）——弄虚作假：虚报社会发展目标完成数据（${S43}）`,
      `民政局：追回2025年度社会治理创新奖奖牌及奖金 50,000 元（其中党政主要负责人奖励 2,500 元，单位 47,500 元）——弄虚作假：虚报社会发展目标完成数据（${S43}）`,
    ]);
    await d.setClock('2026-05-06T10:00:00+08:00');
    const notDone = await d.refused('county', id, 'recoverAwards', { recoveryCompleted: false, recoveredOn: '2026-05-06' });
    expect(notDone.recoveryCompleted).toBe(`须追回所有奖项后办结（${S43}）`);
    const back = await d.complete('county', id, 'recoverAwards', { recoveryCompleted: true, recoveredOn: '2026-05-06' });
    // supervision goes on after the recovery
    expect(back.openTasks.map((t) => t.elementId)).toEqual(['postAwardSupervision']);

    const twice = await d.refused('supervising-bureau', id, 'postAwardSupervision', {
      supervisionOutcome: 'falsified', falsifiedUnits: '民政局：再次核查', disciplinaryAction: '—',
    });
    expect(twice.falsifiedUnits).toBe(`只能追回本年度获奖且尚未追回的单位的奖项（${S43}）`);
    // a second finding: 教育局's 优秀奖, 100,000 of which 5,000 to the heads
    const second = await d.complete('supervising-bureau', id, 'postAwardSupervision', {
      supervisionOutcome: 'falsified', falsifiedUnits: '教育局：考核材料造假', disciplinaryAction: '通报批评并追责',
    });
    expect(second.variables).toMatchObject({
      lastRecoveryTotal: 100000,
      lastRecoveryHeadsShare: 5000,
      recoveryTotal: 210000,
      recoveryHeadsShareTotal: 10500,
      netAwardTotal: 430000,
      recoveredUnits: ['民政局', '教育局'],
    });
    await d.setClock('2026-06-01T10:00:00+08:00');
    await d.complete('county', id, 'recoverAwards', { recoveryCompleted: true, recoveredOn: '2026-06-01' });
    const ended = await d.complete('supervising-bureau', id, 'postAwardSupervision', { supervisionOutcome: 'close' });
    expect(ended.status).toBe('completed');
  });

  it('falsified data found before the award: the supervision bureau returns the data, the unit gets none of its awards', async () => {
    const inst = await d.start('county', 'annual-awards', { awardYear: 2025 }, 'P8-falsified-early');
    await d.complete('county', inst.id, 'compileResults', scores);
    await d.complete('city', inst.id, 'cityResults', city);
    await d.complete('awards-conference', inst.id, 'innovationReview', innovation);
    const noOpinion = await d.refused('supervising-bureau', inst.id, 'supervisionReview', { reviewResult: 'return' });
    expect(noOpinion.reviewOpinion).toBe(`退回核实更正时必须写明监督意见（${S43}）`);
    const returned = await d.complete('supervising-bureau', inst.id, 'supervisionReview', {
      reviewResult: 'return',
      reviewOpinion: '滨湖世纪社区折算分值有误，经查系虚报',
      falsifiedBeforeAward: '滨湖世纪社区：虚报折算分值',
    });
    expect(returned.openTasks.map((t) => t.elementId)).toEqual(['compileResults']);
    await d.complete('county', inst.id, 'compileResults', { separateGroupScores: '滨湖世纪社区：93\nx社区：95\nx经济开发区：90' });
    await d.complete('city', inst.id, 'cityResults', {});
    await d.complete('awards-conference', inst.id, 'innovationReview', {});
    const ranked = await d.complete('supervising-bureau', inst.id, 'supervisionReview', { reviewResult: 'confirmed' });
    const separate = ranked.variables.awards.filter((a: { unit: string }) => ['滨湖世纪社区', 'x社区', 'x经济开发区'].includes(a.unit));
    // x社区 has the highest converted score now; 滨湖世纪社区 (2nd) gets no 先进奖
    expect(separate.map(line)).toEqual([['x社区', '2025年度社会事业发展优秀奖', 100000, 5000, 95000]]);
    expect(ranked.variables.excludedText).toBe(
      `滨湖世纪社区：本应获2025年度社会事业发展先进奖（单独考核组优秀等次中折算分值排名第 2（93 分）），考核中发现弄虚作假（虚报折算分值），所有奖项不予授予（${S43}）；名次不递补，该奖项空缺`,
    );
  });

  it('equal scores share a place (practice): two towns tied first both win 优秀奖, the next town is 3rd', async () => {
    const ranked = await untilConference('P8-tie', {
      scores: { townScores: '甲街道：95\n乙镇：95\n丙街道：90' },
      city: { municipalPrizeUnits: '' },
      innovation: { innovationAwardees: '' },
    });
    const towns = ranked.variables.awards.filter((a: { unit: string }) => ['甲街道', '乙镇', '丙街道'].includes(a.unit));
    expect(towns.map(line)).toEqual([
      ['甲街道', '2025年度社会事业发展优秀奖', 100000, 5000, 95000],
      ['乙镇', '2025年度社会事业发展优秀奖', 100000, 5000, 95000],
    ]);
    expect(ranked.variables.rankingText.split('\n')[0]).toBe('街镇（社会事业发展目标评价得分）：第 1 名 甲街道 95 分；第 1 名 乙镇 95 分；第 3 名 丙街道 90 分');
  });

  it('only the district office (county) starts the year’s awards', async () => {
    const refused = await d.startRefused('street-office', 'annual-awards', { awardYear: 2025 }, 403);
    expect(refused.code).toBeDefined();
  });
});

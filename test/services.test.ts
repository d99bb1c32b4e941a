import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { validateDeployment } from '../server/bpmn/validate.js';
import { addCalendarDays, addMonths, addWorkingDays, formatChineseDate, holidayTableCovers, isWorkingDay, useHolidayTable } from '../server/notices/calendar.js';
import { mergeHolidayTables, OFFICIAL_HOLIDAYS, parseHolidayTable } from '../server/notices/holidays.js';
import { loadNoticeTemplates, renderNotice } from '../server/notices/render.js';
import { decideResolution, parseRatio } from '../server/services/deliberation.js';
import { decideCommitteeSize, tallyRound } from '../server/services/election.js';
import { checkStaffing, computeFunding, decideRenewal, serviceYear } from '../server/services/funding.js';
import { publishNotice } from '../server/services/notices.js';
import { namedList, scoreAcceptance, scoreSelfCheck, setUpCampaign } from '../server/services/pilot.js';
import { knownTopics, serviceHandlers } from '../server/services/registry.js';
import { RuleViolation, type NoticeDraft, type ServiceContext } from '../server/services/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cst = (text: string) => new Date(`${text}+08:00`).toISOString();

function expectViolation(fn: () => unknown, pattern: RegExp) {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(RuleViolation);
  expect((error as Error).message).toMatch(pattern);
}

function context(inputs: Record<string, unknown>, variables: Record<string, unknown> = {}, now = new Date(cst('2025-09-01T10:00:00'))) {
  const notices: NoticeDraft[] = [];
  const ctx: ServiceContext = {
    now,
    inputs,
    variables,
    instance: { id: 'i1', processKey: 'test', processName: '测试流程', businessKey: null },
    element: { id: 'publish', name: '公示', documentation: '《测试文件》一(1)\n测试' },
    publishNotice: (notice) => notices.push(notice),
  };
  return { ctx, notices };
}

describe('P4 funding (《社区建设方案》篇1 四)', () => {
  it('150 clients for 12 months in 天河: basic 480,000, performance 240,000, split 4:6, inspection 2%', () => {
    const f = computeFunding({ clients: 150, months: 12, district: 'tianhe', includeFacility: true });
    expect(f).toEqual({
      districtName: '天河区',
      splitRatio: '4:6',
      monthlyRate: 400,
      fundedClients: 150,
      basicFunds: 480000,
      performanceFunds: 240000,
      fundingTotal: 720000,
      cityShare: 288000,
      districtShare: 432000,
      inspectionFunds: 14400,
      facilityFunds: 250000,
    });
  });

  it('basic funds are fixed; performance counts clients above 100 and at most 200, times months served', () => {
    expect(computeFunding({ clients: 80, months: 12, district: 'yuexiu' })).toMatchObject({ basicFunds: 480000, performanceFunds: 0, fundingTotal: 480000 });
    expect(computeFunding({ clients: 100, months: 12, district: 'yuexiu' }).performanceFunds).toBe(0);
    expect(computeFunding({ clients: 101, months: 1, district: 'yuexiu' }).performanceFunds).toBe(400);
    expect(computeFunding({ clients: 250, months: 12, district: 'yuexiu' })).toMatchObject({ fundedClients: 200, performanceFunds: 480000, fundingTotal: 960000 });
    expect(computeFunding({ clients: 150, months: 6, district: 'yuexiu' }).performanceFunds).toBe(120000);
    expect(computeFunding({ clients: 150, months: 12, district: 'yuexiu' }).facilityFunds).toBe(0);
  });

  it('splits by the district table', () => {
    const split = (district: string) => {
      const f = computeFunding({ clients: 100, months: 12, district });
      return [f.splitRatio, f.cityShare, f.districtShare];
    };
    expect(split('越秀区')).toEqual(['5:5', 240000, 240000]);
    expect(split('白云')).toEqual(['5:5', 240000, 240000]);
    expect(split('huadu')).toEqual(['4:6', 192000, 288000]);
    expect(split('从化市')).toEqual(['8:2', 384000, 96000]);
    expect(split('zengcheng')).toEqual(['6:4', 288000, 192000]);
    expect(split('南沙区')).toEqual(['0:10', 0, 480000]);
    expect(split('luogang')).toEqual(['0:10', 0, 480000]);
  });

  it('uses the monthly rate variable and refuses bad input', () => {
    expect(computeFunding({ clients: 150, months: 12, district: 'tianhe', rate: 500 })).toMatchObject({ basicFunds: 600000, performanceFunds: 300000 });
    expectViolation(() => computeFunding({ clients: 150, months: 13, district: 'tianhe' }), /12 个月/);
    expectViolation(() => computeFunding({ clients: 150, months: 12, district: '深圳' }), /分担比例表.*四\(一\)/);
    expectViolation(() => computeFunding({ clients: -1, months: 12, district: 'tianhe' }), /服务对象人数/);
  });

  it('settles performance funds on actuals against the plan', async () => {
    const out = await serviceHandlers['p4-settlement']({
      ...context({ clients: 160, months: 10, district: 'tianhe', plannedPerformanceFunds: 240000 }).ctx,
    });
    expect(out).toMatchObject({ settledBasicFunds: 480000, settledPerformanceFunds: 240000, settledTotal: 720000, performanceAdjustment: 0 });
    const lower = await serviceHandlers['p4-settlement'](context({ clients: 120, months: 12, district: 'tianhe', plannedPerformanceFunds: 240000 }).ctx);
    expect(lower).toMatchObject({ settledPerformanceFunds: 96000, performanceAdjustment: -144000, settledCityShare: 230400, settledDistrictShare: 345600 });
  });

  it('checks staffing: at least 8, 2/3 related and 1/2 social work, bounds included', () => {
    expect(checkStaffing({ staffCount: 8, relatedStaff: 6, socialWorkStaff: 4 }).staffingCompliant).toBe(true);
    expect(checkStaffing({ staffCount: 9, relatedStaff: 6, socialWorkStaff: 5 }).staffingCompliant).toBe(true);
    const few = checkStaffing({ staffCount: 7, relatedStaff: 7, socialWorkStaff: 7 });
    expect(few.staffingCompliant).toBe(false);
    expect(few.staffingIssues).toMatch(/少于 8 人/);
    expect(checkStaffing({ staffCount: 9, relatedStaff: 5, socialWorkStaff: 5 }).staffingIssues).toMatch(/2\/3/);
    expect(checkStaffing({ staffCount: 9, relatedStaff: 6, socialWorkStaff: 4 }).staffingIssues).toMatch(/1\/2/);
    expectViolation(() => checkStaffing({ staffCount: 8, relatedStaff: 9, socialWorkStaff: 4 }), /不能多于工作人员总数/);
  });

  it('computes the dates of a contract year', () => {
    expect(serviceYear('2025-01-01', 30)).toEqual({
      serviceYearStart: '2025-01-01',
      midYearInspectionAt: cst('2025-07-01T00:00:00'),
      midYearInspectionDueAt: cst('2025-07-31T23:59:59.999'),
      yearEndInspectionAt: cst('2025-12-02T00:00:00'),
      serviceYearEndsAt: cst('2025-12-31T23:59:59.999'),
      nextServiceYearStart: '2026-01-01',
      settlementDueAt: cst('2026-01-30T23:59:59.999'),
    });
    expect(serviceYear('2025-03-01', null).settlementDueAt).toBe(cst('2027-01-30T23:59:59.999'));
    expectViolation(() => serviceYear('not a date', 30), /起始日期/);
  });

  it('renews only after a passed year-end evaluation, and re-procures after the third year', () => {
    expect(decideRenewal({ yearEndResult: 'pass', staffingCompliant: true, contractYear: 1, nextServiceYearStart: '2026-01-01' })).toMatchObject({
      renew: true,
      contractYear: 2,
      renewalDecision: '续签',
      serviceYearStart: '2026-01-01',
    });
    expect(decideRenewal({ yearEndResult: 'pass', contractYear: 3 })).toMatchObject({ renew: false, reprocure: true, renewalReason: expect.stringMatching(/期满/) });
    expect(decideRenewal({ yearEndResult: 'fail', contractYear: 1 })).toMatchObject({ renew: false, renewalReason: expect.stringMatching(/不合格/) });
    expect(decideRenewal({ yearEndResult: 'pass', staffingCompliant: false, contractYear: 2 })).toMatchObject({ renew: false });
    expectViolation(() => decideRenewal({ yearEndResult: 'pass', contractYear: 4 }), /合约年度/);
  });

  it('starts a new cycle at contract year 1', async () => {
    expect(await serviceHandlers['p4-new-cycle'](context({ cycle: null }).ctx)).toEqual({ cycle: 1, contractYear: 1 });
    expect(await serviceHandlers['p4-new-cycle'](context({ cycle: 1 }).ctx)).toEqual({ cycle: 2, contractYear: 1 });
  });
});

describe('P2 election (《民政局加强城市社区建设实施意见》四(4) and practice)', () => {
  it('fixes the committee size only with the consent of more than half of the representatives', () => {
    expect(decideCommitteeSize({ committeeSize: 7, repsTotal: 40, repsConsenting: 20 }).sizeConsented).toBe(false);
    expect(decideCommitteeSize({ committeeSize: 7, repsTotal: 40, repsConsenting: 21 }).sizeConsented).toBe(true);
    expect(decideCommitteeSize({ committeeSize: 5, repsTotal: 41, repsConsenting: 21 }).sizeConsented).toBe(true);
    expectViolation(() => decideCommitteeSize({ committeeSize: 4, repsTotal: 40, repsConsenting: 40 }), /5 至 9 人.*四\(4\)/);
    expectViolation(() => decideCommitteeSize({ committeeSize: 10, repsTotal: 40, repsConsenting: 40 }), /5 至 9 人/);
    expectViolation(() => decideCommitteeSize({ committeeSize: 7, repsTotal: 40, repsConsenting: 41 }), /不能多于/);
  });

  const round = (overrides: Record<string, unknown>) =>
    tallyRound({
      committeeSize: 5,
      registeredVoters: 1000,
      ballotsCast: 600,
      validBallots: 600,
      invalidBallots: 0,
      candidateVotes: '',
      ...overrides,
    });

  it('is valid only when more than half of registered voters vote: exactly half is not more than half', () => {
    expect(round({ ballotsCast: 500, validBallots: 500, candidateVotes: '甲：400' })).toMatchObject({
      electionValid: false,
      electedThisRound: [],
      seatsRemaining: 5,
      electionComplete: false,
    });
    expect(round({ ballotsCast: 501, validBallots: 501, candidateVotes: '甲：400' })).toMatchObject({ electionValid: true, electedThisRound: ['甲'] });
  });

  it('elects with more than half of the ballots cast: exactly half is not elected', () => {
    const result = round({ candidateVotes: '甲：301\n乙：300\n丙: 500票' });
    expect(result.electedThisRound).toEqual(['丙', '甲']);
    expect(result.seatsRemaining).toBe(3);
    expect(result.tallyRows).toEqual([
      { name: '丙', votes: 500, elected: true },
      { name: '甲', votes: 301, elected: true },
      { name: '乙', votes: 300, elected: false },
    ]);
    // Cast ballots count, not valid ones: 301 of 600 cast elects even with invalid ballots.
    expect(round({ validBallots: 590, invalidBallots: 10, candidateVotes: '甲：301' }).electedThisRound).toEqual(['甲']);
  });

  it('fills at most the open seats, most votes first; a tie at the last seat elects none of the tied', () => {
    // Six candidates above half of 600 ballots for five seats (each ballot marks up to five names).
    const votes = '甲：520\n乙：510\n丙：500\n丁：490\n戊：480\n己：470';
    expect(round({ candidateVotes: votes }).electedThisRound).toEqual(['甲', '乙', '丙', '丁', '戊']);
    const tie = round({ candidateVotes: '甲：520\n乙：510\n丙：500\n丁：490\n戊：480\n己：480' });
    expect(tie.electedThisRound).toEqual(['甲', '乙', '丙', '丁']);
    expect(tie.tiedCandidates).toEqual(['戊', '己']);
    expect(tie.seatsRemaining).toBe(1);
  });

  it('carries elected members into the next round for the remaining seats', () => {
    const second = round({ electedMembers: ['甲', '乙', '丙'], electionRound: 1, candidateVotes: '丁：400\n戊：350' });
    expect(second).toMatchObject({
      electionRound: 2,
      seatsToFill: 2,
      electedMembers: ['甲', '乙', '丙', '丁', '戊'],
      seatsRemaining: 0,
      electionComplete: true,
    });
    expectViolation(() => round({ electedMembers: ['甲'], candidateVotes: '甲：400' }), /已在前一轮当选/);
    expectViolation(() => round({ electedMembers: ['甲', '乙', '丙', '丁', '戊'], candidateVotes: '己：400' }), /已全部选出/);
  });

  it('refuses tallies that do not add up', () => {
    expectViolation(() => round({ ballotsCast: 1001, validBallots: 1001 }), /多于登记选民数/);
    expectViolation(() => round({ validBallots: 590, invalidBallots: 5 }), /之和应等于收回选票数/);
    expectViolation(() => round({ validBallots: 500, invalidBallots: 0 }), /之和应等于收回选票数/);
    expectViolation(() => round({ candidateVotes: '甲：601' }), /多于有效票数/);
    expectViolation(() => round({ committeeSize: 5, candidateVotes: '甲：600\n乙：600\n丙：600\n丁：600\n戊：600\n己：1' }), /有效票数 × 应选人数/);
    expectViolation(() => round({ candidateVotes: '甲：10\n甲：20' }), /出现了两次/);
    expectViolation(() => round({ candidateVotes: '甲 十票' }), /格式不正确/);
  });
});

describe('P3 deliberation (四议两公开, practice thresholds)', () => {
  it('is quorate at two thirds present, bound included', () => {
    expect(decideResolution({ repsTotal: 30, repsPresent: 20, votesFor: 11 })).toMatchObject({ quorate: true, resolutionPassed: true, quorumNeeded: 20, votesNeeded: 11 });
    expect(decideResolution({ repsTotal: 30, repsPresent: 19, votesFor: 19 })).toMatchObject({ quorate: false, resolutionPassed: false, quorumNeeded: 20 });
    expect(decideResolution({ repsTotal: 10, repsPresent: 7, votesFor: 7 }).quorate).toBe(true);
    expect(decideResolution({ repsTotal: 10, repsPresent: 6, votesFor: 6 }).quorate).toBe(false);
  });

  it('passes with more than half of those present: exactly half fails', () => {
    expect(decideResolution({ repsTotal: 30, repsPresent: 20, votesFor: 10, votesAgainst: 10 })).toMatchObject({ quorate: true, resolutionPassed: false, votesNeeded: 11 });
    expect(decideResolution({ repsTotal: 30, repsPresent: 21, votesFor: 11, votesAgainst: 10 }).resolutionPassed).toBe(true);
    expect(decideResolution({ repsTotal: 30, repsPresent: 21, votesFor: 10, abstentions: 11 }).resolutionPassed).toBe(false);
  });

  it('takes the thresholds from process variables, exactly', () => {
    expect(parseRatio('2/3', '1/2', 'x')).toMatchObject({ numerator: 2, denominator: 3 });
    expect(parseRatio('0.75', '1/2', 'x')).toMatchObject({ numerator: 75, denominator: 100 });
    expect(parseRatio(null, '1/2', 'x')).toMatchObject({ numerator: 1, denominator: 2 });
    expect(decideResolution({ repsTotal: 40, repsPresent: 30, votesFor: 20, quorumRatio: '3/4', majorityRatio: '2/3' })).toMatchObject({
      quorate: true,
      resolutionPassed: false,
    });
    expect(decideResolution({ repsTotal: 40, repsPresent: 30, votesFor: 21, quorumRatio: '0.75', majorityRatio: '2/3' }).resolutionPassed).toBe(true);
    expectViolation(() => decideResolution({ repsTotal: 30, repsPresent: 20, votesFor: 11, quorumRatio: 'two thirds' }), /到会比例/);
    expectViolation(() => decideResolution({ repsTotal: 30, repsPresent: 20, votesFor: 11, majorityRatio: '3/2' }), /0 与 1 之间/);
  });

  it('refuses counts that do not add up', () => {
    expectViolation(() => decideResolution({ repsTotal: 30, repsPresent: 31, votesFor: 11 }), /不能多于应到人数/);
    expectViolation(() => decideResolution({ repsTotal: 30, repsPresent: 20, votesFor: 11, votesAgainst: 10 }), /票数不一致/);
  });
});

describe('P1 pilot (《社会治理活动方案》篇一)', () => {
  const campaign = setUpCampaign({
    communityList: '金星社区，盘龙区\n翠湖社区, 五华区\n\n',
    indicatorList: '党建引领：20\n居民自治：20\n社区服务：20\n平安法治：20\n特色创新：20',
    weightSelfCheck: 20,
    weightExpert: 50,
    weightResident: 30,
    passMark: 80,
    expertCount: 3,
  });

  it('sets up one track per community and the indicator sheet', () => {
    expect(campaign.communities).toEqual([
      { name: '金星社区', county: '盘龙区' },
      { name: '翠湖社区', county: '五华区' },
    ]);
    expect(campaign.indicatorMaxTotal).toBe(100);
    expect(campaign.scoreSheetTemplate).toBe('党建引领：\n居民自治：\n社区服务：\n平安法治：\n特色创新：');
    expect(campaign.indicatorText.split('\n')[0]).toBe('1. 党建引领（满分 20 分）');
    const base = { indicatorList: '甲：10', weightSelfCheck: 20, weightExpert: 50, weightResident: 30, passMark: 80, expertCount: 3 };
    expectViolation(() => setUpCampaign({ ...base, communityList: '甲社区，一区\n甲社区，二区' }), /重复申报/);
    expectViolation(() => setUpCampaign({ ...base, communityList: '甲社区，一区', expertCount: 2 }), /至少由 3 名专家/);
    expectViolation(() => setUpCampaign({ ...base, communityList: '甲社区，一区', weightResident: 29 }), /权重之和应为 100/);
    expectViolation(() => setUpCampaign({ ...base, communityList: '' }), /名单为空/);
  });

  it('caps each self-check score at the indicator maximum; blank counts 0', () => {
    const result = scoreSelfCheck(campaign.indicators, '党建引领：25\n居民自治：18\n社区服务：\n平安法治（满分 20）：20分\n特色创新: 19.5');
    expect(result.selfCheckTotal).toBe(77.5);
    expect(result.selfCheckMax).toBe(100);
    expect(result.selfCheckScore).toBe(77.5);
    expect(result.selfCheckCapped).toEqual(['党建引领']);
    expect(result.selfCheckMissing).toEqual(['社区服务']);
    expect(result.selfCheckDetail[0]).toEqual({ name: '党建引领', max: 20, claimed: 25, score: 20 });
    const scaled = scoreSelfCheck([{ name: '甲', max: 30 }, { name: '乙', max: 10 }], [{ name: '甲', score: 40 }, { name: '乙', score: 5 }]);
    expect(scaled).toMatchObject({ selfCheckTotal: 35, selfCheckMax: 40, selfCheckScore: 87.5 });
    expectViolation(() => scoreSelfCheck(campaign.indicators, '不存在的指标：10'), /不是本批考评体系的指标/);
    expectViolation(() => scoreSelfCheck(campaign.indicators, '党建引领：10\n党建引领：12'), /出现了两次/);
    expectViolation(() => scoreSelfCheck(campaign.indicators, '党建引领：-3'), /格式不正确/);
  });

  const reviews = (...scores: number[]) => scores.map((score, i) => ({ score, decision: 'approve', by: `expert${i}` }));
  const acceptance = (overrides: Record<string, unknown> = {}) =>
    scoreAcceptance({
      selfCheckScore: 77.5,
      expertReviews: reviews(80, 85, 90),
      expertCount: 3,
      surveyRespondents: 200,
      satisfiedRespondents: 180,
      weightSelfCheck: 20,
      weightExpert: 50,
      weightResident: 30,
      passMark: 80,
      ...overrides,
    });

  it('combines self-check, expert average and resident satisfaction by the campaign weights', () => {
    expect(acceptance()).toMatchObject({ expertAverage: 85, residentScore: 90, acceptanceScore: 85, accepted: true });
    expect(acceptance({ weightSelfCheck: 0, weightExpert: 100, weightResident: 0 }).acceptanceScore).toBe(85);
    expect(acceptance({ expertReviews: reviews(70, 71, 72) }).acceptanceScore).toBe(78);
  });

  it('accepts at the pass mark, bound included', () => {
    const exact = { selfCheckScore: 80, expertReviews: reviews(80, 80, 80), satisfiedRespondents: 160 };
    expect(acceptance(exact)).toMatchObject({ acceptanceScore: 80, accepted: true });
    expect(acceptance({ ...exact, passMark: 81 })).toMatchObject({ acceptanceScore: 80, accepted: false });
  });

  it('needs at least three independent experts', () => {
    expectViolation(() => acceptance({ expertReviews: reviews(90, 90) }), /至少 3 名专家/);
    expectViolation(() => acceptance({ expertCount: 5, expertReviews: reviews(90, 90, 90, 90) }), /至少 5 名专家/);
    expectViolation(
      () => acceptance({ expertReviews: [...reviews(90, 90), { score: 90, by: 'expert0' }] }),
      /独立评分一次/,
    );
    expectViolation(() => acceptance({ satisfiedRespondents: 201 }), /不能多于参与测评人数/);
    expectViolation(() => acceptance({ weightExpert: 40 }), /权重之和应为 100/);
  });

  it('names the accepted pilots, best first', () => {
    const result = namedList([
      { community: { name: '甲社区', county: '一区' }, accepted: true, acceptanceScore: 82 },
      { community: { name: '乙社区', county: '二区' }, accepted: false, acceptanceScore: 70 },
      { community: { name: '丙社区', county: '三区' }, accepted: true, acceptanceScore: 91.5 },
      { community: { name: '丁社区', county: '四区' }, decision: 'reject' },
    ]);
    expect(result.namedPilots).toEqual([
      { rank: 1, name: '丙社区', county: '三区', score: 91.5 },
      { rank: 2, name: '甲社区', county: '一区', score: 82 },
    ]);
    expect(result.namedCount).toBe(2);
    expect(result.notNamed).toEqual(['乙社区', '丁社区']);
    expect(namedList(null)).toMatchObject({ namedCount: 0, namedPilots: [] });
  });
});

describe('publish-notice and the working-day calendar', () => {
  it('counts working days from the day after publication, weekends skipped', () => {
    // Monday 1 September 2025 → Tue…Fri, Mon = 8 September.
    expect(addWorkingDays(new Date(cst('2025-09-01T10:00:00')), 5).toISOString()).toBe(cst('2025-09-08T23:59:59.999'));
    // Friday → Mon…Fri of the next week.
    expect(addWorkingDays(new Date(cst('2025-09-05T18:00:00')), 5).toISOString()).toBe(cst('2025-09-12T23:59:59.999'));
    // Saturday → Monday is the first working day.
    expect(addWorkingDays(new Date(cst('2025-09-06T09:00:00')), 1).toISOString()).toBe(cst('2025-09-08T23:59:59.999'));
    // China time decides the day: 23:30 UTC on Sunday is already Monday in China.
    expect(addWorkingDays(new Date('2025-09-07T23:30:00Z'), 1).toISOString()).toBe(cst('2025-09-09T23:59:59.999'));
    expect(addCalendarDays(new Date(cst('2025-09-01T10:00:00')), 7).toISOString()).toBe(cst('2025-09-08T23:59:59.999'));
    expect(addMonths(new Date(cst('2025-01-31T00:00:00')), 1).toISOString()).toBe(cst('2025-02-28T00:00:00'));
    expect(formatChineseDate(new Date('2025-09-30T16:00:00Z'))).toBe('2025年10月1日');
  });

  it('working days skip the statutory holidays and count the adjusted working weekends of the State Council notices', () => {
    // 2026 National Day: 1–7 October off, Sunday 20 September and Saturday 10 October worked.
    // Published Wednesday 30 September → 8, 9, 10 (Sat, worked), 12, 13 October.
    expect(addWorkingDays(new Date(cst('2026-09-30T10:00:00')), 5).toISOString()).toBe(cst('2026-10-13T23:59:59.999'));
    // Spring Festival 2026: 15–23 February off; Saturday 14 February worked.
    expect(addWorkingDays(new Date(cst('2026-02-13T10:00:00')), 1).toISOString()).toBe(cst('2026-02-14T23:59:59.999'));
    expect(addWorkingDays(new Date(cst('2026-02-14T10:00:00')), 1).toISOString()).toBe(cst('2026-02-24T23:59:59.999'));
    // 2025 Labour Day: 1–5 May off, Sunday 27 April worked.
    expect(isWorkingDay({ year: 2025, month: 4, day: 27 })).toBe(true);
    expect(isWorkingDay({ year: 2025, month: 5, day: 5 })).toBe(false);
    expect(isWorkingDay({ year: 2025, month: 5, day: 6 })).toBe(true);
    expect(holidayTableCovers(new Date(cst('2026-12-28T10:00:00')), new Date(cst('2027-01-05T10:00:00')))).toBe(false);
    expect(holidayTableCovers(new Date(cst('2025-12-28T10:00:00')), new Date(cst('2026-01-05T10:00:00')))).toBe(true);
  });

  it('an administrator\'s holiday file adds a year; a malformed one is refused naming the entry', () => {
    const extra = parseHolidayTable({ '2027': { source: '测试通知', holidays: ['2027-01-01'], workdays: [] } });
    try {
      useHolidayTable(mergeHolidayTables(OFFICIAL_HOLIDAYS, extra));
      expect(isWorkingDay({ year: 2027, month: 1, day: 1 })).toBe(false);
      expect(isWorkingDay({ year: 2026, month: 10, day: 1 })).toBe(false); // shipped years stay
    } finally {
      useHolidayTable(OFFICIAL_HOLIDAYS);
    }
    expect(isWorkingDay({ year: 2027, month: 1, day: 1 })).toBe(true); // a Friday, unknown year
    expect(() => parseHolidayTable({ '2027': { source: 'x', holidays: ['2026-12-31'] } })).toThrow('2027 年节假日安排中的“2026-12-31”不是该年的有效日期');
    expect(() => parseHolidayTable({ '2027': { source: 'x', holidays: ['2027-02-30'] } })).toThrow('不是该年的有效日期');
    expect(() => parseHolidayTable({ '2027': { holidays: [] } })).toThrow('缺少来源');
    expect(() => parseHolidayTable({ '2027': { source: 'x', holidays: ['2027-01-02'], workdays: ['2027-01-02'] } })).toThrow('同时列为放假日和上班日');
  });

  it('renders the template escaped and queues the notice with its period', async () => {
    const { ctx, notices } = context(
      { template: 'resolution', title: '关于“<加装电梯>”的决议公示', kind: 'resolution', workingDays: '5', endsAtVariable: 'publicityEndsAt' },
      {
        subject: '<script>alert(1)</script>',
        content: '第一行\n<b>第二行</b>',
        budget: 300000,
        repsMeetingDate: '2025-08-29',
        resolutionSummary: '决议通过',
      },
    );
    const out = await publishNotice(ctx);
    expect(out).toEqual({
      noticeHolidaysKnown: true,
      noticePublishedAt: cst('2025-09-01T10:00:00'),
      noticeEndsAt: cst('2025-09-08T23:59:59.999'),
      publicityEndsAt: cst('2025-09-08T23:59:59.999'),
    });
    expect(notices).toHaveLength(1);
    const [notice] = notices;
    expect(notice.kind).toBe('resolution');
    expect(notice.endAt.toISOString()).toBe(cst('2025-09-08T23:59:59.999'));
    expect(notice.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(notice.body).not.toContain('<script>');
    expect(notice.body).toContain('<p>&lt;b&gt;第二行&lt;/b&gt;</p>');
    expect(notice.body).toContain('关于“&lt;加装电梯&gt;”的决议公示');
    expect(notice.body).toContain('300,000 元');
    expect(notice.body).toContain('2025年8月29日');
    expect(notice.body).toContain('公示期：2025年9月1日至2025年9月8日（5 个工作日）');
    expect(notice.body).toContain('依据：《测试文件》一(1)');
  });

  it('needs exactly one period and a known template', async () => {
    await expect(async () => publishNotice(context({ template: 'resolution', title: 't', kind: 'k' }).ctx)).rejects.toThrow(/days/);
    await expect(async () => publishNotice(context({ template: 'resolution', title: 't', kind: 'k', days: 3, workingDays: 3 }).ctx)).rejects.toThrow(/只设置/);
    await expect(async () => publishNotice(context({ template: 'no-such', title: 't', kind: 'k', days: 3 }).ctx)).rejects.toThrow(/no-such/);
    await expect(async () => publishNotice(context({ template: '../x', title: 't', kind: 'k', days: 3 }).ctx)).rejects.toThrow(/名称无效/);
    await expect(async () => publishNotice(context({ template: 'resolution', title: 't', kind: 'k', days: 0 }).ctx)).rejects.toThrow(RuleViolation);
  });

  it('refuses templates with unescaped output', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'notice-templates-'));
    writeFileSync(path.join(dir, 'bad.hbs'), '<p>{{{body}}}</p>');
    expect(() => loadNoticeTemplates(dir)).toThrow(/不转义/);
    writeFileSync(path.join(dir, 'bad.hbs'), '<p>{{& body}}</p>');
    expect(() => loadNoticeTemplates(dir)).toThrow(/不转义/);
  });

  it('renders every shipped template without unescaped output', () => {
    const templates = loadNoticeTemplates(path.join(root, 'forms', 'notices'));
    expect([...templates.keys()].sort()).toEqual([
      'election-result',
      'implementation-result',
      'micro-project-result',
      'named-pilots',
      'renewal',
      'resolution',
      'secondee-appraisal-result',
      'voter-list',
    ]);
    const html = renderNotice('named-pilots', {
      campaignName: '<i>试点</i>',
      batch: 1,
      namedPilots: [{ rank: 1, name: '甲&乙社区', county: '一区', score: 90 }],
      notice: { title: 't', publishedOn: 'a', endsOn: 'b', period: '7 日' },
    });
    expect(html).toContain('&lt;i&gt;试点&lt;/i&gt;');
    expect(html).toContain('甲&amp;乙社区');
    const notice = { title: 't', publishedOn: 'a', endsOn: 'b', period: '5 个工作日' };
    const micro = renderNotice('micro-project-result', { communityName: '<b>幸福</b>', projectName: 'x', proposedBy: '甲&乙', implementationReport: '一\n<script>', approvedBudget: 8000, actualCost: 8500, notice });
    expect(micro).toContain('&lt;b&gt;幸福&lt;/b&gt;');
    expect(micro).toContain('甲&amp;乙');
    expect(micro).not.toContain('<script>');
    const appraisal = renderNotice('secondee-appraisal-result', { secondeeName: '<i>张</i>', scoreSummary: 'a&b', notice });
    expect(appraisal).toContain('&lt;i&gt;张&lt;/i&gt;');
    expect(appraisal).toContain('a&amp;b');
  });
});

describe('registry and process files', () => {
  const processDir = path.join(root, 'processes');
  const files = readdirSync(processDir).filter((f) => f.endsWith('.bpmn'));

  it('has the policy processes P1–P8', () => {
    expect(files.sort()).toEqual([
      'annual-awards.bpmn',
      'committee-election.bpmn',
      'four-deliberations.bpmn',
      'grid-event.bpmn',
      'mental-health-contract.bpmn',
      'micro-project.bpmn',
      'pilot-campaign.bpmn',
      'secondee-appraisal.bpmn',
    ]);
  });

  it('knows every topic and template the processes use', () => {
    const templates = new Set(readdirSync(path.join(root, 'forms', 'notices')).map((f) => f.replace(/\.hbs$/, '')));
    for (const file of files) {
      const xml = readFileSync(path.join(processDir, file), 'utf8');
      for (const [, topic] of xml.matchAll(/camunda:topic="([^"]+)"/g)) expect(knownTopics.has(topic)).toBe(true);
      for (const [, template] of xml.matchAll(/<camunda:inputParameter name="template">([^<]+)</g)) expect(templates.has(template)).toBe(true);
    }
    expect([...knownTopics].every((topic) => typeof serviceHandlers[topic] === 'function')).toBe(true);
  });

  it.each(files)('%s passes the deploy check without warnings', async (file) => {
    const xml = readFileSync(path.join(processDir, file), 'utf8');
    const result = await validateDeployment(xml, knownTopics);
    if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
    expect(result.warnings).toEqual([]);
    expect(result.model.key).toBe(file.replace(/\.bpmn$/, ''));
    for (const task of result.model.userTasks.values()) {
      expect(task.candidateGroups.length).toBeGreaterThan(0);
      expect(task.documentation).toMatch(/^(《|实践规则)/);
    }
  });
});

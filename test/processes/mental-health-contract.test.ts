import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { noticeText, ProcessDriver, type InstanceJson } from '../support/process-driver.js';

// P4 社区精神康复综合服务中心 (processes/mental-health-contract.bpmn) through the API as the demo users, with the
// manual clock for the mid-year and year-end timers. The clock starts on Monday 3 November 2025, 09:00 China time.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('proc_mental_health', '2025-11-03T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const startForm = {
  centreName: '天河区康园工疗站',
  district: 'tianhe',
  siteStreet: '石牌街',
  siteAddress: '石牌东路 1 号',
  siteReason: '辖区服务对象集中，危机处置需求急',
  venueIndependent: true,
  venueArea: 300,
};

const staffing = { staffCount: 8, relatedStaff: 6, socialWorkStaff: 4, qualifications: '社会工作师 4 人，心理咨询师 2 人' };

/** Start, site approved, tender awarded to two providers, provider selected (staffing at the bounds). */
async function untilDraft(businessKey: string): Promise<InstanceJson> {
  const inst = await d.start('district-dpf', 'mental-health-contract', startForm, businessKey);
  await d.complete('city-dpf', inst.id, 'siteApproval', { decision: 'approve' });
  await d.complete('city-dpf', inst.id, 'tender', {
    operatingPlanApproved: true,
    tenderOutcome: 'awarded',
    tenderNoticeNo: 'GZCG-2025-001',
    designatedProviders: '康馨社工服务中心\n启智社工服务社',
  });
  return d.complete('district-dpf', inst.id, 'selectProvider', { providerName: '康馨社工服务中心', ...staffing });
}

/** Drafts and signs a contract year starting `start` (YYYY-MM-DD) for `plannedClients`; returns after the three signatures. */
async function signYear(id: string, contractNo: string, start: string, plannedClients: number): Promise<InstanceJson> {
  await d.complete('district-dpf', id, 'draftContract', { contractNo, serviceYearStart: start, plannedClients });
  await d.complete('provider', id, 'providerSigns', { decision: 'approve' });
  await d.complete('district-dpf', id, 'districtSigns', { decision: 'approve' });
  return d.complete('city-dpf', id, 'citySigns', { decision: 'approve' });
}

/** Runs the timers and the inspections of a signed year; `year` is the calendar year the service year starts (1 January). */
async function serviceYear(id: string, year: number, yearEnd: { clientsServed: number; result: 'pass' | 'fail'; staff?: typeof staffing }) {
  await d.setClock(`${year}-07-01T09:00:00+08:00`);
  await d.complete('third-party', id, 'midYearInspection', {
    staffCount: 8, relatedStaff: 6, socialWorkStaff: 4, midYearClients: 150, midYearResult: 'qualified', midYearFindings: '服务规范',
  });
  await d.setClock(`${year}-12-02T09:00:00+08:00`);
  const staff = yearEnd.staff ?? staffing;
  await d.complete('third-party', id, 'yearEndEvaluation', {
    staffCount: staff.staffCount,
    relatedStaff: staff.relatedStaff,
    socialWorkStaff: staff.socialWorkStaff,
    clientsServed: yearEnd.clientsServed,
    monthsServed: 12,
    yearEndResult: yearEnd.result,
    evaluationReport: yearEnd.result === 'pass' ? '服务达标' : '服务未达标',
  });
  return d.complete('district-dpf', id, 'settle', { settlementConfirmed: true });
}

describe('P4 mental-health-contract', () => {
  it('three contract years: funding split for 天河 4:6, timers by the manual clock, settlement on actuals, renewal twice, re-procure after year three', async () => {
    const drafted = await untilDraft('P4-three-years');
    const id = drafted.id;
    expect(drafted.variables).toMatchObject({ cycle: 1, contractYear: 1, serviceCapacity: 200, monthlyRate: 400, inspectionWindowDays: 30 });

    const signed = await signYear(id, 'TH-2026-01', '2026-01-01', 150);
    expect(signed.variables).toMatchObject({
      districtName: '天河区',
      splitRatio: '4:6',
      fundedClients: 150,
      basicFunds: 480000,
      performanceFunds: 240000,
      fundingTotal: 720000,
      cityShare: 288000,
      districtShare: 432000,
      inspectionFunds: 14400,
      facilityFunds: 250000,
      // dates of the service year (China time)
      midYearInspectionAt: '2026-06-30T16:00:00.000Z',
      midYearInspectionDueAt: '2026-07-31T15:59:59.999Z',
      yearEndInspectionAt: '2026-12-01T16:00:00.000Z',
      serviceYearEndsAt: '2026-12-31T15:59:59.999Z',
      nextServiceYearStart: '2027-01-01',
      settlementDueAt: '2027-01-30T15:59:59.999Z',
    });
    expect(signed.activeElements).toEqual(['midYear']);
    expect(signed.timers).toEqual([expect.objectContaining({ elementId: 'midYear', dueAt: '2026-06-30T16:00:00.000Z' })]);
    const signoffs = await d.signoffs(id);
    expect(signoffs.map((s) => [s.elementId, s.by])).toEqual([
      ['siteApproval', 'city-dpf'],
      ['providerSigns', 'provider'],
      ['districtSigns', 'district-dpf'],
      ['citySigns', 'city-dpf'],
    ]);

    // the mid-year timer does not fire a minute early
    await d.setClock('2026-06-30T23:59:00+08:00');
    expect((await d.instance(id)).openTasks).toEqual([]);
    const fired = await d.advance('PT1M');
    expect(fired.fired).toBe(1);
    const mid = await d.instance(id);
    expect(mid.openTasks.map((t) => [t.elementId, t.dueAt])).toEqual([['midYearInspection', '2026-07-31T15:59:59.999Z']]);
    const afterMid = await d.complete('third-party', id, 'midYearInspection', {
      staffCount: 8, relatedStaff: 6, socialWorkStaff: 4, midYearClients: 160, midYearResult: 'qualified', midYearFindings: '服务规范',
    });
    expect(afterMid.variables).toMatchObject({ staffingCompliant: true, staffingIssues: '人员配备符合要求' });
    expect(afterMid.activeElements).toEqual(['yearEnd']);

    await d.setClock('2026-12-01T23:59:00+08:00');
    expect((await d.instance(id)).openTasks).toEqual([]);
    await d.advance('PT1M');
    const yearEnd = await d.instance(id);
    expect(yearEnd.openTasks.map((t) => [t.elementId, t.dueAt])).toEqual([['yearEndEvaluation', '2026-12-31T15:59:59.999Z']]);
    const settling = await d.complete('third-party', id, 'yearEndEvaluation', {
      staffCount: 8, relatedStaff: 6, socialWorkStaff: 4, clientsServed: 180, monthsServed: 12, yearEndResult: 'pass', evaluationReport: '服务达标',
    });
    // performance funds on actuals: (180 − 100) × 12 × 400; basic unchanged
    expect(settling.variables).toMatchObject({
      settledBasicFunds: 480000,
      settledPerformanceFunds: 384000,
      settledTotal: 864000,
      settledCityShare: 345600,
      settledDistrictShare: 518400,
      settledInspectionFunds: 17280,
      performanceAdjustment: 144000,
    });
    expect(settling.openTasks.map((t) => [t.elementId, t.dueAt])).toEqual([['settle', '2027-01-30T15:59:59.999Z']]);

    const renewed = await d.complete('district-dpf', id, 'settle', { settlementConfirmed: true });
    expect(renewed.variables).toMatchObject({
      renew: true,
      renewalDecision: '续签',
      renewalReason: '年终评估合格，续签第 2 年合约',
      contractYear: 2,
      serviceYearStart: '2027-01-01',
    });
    expect(renewed.openTasks.map((t) => t.elementId)).toEqual(['draftContract']);
    const [notice] = await d.notices('P4-three-years');
    expect(notice!.title).toBe('天河区康园工疗站年终评估及续签决定公示');
    const text = noticeText(notice!.html);
    expect(text).toContain('天河区康园工疗站第 1 个合约年度的年终评估已经完成');
    expect(text).toContain('年终评估结论 合格');
    expect(text).toContain('续签决定 续签：年终评估合格，续签第 2 年合约');
    expect(text).toContain('864,000 元（基本运营 480,000 元，绩效运营 384,000 元；市区分担 4:6）');
    expect(text).toContain('公示期：2026年12月2日至2026年12月9日（7 日）');

    // year 2: no facility funds any more
    const year2 = await signYear(id, 'TH-2027-01', '2027-01-01', 150);
    expect(year2.variables).toMatchObject({ contractYear: 2, facilityFunds: 0, fundingTotal: 720000, midYearInspectionAt: '2027-06-30T16:00:00.000Z' });
    const after2 = await serviceYear(id, 2027, { clientsServed: 150, result: 'pass' });
    expect(after2.variables).toMatchObject({ renew: true, contractYear: 3, serviceYearStart: '2028-01-01', performanceAdjustment: 0 });

    // year 3: passed, but the three-year cycle is over → procure again
    await signYear(id, 'TH-2028-01', '2028-01-01', 150);
    const after3 = await serviceYear(id, 2028, { clientsServed: 150, result: 'pass' });
    expect(after3.variables).toMatchObject({
      renew: false,
      renewalDecision: '重新采购',
      renewalReason: '3 年合约周期期满，按照政府采购工作程序重新确定运营机构',
    });
    expect(after3.openTasks.map((t) => t.elementId)).toEqual(['tender']);

    // a new cycle starts with year 1 again and no second facility grant
    await d.complete('city-dpf', id, 'tender', { operatingPlanApproved: true, tenderOutcome: 'awarded', designatedProviders: '启智社工服务社' });
    const cycle2 = await d.complete('district-dpf', id, 'selectProvider', { providerName: '启智社工服务社', ...staffing });
    expect(cycle2.variables).toMatchObject({ cycle: 2, contractYear: 1 });
    const signed2 = await signYear(id, 'TH-2029-01', '2029-01-01', 150);
    expect(signed2.variables.facilityFunds).toBe(0);
  });

  it('year-end fail → re-procure; the re-tender may terminate the centre', async () => {
    const drafted = await untilDraft('P4-fail');
    const id = drafted.id;
    // 120 planned clients: planned performance funds (120 − 100) × 12 × 400 = 96,000; 90 served → 0
    await signYear(id, 'TH-2026-02', '2026-01-01', 120);
    const settled = await serviceYear(id, 2026, { clientsServed: 90, result: 'fail' });
    expect(settled.variables).toMatchObject({
      settledPerformanceFunds: 0,
      performanceAdjustment: -96000,
      renew: false,
      renewalDecision: '重新采购',
      renewalReason: '年终评估不合格，不予续签，按照政府采购工作程序重新确定运营机构',
    });
    expect(settled.openTasks.map((t) => t.elementId)).toEqual(['tender']);
    const notices = await d.notices('P4-fail');
    expect(noticeText(notices.at(-1)!.html)).toContain('年终评估结论 不合格');

    const refused = await d.refused('city-dpf', id, 'tender', { operatingPlanApproved: true, tenderOutcome: 'terminated' });
    expect(refused.tenderNote).toBe('终止采购时必须说明理由（《社区建设方案》篇1 二(四)）');
    const ended = await d.complete('city-dpf', id, 'tender', { operatingPlanApproved: true, tenderOutcome: 'terminated', tenderNote: '该区服务对象已转介至新中心' });
    expect(ended.status).toBe('completed');
  });

  it('funding split per district: 南沙 0:10, 从化 8:2', async () => {
    for (const [district, key, split, city] of [
      ['nansha', 'P4-nansha', '0:10', 0],
      ['conghua', 'P4-conghua', '8:2', 576000],
    ] as const) {
      const inst = await d.start('district-dpf', 'mental-health-contract', { ...startForm, district }, key);
      await d.complete('city-dpf', inst.id, 'siteApproval', { decision: 'approve' });
      await d.complete('city-dpf', inst.id, 'tender', { operatingPlanApproved: true, tenderOutcome: 'awarded', designatedProviders: '康馨社工服务中心' });
      await d.complete('district-dpf', inst.id, 'selectProvider', { providerName: '康馨社工服务中心', ...staffing });
      await d.complete('district-dpf', inst.id, 'draftContract', { contractNo: `${key}-1`, serviceYearStart: '2029-01-01', plannedClients: 150 });
      const v = (await d.instance(inst.id)).variables;
      expect([v.splitRatio, v.fundingTotal, v.cityShare, v.districtShare]).toEqual([split, 720000, city, 720000 - city]);
    }
  });

  it('staffing rules of 二(二) are refused at the field, bounds included', async () => {
    const inst = await d.start('district-dpf', 'mental-health-contract', startForm, 'P4-staffing');
    await d.complete('city-dpf', inst.id, 'siteApproval', { decision: 'approve' });
    await d.complete('city-dpf', inst.id, 'tender', { operatingPlanApproved: true, tenderOutcome: 'awarded', designatedProviders: '康馨社工服务中心' });
    const id = inst.id;
    const q = { qualifications: '持证' };
    expect((await d.refused('district-dpf', id, 'selectProvider', { providerName: '康馨社工服务中心', staffCount: 7, relatedStaff: 7, socialWorkStaff: 7, ...q })).staffCount).toBeDefined();
    expect((await d.refused('district-dpf', id, 'selectProvider', { providerName: '康馨社工服务中心', staffCount: 9, relatedStaff: 5, socialWorkStaff: 5, ...q })).relatedStaff)
      .toBe('社会服务领域相关专业人员应占工作人员总数的 2/3 以上（《社区建设方案》篇1 二(二)）');
    expect((await d.refused('district-dpf', id, 'selectProvider', { providerName: '康馨社工服务中心', staffCount: 8, relatedStaff: 6, socialWorkStaff: 3, ...q })).socialWorkStaff)
      .toBe('社会工作专业人员应占工作人员总数的 1/2 以上（《社区建设方案》篇1 二(二)）');
    const notAWinner = '“选定的服务机构”只能从列出的选项中选择（《社区建设方案》篇1 三(三)：在市残联招标确定的定点服务机构中选定）';
    expect((await d.refused('district-dpf', id, 'selectProvider', { providerName: '别家机构', ...staffing })).providerName).toBe(notAWinner);
    // A fragment of a winner's name, or a name with a winner's inside it, is not a winner.
    expect((await d.refused('district-dpf', id, 'selectProvider', { providerName: '康馨', ...staffing })).providerName).toBe(notAWinner);
    expect((await d.refused('district-dpf', id, 'selectProvider', { providerName: '康馨社工服务中心分部', ...staffing })).providerName).toBe(notAWinner);
    // 8 staff, 6 related (18 ≥ 16), 4 social work (8 ≥ 8): at the bounds, accepted
    await d.complete('district-dpf', id, 'selectProvider', { providerName: '康馨社工服务中心', ...staffing });
    await signYear(id, 'ST-2030-01', '2030-01-01', 150);
    await d.setClock('2030-07-01T09:00:00+08:00');
    // staff left at mid-year: recorded, and the staffing check reports it
    const mid = await d.complete('third-party', id, 'midYearInspection', {
      staffCount: 7, relatedStaff: 4, socialWorkStaff: 3, midYearClients: 150, midYearResult: 'rectify', midYearFindings: '人员流失，限期补充',
    });
    expect(mid.variables.staffingCompliant).toBe(false);
    expect(mid.variables.staffingIssues).toBe(
      '工作人员 7 人，少于 8 人；社会服务领域相关专业人员 4 人，不足总数的 2/3；社会工作专业人员 3 人，不足总数的 1/2（《社区建设方案》篇1（社区精神康复综合服务中心建设工作方案）二(二)）',
    );
    await d.setClock('2030-12-02T09:00:00+08:00');
    const fields = await d.refused('third-party', id, 'yearEndEvaluation', {
      staffCount: 7, relatedStaff: 4, socialWorkStaff: 3, clientsServed: 150, monthsServed: 12, yearEndResult: 'pass', evaluationReport: '—',
    });
    expect(fields.yearEndResult).toBe('人员配备未达到要求（不少于 8 人，2/3 以上相关专业，1/2 以上社会工作专业），不能评为合格（《社区建设方案》篇1 二(二)）');
  });

  it('site approval: returned for revision, then rejected ends the project', async () => {
    const inst = await d.start('district-dpf', 'mental-health-contract', startForm, 'P4-site');
    const returned = await d.complete('city-dpf', inst.id, 'siteApproval', { decision: 'return', opinion: '场地面积不足' });
    expect(returned.openTasks.map((t) => t.elementId)).toEqual(['reviseSite']);
    await d.complete('district-dpf', inst.id, 'reviseSite', { siteStreet: '石牌街', siteAddress: '石牌东路 3 号', siteReason: startForm.siteReason, venueArea: 450, serviceCapacity: 200 });
    const ended = await d.complete('city-dpf', inst.id, 'siteApproval', { decision: 'reject', opinion: '该街已有中心' });
    expect(ended.status).toBe('completed');
    expect((await d.signoffs(inst.id)).map((s) => s.decision)).toEqual(['return', 'reject']);
  });
});

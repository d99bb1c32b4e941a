import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { noticeText, ProcessDriver } from '../support/process-driver.js';

// P3 四议两公开 (processes/four-deliberations.bpmn) driven through the API as the demo users.
// The clock starts on Monday 2 March 2026, 09:00 China time.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('proc_four_deliberations', '2026-03-02T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const proposal = {
  communityName: '幸福社区',
  subject: '幸福小区加装电梯',
  content: '为幸福小区3栋加装电梯一部\n使用公共维修资金',
  budget: 120000,
  reasons: '3栋老年住户多，上下楼困难',
};

async function throughPartyMeeting(businessKey: string) {
  const inst = await d.start('party-committee', 'four-deliberations', proposal, businessKey);
  await d.complete('residents-committee', inst.id, 'jointMeeting', {
    jointMeetingDate: '2026-03-02',
    jointAttendees: '党委书记、居委会主任等 7 人',
    decision: 'approve',
    opinion: '同意提交党员大会',
  });
  await d.complete('party-committee', inst.id, 'partyMeeting', {
    partyMeetingDate: '2026-03-02',
    partyMembersTotal: 30,
    partyMembersPresent: 25,
    partyVotesFor: 20,
    decision: 'approve',
    opinion: '同意',
  });
  return inst;
}

const reps = (present: number, votesFor: number, votesAgainst: number, abstentions: number) => ({
  repsMeetingDate: '2026-03-02',
  repsTotal: 30,
  repsPresent: present,
  votesFor,
  votesAgainst,
  abstentions,
  repsMinutes: '会议记录',
});

describe('P3 four-deliberations', () => {
  it('normal path: resolution passed with exactly 2/3 present, published, 5 working days, implemented, result published', async () => {
    const inst = await throughPartyMeeting('P3-normal');
    // defaults of the start form are the documented practice
    const started = await d.instance(inst.id);
    expect(started.variables).toMatchObject({ quorumRatio: '2/3', majorityRatio: '1/2', publicityWorkingDays: 5, resultPublicityWorkingDays: 5 });

    // 20 of 30 present = exactly 2/3 (bound included); 11 for > 20 / 2
    const after = await d.complete('residents-committee', inst.id, 'repsMeeting', reps(20, 11, 6, 3));
    expect(after.variables).toMatchObject({
      quorate: true,
      resolutionPassed: true,
      quorumNeeded: 20,
      votesNeeded: 11,
      resolutionSummary: '应到 30 人，实到 20 人；赞成 11 票，反对 6 票，弃权 3 票。决议通过。',
    });
    // published Monday 2 March → Tue 3 … Mon 9 March = 5 working days, end of the day in China time
    expect(after.variables.publicityEndsAt).toBe('2026-03-09T15:59:59.999Z');
    expect(after.activeElements).toEqual(['publicityEnds']);
    expect(after.openTasks).toEqual([]);

    const [resolution] = await d.notices('P3-normal');
    expect(resolution).toBeDefined();
    expect(resolution!.title).toBe('关于“幸福小区加装电梯”的居民代表会议决议公示');
    expect(resolution!.kind).toBe('resolution');
    expect(new Date(resolution!.endAt).toISOString()).toBe('2026-03-09T15:59:59.999Z');
    const text = noticeText(resolution!.html);
    expect(text).toContain('居民代表会议于2026年3月2日对下列事项作出决议');
    expect(text).toContain('120,000 元');
    expect(text).toContain('应到 30 人，实到 20 人；赞成 11 票，反对 6 票，弃权 3 票。决议通过。');
    expect(text).toContain('公示期：2026年3月2日至2026年3月9日（5 个工作日）');

    // no implementation before the publicity ends (Mon 9 March 23:59:59 China time)
    await d.setClock('2026-03-09T23:59:00+08:00');
    expect((await d.instance(inst.id)).openTasks).toEqual([]);
    const fired = await d.advance('PT1M');
    expect(fired.fired).toBe(1);
    const implementing = await d.instance(inst.id);
    expect(implementing.openTasks.map((t) => t.elementId)).toEqual(['implement']);

    // the work is done by the end of April and recorded that day
    await d.setClock('2026-04-30T17:00:00+08:00');
    // overspending without a reason is refused at the field with the clause
    const fields = await d.refused('residents-committee', inst.id, 'implement', {
      implementationSummary: '电梯已安装并通过验收',
      actualSpending: 130000,
      completedOn: '2026-04-30',
    });
    expect(fields.overspendReason).toBe('实际支出超过预算，必须说明原因（《社会治理活动方案》篇四 第25项：居务监督重大事项资金使用）');

    const done = await d.complete('residents-committee', inst.id, 'implement', {
      implementationSummary: '电梯已安装并通过验收',
      actualSpending: 130000,
      overspendReason: '井道加固增加费用',
      completedOn: '2026-04-30',
    });
    expect(done.status).toBe('completed');
    expect(done.variables.resultPublicityEndsAt).toBe('2026-05-11T15:59:59.999Z'); // published Thu 30 April → Mon 11 May (1–5 May holiday, Sat 9 May worked)
    const notices = await d.notices('P3-normal');
    expect(notices.map((n) => n.kind)).toEqual(['resolution', 'implementation-result']);
    const result = noticeText(notices[1]!.html);
    expect(notices[1]!.title).toBe('关于“幸福小区加装电梯”实施结果的公示');
    expect(result).toContain('居民代表会议决议事项“幸福小区加装电梯”已实施完毕');
    expect(result).toContain('2026年4月30日');
    expect(result).toContain('预算金额 120,000 元');
    expect(result).toContain('实际支出 130,000 元');
    expect(result).toContain('超支说明 井道加固增加费用');
    expect(result).toContain('公示期：2026年4月30日至2026年5月11日（5 个工作日）');
  });

  it('the joint meeting rejects: the matter ends and the reasons are kept in the sign-off', async () => {
    const inst = await d.start('party-committee', 'four-deliberations', proposal, 'P3-rejected');
    // a rejection without reasons is refused
    const fields = await d.refused('party-committee', inst.id, 'jointMeeting', {
      jointMeetingDate: '2026-03-02',
      jointAttendees: '两委成员 7 人',
      decision: 'reject',
    });
    expect(fields.opinion).toMatch(/意见|理由/);
    const ended = await d.complete('party-committee', inst.id, 'jointMeeting', {
      jointMeetingDate: '2026-03-02',
      jointAttendees: '两委成员 7 人',
      decision: 'reject',
      opinion: '资金来源未落实，不同意提交',
    });
    expect(ended.status).toBe('completed');
    expect(ended.activeElements).toEqual([]);
    const signoffs = await d.signoffs(inst.id);
    expect(signoffs).toEqual([
      expect.objectContaining({ elementId: 'jointMeeting', decision: 'reject', opinion: '资金来源未落实，不同意提交', by: 'party-committee' }),
    ]);
    expect(await d.notices('P3-rejected')).toEqual([]);
  });

  it('the party meeting returns the proposal: revised, then deliberated again from the joint meeting', async () => {
    const inst = await d.start('party-committee', 'four-deliberations', proposal, 'P3-returned');
    await d.complete('residents-committee', inst.id, 'jointMeeting', {
      jointMeetingDate: '2026-03-02', jointAttendees: '两委成员', decision: 'approve',
    });
    const returned = await d.complete('party-committee', inst.id, 'partyMeeting', {
      partyMeetingDate: '2026-03-02', partyMembersTotal: 30, partyMembersPresent: 22, partyVotesFor: 9, partyVotesAgainst: 13, decision: 'return', opinion: '预算偏高，请重新询价',
    });
    expect(returned.openTasks.map((t) => t.elementId)).toEqual(['reviseProposal']);
    const revised = await d.complete('party-committee', inst.id, 'reviseProposal', {
      subject: proposal.subject, content: proposal.content, budget: 98000, reasons: proposal.reasons, revisionNote: '重新询价，预算下调',
    });
    expect(revised.variables.budget).toBe(98000);
    expect(revised.variables.lastOpinion).toBe('预算偏高，请重新询价');
    expect(revised.openTasks.map((t) => t.elementId)).toEqual(['jointMeeting']);
    const signoffs = await d.signoffs(inst.id);
    expect(signoffs.map((s) => [s.elementId, s.decision])).toEqual([
      ['jointMeeting', 'approve'],
      ['partyMeeting', 'return'],
    ]);
    expect(signoffs[1]!.opinion).toBe('预算偏高，请重新询价');
  });

  it('not quorate (19 of 30 < 2/3) → reconvene; then exactly half for → failed; ended with reasons', async () => {
    const inst = await throughPartyMeeting('P3-failed');
    const inquorate = await d.complete('residents-committee', inst.id, 'repsMeeting', reps(19, 19, 0, 0));
    expect(inquorate.variables).toMatchObject({
      quorate: false,
      resolutionPassed: false,
      quorumNeeded: 20,
      resolutionSummary: '应到 30 人，实到 19 人；赞成 19 票，反对 0 票，弃权 0 票。到会人数不足 2/3（至少需 20 人），会议不能表决。',
    });
    expect(inquorate.openTasks.map((t) => t.elementId)).toEqual(['repsMeeting']);
    // The meeting to be held again says why, with the numbers, on its page.
    const again = await d.task('residents-committee', inst.id, 'repsMeeting');
    const page = await d.get('residents-committee', `/tasks/${encodeURIComponent(again.id)}`);
    expect(page.text).toContain('上次会议（到会不足，须重新召开）');
    expect(page.text).toContain('应到 30 人，实到 19 人；赞成 19 票，反对 0 票，弃权 0 票。到会人数不足 2/3（至少需 20 人），会议不能表决。');

    // 24 present, 12 for = exactly half: not more than half
    const failed = await d.complete('residents-committee', inst.id, 'repsMeeting', reps(24, 12, 10, 2));
    expect(failed.variables).toMatchObject({
      quorate: true,
      resolutionPassed: false,
      votesNeeded: 13,
      resolutionSummary: '应到 30 人，实到 24 人；赞成 12 票，反对 10 票，弃权 2 票。赞成票未超过到会人数的 1/2（至少需 13 票），决议未通过。',
    });
    expect(failed.openTasks.map((t) => t.elementId)).toEqual(['failedResolution']);
    const ended = await d.complete('party-committee', inst.id, 'failedResolution', {
      nextAction: 'end',
      failureReasons: '多数代表认为费用分摊方案不合理',
    });
    expect(ended.status).toBe('completed');
    expect(ended.variables.failureReasons).toBe('多数代表认为费用分摊方案不合理');
    expect(await d.notices('P3-failed')).toEqual([]);
  });

  it('the party meeting records attendance and votes: more than half present and more than half of those present for (practice)', async () => {
    const inst = await d.start('party-committee', 'four-deliberations', proposal, 'P3-party-quorum');
    await d.complete('residents-committee', inst.id, 'jointMeeting', { jointMeetingDate: '2026-03-02', jointAttendees: '7 人', decision: 'approve', opinion: '同意' });
    const meeting = (present: number, votesFor: number, decision: string, votesAgainst = 0) => ({
      partyMeetingDate: '2026-03-02', partyMembersTotal: 30, partyMembersPresent: present, partyVotesFor: votesFor, partyVotesAgainst: votesAgainst, decision, opinion: '意见',
    });
    const practice = '实践规则（“四议两公开”工作法第三议：党员大会过半数党员到会方为有效，过半数同意方为通过）';
    // exactly half present is no quorum, whatever the decision
    expect((await d.refused('party-committee', inst.id, 'partyMeeting', meeting(15, 15, 'approve'))).partyMembersPresent).toBe(
      `到会党员须超过应到人数的规定比例（发起时设定的“党员大会到会比例”，默认过半数）会议方为有效；到会不足的，请重新召开党员大会后登记（${practice}）`,
    );
    expect((await d.refused('party-committee', inst.id, 'partyMeeting', meeting(15, 0, 'reject', 15))).partyMembersPresent).toBeDefined();
    // 16 present: exactly half of them for is not a pass, so “通过” is refused; more votes than present too
    const notPassed = `审议结论须与表决结果一致：赞成票超过到会党员的规定比例（发起时设定的“党员大会通过比例”，默认过半数）为“通过”，否则为“不通过”或“退回修改”（${practice}）`;
    expect((await d.refused('party-committee', inst.id, 'partyMeeting', meeting(16, 8, 'approve', 8))).decision).toBe(notPassed);
    expect((await d.refused('party-committee', inst.id, 'partyMeeting', meeting(16, 9, 'reject', 7))).decision).toBe(notPassed);
    expect((await d.refused('party-committee', inst.id, 'partyMeeting', meeting(16, 12, 'approve', 8))).partyVotesFor).toBe('赞成、反对、弃权票合计不能多于实到党员人数（实践规则：表决票数与到会人数相符）');
    // 16 present, 9 for: passed, and on to the representatives
    const passed = await d.complete('party-committee', inst.id, 'partyMeeting', meeting(16, 9, 'approve', 7));
    expect(passed.openTasks.map((t) => t.elementId)).toEqual(['repsMeeting']);
    expect(passed.variables).toMatchObject({ partyQuorumRatio: '1/2', partyMajorityRatio: '1/2', partyVotesFor: 9 });
  });

  it('the party meeting sees the whole case: the proposal and the joint meeting, labelled, in order (API and page)', async () => {
    const inst = await d.start('party-committee', 'four-deliberations', proposal, 'P3-case');
    await d.complete('residents-committee', inst.id, 'jointMeeting', { jointMeetingDate: '2026-03-02', jointAttendees: '7 人', decision: 'approve', opinion: '同意提交党员大会' });
    const task = await d.task('party-committee', inst.id, 'partyMeeting');
    const res = await d.get('party-committee', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(res.status).toBe(200);
    const steps = res.body.case as { step: string; by: string; fields: { label: string; display: string }[] }[];
    expect(steps.map((s) => s.step)).toEqual(['发起', '“两委”联席会议商议']);
    const shown = (i: number) => Object.fromEntries(steps[i]!.fields.map((f) => [f.label, f.display]));
    expect(shown(0)).toMatchObject({ 事项名称: '幸福小区加装电梯', 事项内容: '为幸福小区3栋加装电梯一部\n使用公共维修资金', 提议理由: '3栋老年住户多，上下楼困难' });
    expect(shown(0)['预算金额（元）']).toBe('120,000');
    expect(shown(1)).toMatchObject({ 商议结论: '通过', 商议意见: '同意提交党员大会', 参会人员: '7 人' });
    expect(steps[1]!.by).toBe('residents-committee');
  });

  it('form errors name the rule and its clause', async () => {
    const inst = await throughPartyMeeting('P3-form');
    const tooMany = await d.refused('residents-committee', inst.id, 'repsMeeting', reps(20, 15, 5, 1));
    expect(tooMany.votesFor).toBe('赞成、反对、弃权票合计不能多于实到人数（实践规则：表决票数与到会人数相符）');
    const present = await d.refused('residents-committee', inst.id, 'repsMeeting', reps(31, 10, 0, 0));
    expect(present.repsPresent).toBe('实到人数不能多于居民代表总数（实践规则：居民代表会议到会人数）');

    const start = await d.startRefused('party-committee', 'four-deliberations', { ...proposal, quorumRatio: '三分之二', publicityWorkingDays: 3 });
    const ratioMessage = '“居民代表会议到会比例”应写成不大于 1 的分数（如 2/3）或小数（如 0.5）（实践规则（居民代表会议须有三分之二以上代表到会））';
    expect(start.fields?.quorumRatio).toBe(ratioMessage);
    expect(start.fields?.publicityWorkingDays).toMatch(/5/);
    // Every ratio of every start form is checked the same way: 3/2 is refused at the form, not three meetings later.
    expect((await d.startRefused('party-committee', 'four-deliberations', { ...proposal, quorumRatio: '3/2' })).fields?.quorumRatio).toBe(ratioMessage);
    expect((await d.startRefused('party-committee', 'four-deliberations', { ...proposal, majorityRatio: '1.5' })).fields?.majorityRatio).toContain('应写成不大于 1 的分数');
    expect((await d.startRefused('party-committee', 'four-deliberations', { ...proposal, partyQuorumRatio: '3/2' })).fields?.partyQuorumRatio).toContain('应写成不大于 1 的分数');
  });

  it('only the party committee may start it (camunda:candidateStarterGroups)', async () => {
    const err = await d.startRefused('residents-committee', 'four-deliberations', proposal, 403);
    expect(err.code).toBe('forbidden');
  });

  // The stored notice keeps the period as the policy states it (5 working days), not the calendar span.
  it('GET /api/notices keeps the publicity period in working days', async () => {
    const inst = await throughPartyMeeting('P3-period');
    await d.complete('residents-committee', inst.id, 'repsMeeting', reps(30, 30, 0, 0));
    const [resolution] = await d.notices('P3-period');
    expect(resolution).toMatchObject({ days: 5, workingDays: true });
  });
});

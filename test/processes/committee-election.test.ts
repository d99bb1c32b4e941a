import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { noticeText, ProcessDriver, type InstanceJson } from '../support/process-driver.js';

// P2 社区居民委员会换届选举 (processes/committee-election.bpmn) through the API as the demo users.
// The clock starts on Monday 2 March 2026, 09:00 China time.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('proc_committee_election', '2026-03-02T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const startForm = {
  communityName: '幸福',
  households: 1200,
  committeeSize: 5,
  sizeReason: '社区 1200 户，工作任务适中，宜设 5 人',
};

const ballot = (cast: number, valid: number, invalid: number, votes: string) => ({
  voteDate: '2026-03-28',
  secretBallot: true,
  ballotsCast: cast,
  validBallots: valid,
  invalidBallots: invalid,
  candidateVotes: votes,
});

/** Start, size consented (21 of 40), voters registered (1000, vote on 28 March), six candidates. */
async function untilVoterList(businessKey: string): Promise<InstanceJson> {
  const inst = await d.start('street-office', 'committee-election', startForm, businessKey);
  await d.complete('resident-reps', inst.id, 'sizeConsent', { repsMeetingDate: '2026-03-02', repsTotal: 40, repsConsenting: 21 });
  await d.complete('residents-committee', inst.id, 'registerVoters', {
    electorateType: 'all-voters',
    registeredVoters: 1000,
    electionDate: '2026-03-28',
    voterListNote: '在社区公告栏公布',
  });
  return d.complete('residents-committee', inst.id, 'nominateCandidates', {
    candidateList: '张伟\n李娜\n王芳\n刘洋\n陈静\n赵磊',
    candidateGuidance: true,
  });
}

describe('P2 committee-election', () => {
  it('the start form refuses a committee size outside 5–9 (四(4))', async () => {
    const err = await d.startRefused('street-office', 'committee-election', { ...startForm, committeeSize: 10 });
    expect(err.code).toBe('validation_failed');
    expect(err.fields?.committeeSize).toBeDefined();
    expect(err.fields?.committeeSize).toMatch(/9/);
    const small = await d.startRefused('street-office', 'committee-election', { ...startForm, committeeSize: 4 });
    expect(small.fields?.committeeSize).toMatch(/5/);
  });

  it('the consent of a majority of the representatives is the law, not a setting (四(4))', async () => {
    const err = await d.startRefused('street-office', 'committee-election', { ...startForm, consentRatio: '1/10' });
    expect(err.fields?.consentRatio).toBe('“职数同意比例（居民代表）”由规定确定为“过半数”，不能更改（《民政局加强城市社区建设实施意见》四(4)：征得大多数社区居民代表同意）');
    // 6 of 50 representatives are no majority, whatever anyone would like the ratio to be.
    const inst = await d.start('street-office', 'committee-election', startForm, 'P2-majority');
    const six = await d.complete('resident-reps', inst.id, 'sizeConsent', { repsMeetingDate: '2026-03-02', repsTotal: 50, repsConsenting: 6 });
    expect(six.variables.sizeConsented).toBe(false);
    expect(six.openTasks.map((t) => t.elementId)).toEqual(['reviseSize']);
  });

  it('size consent: exactly half of the representatives is not more than half → the street office proposes again', async () => {
    const inst = await d.start('street-office', 'committee-election', startForm, 'P2-consent');
    expect((await d.instance(inst.id)).variables).toMatchObject({ consentRatio: '过半数', turnoutRatio: '1/2', electRatio: '1/2', voterListDays: 20, resultNoticeDays: 7, systemsDueDays: 90 });
    // consenting > total is refused at the field, with the clause
    const fields = await d.refused('resident-reps', inst.id, 'sizeConsent', { repsMeetingDate: '2026-03-02', repsTotal: 40, repsConsenting: 41 });
    expect(fields.repsConsenting).toBe('同意人数不能多于居民代表总数（《民政局加强城市社区建设实施意见》四(4)）');

    const half = await d.complete('resident-reps', inst.id, 'sizeConsent', { repsMeetingDate: '2026-03-02', repsTotal: 40, repsConsenting: 20 });
    expect(half.variables.sizeConsented).toBe(false);
    expect(half.variables.consentSummary).toBe('居民代表 40 人，同意 20 人；未超过半数，职数未获同意，须重新提出。');
    expect(half.openTasks.map((t) => t.elementId)).toEqual(['reviseSize']);
    const revised = await d.complete('street-office', inst.id, 'reviseSize', { committeeSize: 7, sizeReason: '按代表意见增至 7 人' });
    expect(revised.openTasks.map((t) => t.elementId)).toEqual(['sizeConsent']);
    const consented = await d.complete('resident-reps', inst.id, 'sizeConsent', { repsMeetingDate: '2026-03-02', repsTotal: 40, repsConsenting: 21 });
    expect(consented.variables.sizeConsented).toBe(true);
    expect(consented.variables.consentSummary).toBe('居民代表 40 人，同意 21 人；超过半数，职数确定为 7 人。');
    expect(consented.openTasks.map((t) => t.elementId)).toEqual(['registerVoters']);
  });

  it('full election: voter list publicity, an invalid round (exactly half turnout), a round with a seat left, another round, training due in a year', async () => {
    const nominated = await untilVoterList('P2-election');
    const id = nominated.id;
    // voter list published on 2 March for 20 days: to 22 March, end of day China time
    expect(nominated.variables.voterListEndsAt).toBe('2026-03-22T15:59:59.999Z');
    expect(nominated.activeElements).toEqual(['voterListPublicity']);
    // its page says what it waits for and until when
    const waitingPage = await d.get('street-office', `/instances/${encodeURIComponent(id)}`);
    expect(waitingPage.text).toContain('等待：选民名单公布期满，至 <time>2026-03-22 23:59</time>');
    const [voterList] = await d.notices('P2-election');
    expect(voterList!.title).toBe('幸福社区居民委员会换届选举选民名单公告');
    expect(noticeText(voterList!.html)).toContain('2026年3月2日至2026年3月22日（20 日）');

    // fewer candidates than seats is refused at the nomination form
    // (checked on a second instance below; this one is already past nomination)

    // no vote before the voter list's publicity ends
    await d.setClock('2026-03-22T23:00:00+08:00');
    expect((await d.instance(id)).openTasks).toEqual([]);
    await d.setClock('2026-03-23T08:00:00+08:00');
    const voting = await d.instance(id);
    expect(voting.openTasks.map((t) => t.elementId)).toEqual(['vote']);
    expect(voting.openTasks[0]!.dueAt).toBe('2026-03-28T15:59:59.000Z');
    // the votes are recorded on the election day, which is the date the ballot gives
    await d.setClock('2026-03-28T08:00:00+08:00');

    // more ballots than registered voters: refused at the form, with the clause
    const tooMany = await d.refused('residents-committee', id, 'vote', ballot(1001, 1001, 0, '张伟：600'));
    expect(tooMany.ballotsCast).toBe('收回选票数不能多于登记选民人数，否则本轮投票无效（实践规则：计票须与选民登记相符）');
    const mismatch = await d.refused('residents-committee', id, 'vote', ballot(600, 590, 5, '张伟：500'));
    expect(mismatch.validBallots).toBe('有效票与无效票之和应等于收回选票数（实践规则：公开计票，票数相符）');
    const overVotes = await d.refused('residents-committee', id, 'vote', ballot(600, 590, 10, '张伟：591'));
    expect(overVotes.candidateVotes).toBe('第 1 行（“张伟：591”）的“票数”（591）不能多于有效票数（590）（《民政局加强城市社区建设实施意见》四(4)：公开计票）');
    const badLine = await d.refused('residents-committee', id, 'vote', ballot(600, 590, 10, '张伟 591'));
    expect(badLine.candidateVotes).toBe('第 1 行（“张伟 591”）应写成“姓名：票数”（《民政局加强城市社区建设实施意见》四(4)：公开计票）');

    // round 1: 500 of 1000 voted = exactly half → invalid, vote again
    const round1 = await d.complete('residents-committee', id, 'vote', ballot(500, 500, 0, '张伟：400\n李娜：380\n王芳：350\n刘洋：320\n陈静：300\n赵磊：100'));
    expect(round1.variables).toMatchObject({
      electionRound: 1,
      electionValid: false,
      electionComplete: false,
      electedMembers: [],
      seatsRemaining: 5,
      tallySummary: '第 1 轮：登记选民 1000 人，收回选票 500 张（有效 500 张，无效 0 张）；参加投票人数未超过登记选民的 1/2，本轮选举无效，须重新投票。',
    });
    expect(round1.openTasks.map((t) => t.elementId)).toEqual(['vote']);

    // round 2: 600 voted; elected with more than 300 votes — 陈静 has exactly 300 and is not elected
    const round2 = await d.complete(
      'residents-committee',
      id,
      'vote',
      ballot(600, 590, 10, '张伟：590\n李娜：400\n王芳：350\n刘洋：301\n陈静：300\n赵磊：200'),
    );
    expect(round2.variables).toMatchObject({
      electionRound: 2,
      electionValid: true,
      electedThisRound: ['张伟', '李娜', '王芳', '刘洋'],
      electedMembers: ['张伟', '李娜', '王芳', '刘洋'],
      seatsRemaining: 1,
      electionComplete: false,
      currentRound: 2,
      seatsOpen: 5,
    });
    expect(round2.variables.tallySummary).toBe(
      '第 2 轮：登记选民 1000 人，收回选票 600 张（有效 590 张，无效 10 张）；选举有效。当选：张伟（590 票）、李娜（400 票）、王芳（350 票）、刘洋（301 票）。尚缺 1 名，另行选举。',
    );

    // round 3 for the one seat left: the form shows round 3, one seat, and those already elected
    const round3 = await d.complete('residents-committee', id, 'vote', ballot(550, 550, 0, '陈静：400\n赵磊：150'));
    expect(round3.variables).toMatchObject({
      currentRound: 3,
      seatsOpen: 1,
      electedMembersText: '张伟、李娜、王芳、刘洋',
      electionRound: 3,
      electedThisRound: ['陈静'],
      electedMembers: ['张伟', '李娜', '王芳', '刘洋', '陈静'],
      seatsRemaining: 0,
      electionComplete: true,
    });

    // every round's result is published
    const results = (await d.notices('P2-election')).filter((n) => n.kind === 'election-result');
    expect(results.map((n) => n.title)).toEqual([
      '幸福社区居民委员会换届选举第1轮选举结果公告',
      '幸福社区居民委员会换届选举第2轮选举结果公告',
      '幸福社区居民委员会换届选举第3轮选举结果公告',
    ]);
    expect(noticeText(results[0]!.html)).toContain('本轮选举无效');
    const r2 = noticeText(results[1]!.html);
    expect(r2).toContain('本轮当选：张伟、李娜、王芳、刘洋。');
    expect(r2).toContain('陈静 300 未当选');
    expect(r2).toContain('尚有 1 个名额未选出，将另行选举。');
    const r3 = noticeText(results[2]!.html);
    expect(r3).toContain('社区居民委员会成员（张伟、李娜、王芳、刘洋、陈静）已全部选出。');
    expect(r3).toContain('公示期：2026年3月28日至2026年4月4日（7 日）');

    // after the election: one training per elected member due one year later, and the rules within 90 days
    const after = await d.instance(id);
    const training = after.openTasks.filter((t) => t.elementId === 'training');
    expect(training).toHaveLength(5);
    for (const t of training) expect(t.dueAt).toBe('2027-03-28T00:00:00.000Z');
    const systems = after.openTasks.filter((t) => t.elementId === 'buildSystems');
    expect(systems).toHaveLength(1);
    expect(systems[0]!.dueAt).toBe('2026-06-26T00:00:00.000Z');

    // each member is trained (the form shows the member's name) in September; the rules are built; the election work ends
    await d.setClock('2026-09-16T09:00:00+08:00');
    for (let i = 0; i < 5; i++) {
      const open = (await d.myTasks('street-office', id, 'training')).sort((a, b) => (a.loopIndex ?? 0) - (b.loopIndex ?? 0));
      expect(open).toHaveLength(5 - i);
      await d.completeTask('street-office', open[0]!, {
        trainingDate: '2026-09-15',
        trainingContent: '区民政局新任居委会成员培训班',
        trainingCompleted: true,
      });
    }
    const trainingResults = (await d.instance(id)).variables.trainingResults as { memberName: string; by: string }[];
    expect(trainingResults.every((r) => r.by === 'street-office')).toBe(true);
    expect(trainingResults.map((r) => r.memberName).sort()).toEqual(['刘洋', '张伟', '李娜', '王芳', '陈静'].sort());
    const done = await d.complete('residents-committee', id, 'buildSystems', { deliberationRules: true, workRules: true, supervisionRules: true });
    expect(done.status).toBe('completed');
    expect(done.activeElements).toEqual([]);
  });

  it('fewer candidates than seats is refused at the nomination form with the clause', async () => {
    const inst = await d.start('street-office', 'committee-election', startForm, 'P2-nominate');
    await d.complete('resident-reps', inst.id, 'sizeConsent', { repsMeetingDate: '2026-03-02', repsTotal: 40, repsConsenting: 30 });
    await d.complete('residents-committee', inst.id, 'registerVoters', { electorateType: 'household-reps', registeredVoters: 800, electionDate: '2026-12-20' });
    const fields = await d.refused('residents-committee', inst.id, 'nominateCandidates', { candidateList: '张伟\n李娜\n王芳\n刘洋', candidateGuidance: true });
    expect(fields.candidateList).toBe('正式候选人人数不能少于应选职数（《民政局加强城市社区建设实施意见》四(4)：主任、副主任和委员共 5 至 9 人）');
  });
});

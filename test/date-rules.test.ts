import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseBpmn, type ModdleElement } from '../server/bpmn/moddle.js';
import { chinaDayNumber, dayNumberOf, isoDayOf } from '../server/forms/china-day.js';
import type { DateBound } from '../server/forms/date-bounds.js';
import { extractFormSchema, type FormSchema } from '../server/forms/schema.js';
import { validateFormValues } from '../server/forms/validate.js';
import { projectRoot } from '../server/project-root.js';
import { noticeText, ProcessDriver } from './support/process-driver.js';

// The date rules of the shipped processes through the API, on the manual clock, each at its boundary: the day
// before, the day itself and the day after. Days are Beijing days: the clock is set in +08:00.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('date_rules', '2026-03-02T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const ELECTION = {
  communityName: '翠湖社区',
  households: 1200,
  committeeSize: 5,
  sizeReason: '社区 1200 户，宜设 5 人',
};
const ELECTION_DAY_MESSAGE = (date: string) =>
  `选举日须晚于选民名单公布期的最后一天（${date}）：名单在本步骤提交后即公布，公布期满后才能投票（实践规则：选民名单在选举日前公布）`;

async function consented(businessKey: string, extra: Record<string, unknown> = {}) {
  const inst = await d.start('street-office', 'committee-election', { ...ELECTION, ...extra }, businessKey);
  await d.complete('resident-reps', inst.id, 'sizeConsent', { repsMeetingDate: isoDayOf(chinaDayNumber(d.clock.now())), repsTotal: 40, repsConsenting: 30 });
  return inst;
}

const voters = (electionDate: string) => ({ electorateType: 'all-voters', registeredVoters: 1000, electionDate, voterListNote: '张贴于社区公告栏' });

describe('P2: the election day comes after the voter list’s publicity period', () => {
  it('published on 2 March for 20 days: 21 and 22 March are refused at the field, 23 March is accepted; the vote task is not overdue when it opens', async () => {
    await d.setClock('2026-03-02T09:00:00+08:00');
    const inst = await consented('DR-P2-20');
    // the form says which days it takes, with today's dates
    const task = await d.task('residents-committee', inst.id, 'registerVoters');
    const page = await d.get('residents-committee', `/tasks/${encodeURIComponent(task.id)}`);
    expect(page.text).toContain('min="2026-03-23"');
    expect(page.text).toContain('日期要求：须晚于 2026-03-22（今天之后 20 日）');

    expect((await d.refused('residents-committee', inst.id, 'registerVoters', voters('2026-03-21'))).electionDate).toBe(ELECTION_DAY_MESSAGE('2026-03-22'));
    expect((await d.refused('residents-committee', inst.id, 'registerVoters', voters('2026-03-22'))).electionDate).toBe(ELECTION_DAY_MESSAGE('2026-03-22'));
    const registered = await d.complete('residents-committee', inst.id, 'registerVoters', voters('2026-03-23'));

    // the notice agrees with itself: the list is public to 22 March, the election is on the 23rd
    expect(registered.variables.voterListEndsAt).toBe('2026-03-22T15:59:59.999Z');
    const [list] = await d.notices('DR-P2-20');
    const text = noticeText(list!.html);
    expect(list!.title).toBe('翠湖社区居民委员会换届选举选民名单公告');
    expect(text).toContain('公示期：2026年3月2日至2026年3月22日（20 日）');
    expect(text).toContain('选举日：2026年3月23日');
    expect(text).not.toContain('社区社区');
    expect(text).toMatch(/对选民名单有不同意见的，请在公示期内向翠湖社区居民委员会选举委员会提出。 翠湖社区居民委员会选举委员会 2026年3月2日$/);

    await d.complete('residents-committee', inst.id, 'nominateCandidates', { candidateList: '张伟\n李娜\n王芳\n刘洋\n陈静', candidateGuidance: true });
    await d.setClock('2026-03-23T00:00:30+08:00');
    const vote = await d.task('residents-committee', inst.id, 'vote');
    expect(vote.dueAt).toBe('2026-03-23T15:59:59.000Z');
    expect(new Date(vote.dueAt!).getTime()).toBeGreaterThan(d.clock.now().getTime());

    // the vote itself: after the publicity's last day, and not in the future
    const ballot = (voteDate: string) => ({ voteDate, secretBallot: true, ballotsCast: 800, validBallots: 800, invalidBallots: 0, candidateVotes: '张伟：700\n李娜：650\n王芳：600\n刘洋：560\n陈静：520' });
    expect((await d.refused('residents-committee', inst.id, 'vote', ballot('2026-03-22'))).voteDate).toBe(
      '投票日期须晚于选民名单公布期的最后一天（2026-03-22）（实践规则：选民名单在选举日前公布）',
    );
    expect((await d.refused('residents-committee', inst.id, 'vote', ballot('2026-03-24'))).voteDate).toBe('“投票日期”不能晚于今天（2026-03-23）');
    const voted = await d.complete('residents-committee', inst.id, 'vote', ballot('2026-03-23'));
    expect(voted.variables.electionComplete).toBe(true);
  });

  it('a shorter publicity set on the start form (5 days) moves the first possible election day with it', async () => {
    await d.setClock('2026-03-02T09:00:00+08:00');
    const inst = await consented('DR-P2-5', { voterListDays: 5 });
    expect((await d.refused('residents-committee', inst.id, 'registerVoters', voters('2026-03-06'))).electionDate).toBe(ELECTION_DAY_MESSAGE('2026-03-07'));
    expect((await d.refused('residents-committee', inst.id, 'registerVoters', voters('2026-03-07'))).electionDate).toBe(ELECTION_DAY_MESSAGE('2026-03-07'));
    const registered = await d.complete('residents-committee', inst.id, 'registerVoters', voters('2026-03-08'));
    expect(registered.variables.voterListEndsAt).toBe('2026-03-07T15:59:59.999Z');
  });

  it('a community name typed with or without 社区 is kept with one 社区, and the committee’s name is refused', async () => {
    await d.setClock('2026-03-02T09:00:00+08:00');
    const short = await d.start('street-office', 'committee-election', { ...ELECTION, communityName: '翠湖' }, 'DR-P2-name');
    expect(short.variables.communityName).toBe('翠湖社区');
    const committee = await d.startRefused('street-office', 'committee-election', { ...ELECTION, communityName: '翠湖社区居委会' });
    expect(committee.fields?.communityName).toBe('“社区名称”：只填写社区的名称（如“幸福社区”），不要写“居民委员会”或“居委会”');
  });
});

const PROPOSAL = { communityName: '幸福社区', subject: '活动室改造', content: '活动室地面和照明改造', budget: 30000, reasons: '设施老化' };
const joint = (jointMeetingDate: string) => ({ jointMeetingDate, jointAttendees: '两委成员 7 人', decision: 'approve', opinion: '同意' });
const party = (partyMeetingDate: string) => ({ partyMeetingDate, partyMembersTotal: 30, partyMembersPresent: 25, partyVotesFor: 20, decision: 'approve', opinion: '同意' });

describe('P3: meetings that took place are dated no later than today (Beijing time), in the order of the four deliberations', () => {
  it('notAfter today: tomorrow is refused until midnight in Beijing, then accepted; yesterday is accepted', async () => {
    await d.setClock('2026-03-02T09:00:00+08:00');
    const a = await d.start('party-committee', 'four-deliberations', PROPOSAL, 'DR-P3-a');
    const b = await d.start('party-committee', 'four-deliberations', PROPOSAL, 'DR-P3-b');
    expect((await d.refused('residents-committee', a.id, 'jointMeeting', joint('2026-03-03'))).jointMeetingDate).toBe('“联席会议日期”不能晚于今天（2026-03-02）');
    // 23:59 in Beijing is still 2 March there, whatever the day in UTC
    await d.setClock('2026-03-02T23:59:00+08:00');
    expect((await d.refused('residents-committee', a.id, 'jointMeeting', joint('2026-03-03'))).jointMeetingDate).toBe('“联席会议日期”不能晚于今天（2026-03-02）');
    await d.setClock('2026-03-03T00:00:00+08:00');
    await d.complete('residents-committee', a.id, 'jointMeeting', joint('2026-03-03'));
    await d.complete('residents-committee', b.id, 'jointMeeting', joint('2026-03-02'));

    // notBefore the joint meeting: the day before is refused with the order of the deliberations, the day itself accepted
    expect((await d.refused('party-committee', a.id, 'partyMeeting', party('2026-03-02'))).partyMeetingDate).toBe(
      '党员大会须在“两委”联席会议商议之后召开，不能早于联席会议日期（2026-03-03）',
    );
    expect((await d.refused('party-committee', a.id, 'partyMeeting', party('2026-03-04'))).partyMeetingDate).toBe('“党员大会日期”不能晚于今天（2026-03-03）');
    await d.complete('party-committee', a.id, 'partyMeeting', party('2026-03-03'));
    // and the day after the joint meeting
    await d.complete('party-committee', b.id, 'partyMeeting', party('2026-03-03'));
    expect((await d.instance(b.id)).variables).toMatchObject({ jointMeetingDate: '2026-03-02', partyMeetingDate: '2026-03-03' });
  });
});

describe('P5 and P7: a deadline is not already past when it is set', () => {
  const EVENT = { eventType: 'sanitation', grid: '第3网格', place: '幸福路 12 号', description: '建筑垃圾占用盲道', urgency: 'normal' };

  it('notBefore today on a task: yesterday refused (though after the report), today and tomorrow accepted', async () => {
    await d.setClock('2026-03-05T09:00:00+08:00');
    const a = await d.start('grid-worker', 'grid-event', EVENT, 'DR-P5-a');
    const b = await d.start('grid-worker', 'grid-event', EVENT, 'DR-P5-b');
    await d.setClock('2026-03-06T09:00:00+08:00');
    const dispatch = (handleDueDate: string) => ({ responsibleUnit: '街道城管执法队', handleDueDate });
    expect((await d.refused('grid-office', a.id, 'dispatch', dispatch('2026-03-05'))).handleDueDate).toBe(
      '“办理期限”不能早于今天（2026-03-06）（《社会治理活动方案》篇四 第14项（拨、办））',
    );
    expect((await d.complete('grid-office', a.id, 'dispatch', dispatch('2026-03-06'))).openTasks[0]!.dueAt).toBe('2026-03-06T15:59:59.000Z');
    await d.complete('grid-office', b.id, 'dispatch', dispatch('2026-03-07'));
  });

  it('notBefore today on a start form: yesterday refused, today and tomorrow accepted', async () => {
    await d.setClock('2026-01-05T09:00:00+08:00');
    const base = {
      appraisalYear: 2025, communityName: '凤凰', secondeeName: '张伟', homeDepartment: '福永街道综合执法队', team: 'rectification',
      committeeWeight: 75, workPlanRef: '福永街道下沉人员管理工作方案',
    };
    const late = await d.startRefused('street-office', 'secondee-appraisal', { ...base, appraisalDueDate: '2026-01-04' });
    expect(late.fields?.appraisalDueDate).toMatch(/^“考核评分截止日期”不能早于今天（2026-01-05）/);
    const today = await d.start('street-office', 'secondee-appraisal', { ...base, appraisalDueDate: '2026-01-05' }, 'DR-P7-a');
    expect(today.variables.communityName).toBe('凤凰社区');
    await d.start('street-office', 'secondee-appraisal', { ...base, appraisalDueDate: '2026-01-06' }, 'DR-P7-b');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Every date bound of every shipped diagram, listed and checked at its boundary on the forms themselves.

interface BoundField {
  where: string;
  field: string;
  schema: FormSchema;
  bounds: DateBound[];
}

async function boundFields(): Promise<BoundField[]> {
  const dir = path.join(projectRoot(), 'processes');
  const out: BoundField[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.bpmn')).sort()) {
    const parsed = await parseBpmn(readFileSync(path.join(dir, file), 'utf8'));
    for (const element of Object.values(parsed.elementsById) as ModdleElement[]) {
      const schema = extractFormSchema(element);
      for (const field of schema?.fields ?? []) {
        if (field.dateBounds?.length) out.push({ where: `${file.replace('.bpmn', '')}/${element.id}`, field: field.id, schema: schema!, bounds: field.dateBounds });
      }
    }
  }
  return out;
}

const written = (b: DateBound) =>
  `${b.kind} ${b.anchor}${b.days === 0 ? '' : ` ${b.sign > 0 ? '+' : '-'} ${b.days} days`}`;

describe('the date bounds of the shipped processes', () => {
  it('are these: what happened is not in the future, deadlines are not past, the election waits for the voter list', async () => {
    const listed = (await boundFields()).map((f) => `${f.where}.${f.field}: ${f.bounds.map(written).join('; ')}`).sort();
    expect(listed).toEqual([
      'annual-awards/grantAwards.grantedOn: notAfter today',
      'annual-awards/recoverAwards.recoveredOn: notAfter today',
      'committee-election/registerVoters.electionDate: after today + voterListDays days',
      'committee-election/sizeConsent.repsMeetingDate: notAfter today',
      'committee-election/training.trainingDate: notAfter today',
      'committee-election/vote.voteDate: notAfter today; after voterListEndsAt',
      'four-deliberations/implement.completedOn: notAfter today; after publicityEndsAt',
      'four-deliberations/jointMeeting.jointMeetingDate: notAfter today',
      'four-deliberations/partyMeeting.partyMeetingDate: notAfter today; notBefore jointMeetingDate',
      'four-deliberations/repsMeeting.repsMeetingDate: notAfter today; notBefore partyMeetingDate',
      'grid-event/dispatch.handleDueDate: notBefore today',
      'grid-event/forcedRectification.forcedOn: notAfter today',
      'grid-event/handle.handledOn: notAfter today',
      'grid-event/rework.handledOn: notAfter today',
      'grid-event/supervise.supervisionDueDate: notBefore today',
      'grid-event/supervisedRework.handledOn: notAfter today',
      'grid-event/urgentDisposal.handledOn: notAfter today',
      'micro-project/acceptance.acceptedOn: notAfter today',
      'micro-project/implement.completedOn: notAfter today',
      'micro-project/implement.startedOn: notAfter today',
      'micro-project/publicReview.reviewDate: notAfter today',
      'pilot-campaign/campaignStart.applicationDueDate: notBefore today',
      'secondee-appraisal/hrFiling.filedOn: notAfter today',
      'secondee-appraisal/replaceSecondee.replacedOn: notAfter today',
      'secondee-appraisal/startAppraisal.appraisalDueDate: notBefore today',
    ]);
  });

  it('each holds at its boundary: the day before, the day itself and the day after, on the form that carries it', async () => {
    const now = new Date('2026-03-10T09:00:00+08:00');
    // Every anchor other than today is a date of the case (10 March); every number of days is 5.
    const context: Record<string, unknown> = { voterListDays: 5, voterListEndsAt: '2026-03-10T15:59:59.999Z', publicityEndsAt: '2026-03-10T15:59:59.999Z', jointMeetingDate: '2026-03-10', partyMeetingDate: '2026-03-10' };
    const tenth = dayNumberOf('2026-03-10')!;
    let checked = 0;
    for (const { where, field, schema, bounds } of await boundFields()) {
      for (const bound of bounds) {
        const day = tenth + bound.sign * (typeof bound.days === 'number' ? bound.days : (context[bound.days] as number));
        const expected = { notBefore: [false, true, true], notAfter: [true, true, false], after: [false, false, true], before: [true, false, false] }[bound.kind];
        [-1, 0, 1].forEach((offset, i) => {
          const value = isoDayOf(day + offset);
          // The other bounds of the field are met by a context in which they cannot fail.
          const only: FormSchema = { ...schema, fields: schema.fields.map((f) => (f.id === field ? { ...f, dateBounds: [bound], rules: [] } : f)) };
          const result = validateFormValues(only, { [field]: value }, context, { now });
          const accepted = result.ok || !(field in result.fields);
          expect(`${where}.${field} ${written(bound)} ${value}: ${accepted}`).toBe(`${where}.${field} ${written(bound)} ${value}: ${expected![i]}`);
          checked++;
        });
      }
    }
    expect(checked).toBe(3 * 29);
  });
});

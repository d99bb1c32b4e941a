import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ProcessDriver, type TaskJson } from './support/process-driver.js';

// The approval actions (issue 16) on P3 四议两公开 through the API, as the demo organisation's people: 幸福社区's
// party committee (`party-committee`) and residents' committee (`residents-committee`), its street office, another
// community's committee (`hexie-rc`) and another street (`guangming-street`).

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('approval_actions', '2026-03-02T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const proposal = (subject: string) => ({ communityName: '幸福', subject, content: '内容', budget: 1000, reasons: '理由' });
const joint = { jointMeetingDate: '2026-03-02', jointAttendees: '7 人', decision: 'approve', opinion: '同意' };

async function as(username: string, method: 'get' | 'post' | 'put', url: string, body?: unknown) {
  const req = request(d.app)[method](url).set('Authorization', `Bearer ${await d.token(username)}`);
  return body === undefined ? req : req.send(body as object);
}

async function started(bk: string): Promise<{ id: string; task: TaskJson }> {
  const inst = await d.start('party-committee', 'four-deliberations', proposal(bk), bk);
  return { id: inst.id, task: inst.openTasks[0]! };
}

const url = (taskId: string, action: string) => `/api/tasks/${encodeURIComponent(taskId)}/${action}`;

async function audit(instanceId: string) {
  return (await d.get('admin', `/api/instances/${encodeURIComponent(instanceId)}/audit`)).body as { type: string; actor: string; data: Record<string, unknown> }[];
}

describe('暂存', () => {
  it('keeps the typed form for its author only, and is refused to whoever may not handle the task', async () => {
    const { task } = await started('AP-draft');
    const saved = await as('residents-committee', 'put', url(task.id, 'draft'), { values: { jointAttendees: '草稿：到会 7 人' } });
    expect(saved.status).toBe(200);
    // a restarted server still knows the draft (it skips the database for tasks without one)
    d = await d.restarted();
    const mine = await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(mine.body.draft.values).toEqual({ jointAttendees: '草稿：到会 7 人' });
    expect(mine.body.actions).toMatchObject({ draft: true, transfer: true, delegate: true, remind: false });
    expect((await as('party-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`)).body.draft).toBeNull();
    expect((await as('hexie-rc', 'put', url(task.id, 'draft'), { values: {} })).status).toBe(403);
    expect((await as('residents-committee', 'put', url(task.id, 'draft'), { values: 'x' })).status).toBe(400);
    // completing it removes the draft
    await d.complete('residents-committee', task.instanceId, 'jointMeeting', joint);
    const after = await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(after.body.draft).toBeNull();
  });
});

describe('转办', () => {
  it('hands a task to another person with a reason, audited and told to them', async () => {
    const { id, task } = await started('AP-transfer');
    await d.claim('residents-committee', task);
    expect((await as('residents-committee', 'post', url(task.id, 'transfer'), { to: 'party-committee' })).body.error.fields).toEqual({ reason: '请填写操作原因' });
    expect((await as('residents-committee', 'post', url(task.id, 'transfer'), { to: 'nobody', reason: '出差' })).body.error.fields).toEqual({ to: '用户不存在或已停用' });
    expect((await as('residents-committee', 'post', url(task.id, 'transfer'), { to: 'residents-committee', reason: '出差' })).body.error.fields).toEqual({ to: '不能选择自己' });
    // only the holder may
    expect((await as('party-committee', 'post', url(task.id, 'transfer'), { to: 'hexie-rc', reason: '出差' })).status).toBe(403);
    expect((await as('hexie-rc', 'post', url(task.id, 'transfer'), { to: 'party-committee', reason: '出差' })).status).toBe(403);

    const moved = await as('residents-committee', 'post', url(task.id, 'transfer'), { to: 'party-committee', reason: '本人出差，转党组织办理' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ assignee: 'party-committee', owner: null, status: 'open' });
    expect((await audit(id)).find((e) => e.type === 'task.transferred')).toMatchObject({
      actor: 'residents-committee',
      data: { from: 'residents-committee', to: 'party-committee', reason: '本人出差，转党组织办理' },
    });
    const inbox = await as('party-committee', 'get', '/api/messages');
    expect(inbox.body.items.find((m: { kind: string }) => m.kind === 'transfer')).toMatchObject({ title: '转办给您：“两委”联席会议商议（AP-transfer）', text: '本人出差，转党组织办理', read: false, by: 'residents-committee' });
    // the former holder can no longer complete it; the new one can
    expect((await as('residents-committee', 'post', url(task.id, 'complete'), { variables: joint })).status).toBe(403);
    expect((await as('party-committee', 'post', url(task.id, 'complete'), { variables: joint })).status).toBe(200);
  });
});

describe('委派', () => {
  it('the delegate works, then the task returns to the delegator with their values as a draft to submit', async () => {
    const { id, task } = await started('AP-delegate');
    await d.claim('party-committee', task);
    const delegated = await as('party-committee', 'post', url(task.id, 'delegate'), { to: 'residents-committee', reason: '请居委会整理会议记录' });
    expect(delegated.body).toMatchObject({ assignee: 'residents-committee', owner: 'party-committee' });
    // a delegated task is neither transferred nor delegated again
    expect((await as('residents-committee', 'post', url(task.id, 'transfer'), { to: 'street-office', reason: 'x' })).status).toBe(409);
    expect((await as('party-committee', 'post', url(task.id, 'complete'), { variables: joint })).status).toBe(403);
    // a wrong submission by the delegate is refused at the field, as any completion
    const wrong = await as('residents-committee', 'post', url(task.id, 'complete'), { variables: { ...joint, jointMeetingDate: '' } });
    expect(wrong.status).toBe(400);
    const done = await as('residents-committee', 'post', url(task.id, 'complete'), { variables: { ...joint, jointAttendees: '居委会整理：到会 7 人' } });
    expect(done.status).toBe(200);
    expect(done.body.delegationResolved).toBe(true);
    expect(done.body.task).toMatchObject({ status: 'open', assignee: 'party-committee', owner: null });
    const back = await as('party-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(back.body.draft.values).toMatchObject({ jointAttendees: '居委会整理：到会 7 人' });
    const messages = (await as('party-committee', 'get', '/api/messages')).body.items as { kind: string; title: string }[];
    expect(messages.find((m) => m.kind === 'resolved')?.title).toBe('委派已办理，请复核提交：“两委”联席会议商议（AP-delegate）');
    const finished = await d.complete('party-committee', id, 'jointMeeting', { ...joint, jointAttendees: '居委会整理：到会 7 人' });
    expect(finished.openTasks.map((t) => t.elementId)).toEqual(['partyMeeting']);
    const types = (await audit(id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['task.delegated', 'task.resolved', 'task.completed']));
  });
});

describe('退回', () => {
  it('sends a task back to an earlier completed step of the case, which waits again; the process goes on from there', async () => {
    const { id } = await started('AP-return');
    await d.complete('residents-committee', id, 'jointMeeting', joint);
    const party = await d.task('party-committee', id, 'partyMeeting');
    const shown = await as('party-committee', 'get', `/api/tasks/${encodeURIComponent(party.id)}`);
    expect(shown.body.returnTargets).toEqual([{ elementId: 'jointMeeting', name: '“两委”联席会议商议' }]);
    expect((await as('party-committee', 'post', url(party.id, 'return'), { targetElementId: 'jointMeeting' })).body.error.fields).toEqual({ reason: '请填写操作原因' });
    const never = await as('party-committee', 'post', url(party.id, 'return'), { targetElementId: 'repsMeeting', reason: '重新表决' });
    expect(never.status).toBe(400);
    expect(never.body.error.message).toBe('只能退回到本案已办理过的环节');
    expect((await as('hexie-pc', 'post', url(party.id, 'return'), { targetElementId: 'jointMeeting', reason: 'x' })).status).toBe(403);

    const back = await as('party-committee', 'post', url(party.id, 'return'), { targetElementId: 'jointMeeting', reason: '预算依据不足，请两委重新商议' });
    expect(back.status).toBe(200);
    expect(back.body).toEqual({ returnedTo: 'jointMeeting', name: '“两委”联席会议商议' });
    const after = await d.instance(id);
    expect(after.status).toBe('running');
    expect(after.openTasks.map((t) => t.elementId)).toEqual(['jointMeeting']);
    expect((await audit(id)).find((e) => e.type === 'task.returned')).toMatchObject({ actor: 'party-committee', data: { to: 'jointMeeting', reason: '预算依据不足，请两委重新商议' } });
    const told = ((await as('residents-committee', 'get', '/api/messages')).body.items as { kind: string; title: string; text: string }[]).find((m) => m.kind === 'return');
    expect(told).toMatchObject({ title: '退回：党员大会审议（AP-return），退回到 “两委”联席会议商议', text: '预算依据不足，请两委重新商议' });
    // the returned step is done again and the process goes on as drawn
    const again = await d.complete('residents-committee', id, 'jointMeeting', { ...joint, opinion: '补充预算依据后同意' });
    expect(again.openTasks.map((t) => t.elementId)).toEqual(['partyMeeting']);
  });
});

describe('加签', () => {
  it('the holder adds signers; the task is completed only after each has signed, and their sign-offs are kept', async () => {
    const { id, task } = await started('AP-signers');
    expect((await as('residents-committee', 'post', url(task.id, 'add-signers'), { users: ['street-office'] })).body.error.fields).toEqual({ reason: '请填写操作原因' });
    expect((await as('hexie-rc', 'post', url(task.id, 'add-signers'), { users: ['street-office'], reason: 'x' })).status).toBe(403);
    const added = await as('residents-committee', 'post', url(task.id, 'add-signers'), { users: ['street-office', 'hexie-rc'], reason: '涉及街道资金，请街道和邻近社区会签' });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ assignee: 'residents-committee', cosigners: ['street-office', 'hexie-rc'] });
    // not yet: both must sign first
    const early = await as('residents-committee', 'post', url(task.id, 'complete'), { variables: joint });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toBe('加签人尚未全部签署（street-office、hexie-rc），暂不能提交');
    // each signer finds it under 待我签署, counted in their inbox badge
    const toSign = await as('hexie-rc', 'get', '/api/tasks?scope=signer');
    expect(toSign.body.map((t: { id: string }) => t.id)).toEqual([task.id]);
    expect((await as('hexie-rc', 'get', '/api/tasks/count')).body).toMatchObject({ signer: 1 });
    expect((await as('hexie-rc', 'get', '/api/tasks?scope=signer&status=completed')).status).toBe(400);
    // an added signer may see the task and sign it once; others may not sign
    expect((await as('hexie-rc', 'get', `/api/tasks/${encodeURIComponent(task.id)}`)).status).toBe(200);
    expect((await as('party-committee', 'post', url(task.id, 'cosign'), { decision: 'approve' })).status).toBe(403);
    expect((await as('hexie-rc', 'post', url(task.id, 'cosign'), { decision: 'reject' })).body.error.fields).toEqual({ reason: '请填写操作原因' });
    expect((await as('street-office', 'post', url(task.id, 'cosign'), { decision: 'approve', opinion: '同意，资金另行安排' })).status).toBe(200);
    expect((await as('street-office', 'post', url(task.id, 'cosign'), { decision: 'approve' })).status).toBe(409);
    // signed: no longer waiting for them
    expect((await as('street-office', 'get', '/api/tasks?scope=signer')).body.map((t: { id: string }) => t.id)).not.toContain(task.id);
    expect((await as('street-office', 'get', '/api/tasks/count')).body.signer).toBe(0);
    const shown = await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(shown.body.cosigners).toEqual([{ user: 'street-office', signed: true }, { user: 'hexie-rc', signed: false }]);
    expect((await as('hexie-rc', 'post', url(task.id, 'cosign'), { decision: 'reject', opinion: '影响我社区通行，不同意' })).status).toBe(200);
    expect((await as('residents-committee', 'post', url(task.id, 'complete'), { variables: joint })).status).toBe(200);
    const signoffs = await d.signoffs(id);
    expect(signoffs.filter((s) => s.stepName === '“两委”联席会议商议（加签）').map((s) => [s.by, s.decision, s.opinion])).toEqual([
      ['street-office', 'approve', '同意，资金另行安排'],
      ['hexie-rc', 'reject', '影响我社区通行，不同意'],
    ]);
    expect((await audit(id)).filter((e) => e.type === 'task.cosigned').map((e) => e.actor)).toEqual(['street-office', 'hexie-rc']);
  });
});

describe('后加签', () => {
  it('the holder submits now; the task completes as submitted once every added signer agrees', async () => {
    const { id, task } = await started('AP-after');
    const after = (user: string, body: Record<string, unknown>) => as(user, 'post', url(task.id, 'add-signers'), { position: 'after', ...body });
    // the form is checked as a completion would be; nothing is held when it is wrong
    const wrong = await after('residents-committee', { users: ['street-office'], reason: '请街道把关', values: { ...joint, jointMeetingDate: '' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.fields.jointMeetingDate).toBeDefined();
    await d.claim('residents-committee', task);
    expect((await after('party-committee', { users: ['street-office'], reason: '请街道把关', values: joint })).status).toBe(403);
    const held = await after('residents-committee', { users: ['street-office', 'hexie-rc'], reason: '涉及街道资金，请街道和邻近社区签署', values: joint });
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({ assignee: 'residents-committee', cosigners: ['street-office', 'hexie-rc'], held: true, status: 'open' });

    // submitted: the holder can no longer change, complete, hand on or draft it; the signers read what was submitted
    for (const [method, action, body] of [
      ['post', 'complete', { variables: joint }],
      ['post', 'transfer', { to: 'party-committee', reason: '出差' }],
      ['put', 'draft', { values: {} }],
    ] as const) {
      const res = await as('residents-committee', method, url(task.id, action), body);
      expect([action, res.status]).toEqual([action, 409]);
    }
    const shown = await as('hexie-rc', 'get', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(shown.body.held).toMatchObject({ values: { ...joint, subject: 'AP-after' }, by: 'residents-committee' });
    expect(shown.body.actions).toMatchObject({ cosign: true, complete: false });
    expect((await as('hexie-rc', 'get', '/api/messages')).body.items.find((m: { kind: string; taskId: string }) => m.kind === 'cosign' && m.taskId === task.id).title).toContain('请后加签');

    expect((await as('street-office', 'post', url(task.id, 'cosign'), { decision: 'approve' })).status).toBe(200);
    expect((await d.instance(id)).openTasks.map((t) => t.id)).toEqual([task.id]);
    expect((await as('hexie-rc', 'post', url(task.id, 'cosign'), { decision: 'approve', opinion: '同意' })).status).toBe(200);

    // the last agreement completed it: as the holder submitted it, by the holder, and the case went on
    const done = await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(done.body).toMatchObject({ status: 'completed', completedBy: 'residents-committee' });
    const view = await d.instance(id);
    expect(view.openTasks.map((t) => t.elementId)).toEqual(['partyMeeting']);
    const entries = await audit(id);
    expect(entries.find((e) => e.type === 'task.signers_added')).toMatchObject({ actor: 'residents-committee', data: { position: 'after', values: joint } });
    expect(entries.find((e) => e.type === 'task.completed' && e.data.name === '“两委”联席会议商议')).toMatchObject({ actor: 'residents-committee', data: { values: joint } });
    const signoffs = (await d.signoffs(id)).filter((x) => x.stepName === '“两委”联席会议商议（后加签）');
    expect(signoffs.map((x) => [x.by, x.decision])).toEqual([
      ['street-office', 'approve'],
      ['hexie-rc', 'approve'],
    ]);
  });

  it('a signer who does not agree sends the task back to its holder, with the submitted form as a draft', async () => {
    const { task } = await started('AP-after-no');
    await as('residents-committee', 'post', url(task.id, 'add-signers'), { position: 'after', users: ['street-office'], reason: '请街道把关', values: joint });
    expect((await as('street-office', 'post', url(task.id, 'cosign'), { decision: 'reject', opinion: '预算超出，请重新商议' })).status).toBe(200);
    const back = await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(back.body).toMatchObject({ status: 'open', assignee: 'residents-committee', held: null, cosigners: [] });
    expect(back.body.draft.values).toMatchObject(joint);
    expect(back.body.actions).toMatchObject({ complete: true, transfer: true });
    const message = (await as('residents-committee', 'get', '/api/messages')).body.items.find((m: { kind: string }) => m.kind === 'released');
    expect(message).toMatchObject({ title: '后加签未通过，已退回您修改：“两委”联席会议商议（AP-after-no）', text: expect.stringContaining('预算超出，请重新商议') });
    expect((await audit(task.instanceId)).find((e) => e.type === 'task.held_released')).toMatchObject({ actor: 'street-office' });
    // the holder revises it and asks the same office again, who signs this submission afresh
    const revised = { ...joint, opinion: '已压缩预算' };
    await as('residents-committee', 'post', url(task.id, 'add-signers'), { position: 'after', users: ['street-office'], reason: '预算已压缩，请再审', values: revised });
    expect((await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`)).body.cosigners).toEqual([{ user: 'street-office', signed: false }]);
    expect((await as('street-office', 'post', url(task.id, 'cosign'), { decision: 'approve' })).status).toBe(200);
    const done = await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(done.body.status).toBe('completed');
    const signed = (await d.signoffs(task.instanceId)).filter((x) => x.stepName.endsWith('（后加签）'));
    expect(signed.map((x) => [x.by, x.decision])).toEqual([
      ['street-office', 'reject'],
      ['street-office', 'approve'],
    ]);
  });

  it('the submitter may take the submission back before all agree; an administrator\'s 改派 returns it first', async () => {
    const { id, task } = await started('AP-after-recall');
    await d.claim('residents-committee', task);
    await as('residents-committee', 'post', url(task.id, 'add-signers'), { position: 'after', users: ['street-office'], reason: '请街道把关', values: joint });
    expect((await as('street-office', 'post', url(task.id, 'recall'), { reason: '想改' })).status).toBe(403);
    const back = await as('residents-committee', 'post', url(task.id, 'recall'), { reason: '参会人数写错' });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: 'open', assignee: 'residents-committee' });
    const shown = await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(shown.body).toMatchObject({ held: null, cosigners: [] });
    expect(shown.body.draft.values).toMatchObject(joint);
    // the signer is told, and no longer asked
    expect((await as('street-office', 'get', '/api/messages')).body.items.find((m: { kind: string; taskId: string }) => m.kind === 'released' && m.taskId === task.id)).toMatchObject({
      title: '无需再签署：“两委”联席会议商议（AP-after-recall）（提交已退回办理人）',
    });
    expect((await as('street-office', 'get', '/api/tasks?scope=signer')).body.map((t: { id: string }) => t.id)).not.toContain(task.id);
    expect((await as('street-office', 'post', url(task.id, 'cosign'), { decision: 'approve' })).status).toBe(403);

    // submitted again, then moved by an administrator: the submission goes back to its submitter as a draft first
    await as('residents-committee', 'post', url(task.id, 'add-signers'), { position: 'after', users: ['street-office'], reason: '请街道把关', values: joint });
    const moved = await as('admin', 'post', `/api/tasks/${encodeURIComponent(task.id)}/reassign`, { assignee: 'party-committee', reason: '居委会主任出差' });
    expect(moved.status).toBe(200);
    const after = await as('party-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`);
    expect(after.body).toMatchObject({ assignee: 'party-committee', held: null, cosigners: [] });
    expect((await audit(id)).filter((e) => e.type === 'task.held_released').map((e) => e.actor)).toEqual(['residents-committee', 'admin']);
  });

  it('a last signature whose completion a crash cut off completes the task at the next start-up', async () => {
    const { id, task } = await started('AP-after-crash');
    await as('residents-committee', 'post', url(task.id, 'add-signers'), { position: 'after', users: ['street-office'], reason: '请街道把关', values: joint });
    const held = (await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`)).body.held;
    // the signature landed, the server died before the completion it makes
    await d.database.db.collection('signoffs').insertOne({
      _id: `${task.id}:cosign:street-office:${held.round}`,
      instanceId: id,
      taskId: task.id,
      elementId: 'jointMeeting',
      stepName: '“两委”联席会议商议（后加签）',
      decision: 'approve',
      opinion: null,
      by: 'street-office',
      at: new Date(),
    } as never);
    expect((await d.instance(id)).openTasks.map((t) => t.id)).toEqual([task.id]);
    d = await d.restarted();
    expect((await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`)).body).toMatchObject({ status: 'completed', completedBy: 'residents-committee' });
    expect((await d.instance(id)).openTasks.map((t) => t.elementId)).toEqual(['partyMeeting']);
  });

  it('two last signatures at once complete the task once', async () => {
    const { id, task } = await started('AP-after-race');
    await as('residents-committee', 'post', url(task.id, 'add-signers'), { position: 'after', users: ['street-office', 'hexie-rc'], reason: '会签', values: joint });
    const both = await Promise.all([
      as('street-office', 'post', url(task.id, 'cosign'), { decision: 'approve' }),
      as('hexie-rc', 'post', url(task.id, 'cosign'), { decision: 'approve' }),
    ]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    // a signer asking again is told they signed, and finishes the completion if nothing else did
    expect((await as('hexie-rc', 'post', url(task.id, 'cosign'), { decision: 'approve' })).status).toBe(409);
    expect((await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(task.id)}`)).body.status).toBe('completed');
    expect((await audit(id)).filter((e) => e.type === 'task.completed')).toHaveLength(1);
    expect((await d.instance(id)).openTasks.map((t) => t.elementId)).toEqual(['partyMeeting']);
  });

  it('增加一份 is only for a step several people do separately', async () => {
    const { task } = await started('AP-instance');
    const res = await as('residents-committee', 'post', url(task.id, 'add-signers'), { position: 'instance', users: ['street-office'], reason: '再请一位' });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual({ position: '该环节不能增加一份' });
  });
});

describe('撤回办理', () => {
  it('the completer takes a step back while the next one is untouched; once someone claims it, no more', async () => {
    const { id, task } = await started('AP-recall');
    await d.complete('residents-committee', id, 'jointMeeting', joint);
    expect((await as('party-committee', 'post', url(task.id, 'recall'), {})).status).toBe(403);
    const back = await as('residents-committee', 'post', url(task.id, 'recall'), { reason: '会议日期填错' });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ assignee: 'residents-committee', status: 'open' });
    const view = await d.instance(id);
    expect(view.openTasks.map((t) => [t.elementId, t.assignee])).toEqual([['jointMeeting', 'residents-committee']]);
    expect((await audit(id)).find((e) => e.type === 'task.recalled')).toMatchObject({ actor: 'residents-committee', data: { reason: '会议日期填错' } });

    await d.complete('residents-committee', id, 'jointMeeting', joint);
    const again = view.openTasks[0]!;
    const next = await d.task('party-committee', id, 'partyMeeting');
    await d.claim('party-committee', next);
    const late = await as('residents-committee', 'post', url(again.id, 'recall'), {});
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe('下一步已有人处理，不能撤回');
  });
});

describe('撤回', () => {
  it('the starter withdraws while nobody else has acted; afterwards 409; others 403', async () => {
    const early = await started('AP-withdraw');
    expect((await as('residents-committee', 'post', `/api/instances/${early.id}/withdraw`, { reason: '误发起' })).status).toBe(403);
    expect((await as('party-committee', 'post', `/api/instances/${early.id}/withdraw`, {})).body.error.fields).toEqual({ reason: '请填写操作原因' });
    const ok = await as('party-committee', 'post', `/api/instances/${early.id}/withdraw`, { reason: '误发起，重新提议' });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('cancelled');
    expect((await d.instance(early.id)).openTasks).toEqual([]);
    expect((await audit(early.id)).find((e) => e.type === 'instance.withdrawn')).toMatchObject({ actor: 'party-committee', data: { reason: '误发起，重新提议' } });
    expect((await as('party-committee', 'post', `/api/instances/${early.id}/withdraw`, { reason: '再撤' })).status).toBe(409);

    const late = await started('AP-withdraw-late');
    await d.claim('residents-committee', late.task);
    const refused = await as('party-committee', 'post', `/api/instances/${late.id}/withdraw`, { reason: '误发起' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('已有人办理过该流程');
  });
});

describe('抄送', () => {
  it('copies the case to people and roles, who then may see it and find it under 抄送我的', async () => {
    const { id, task } = await started('AP-cc');
    expect((await as('guangming-street', 'get', `/api/instances/${id}`)).status).toBe(403);
    expect((await as('residents-committee', 'post', url(task.id, 'cc'), {})).body.error.fields).toEqual({ users: '请选择抄送的人员或角色' });
    expect((await as('hexie-rc', 'post', url(task.id, 'cc'), { users: ['street-office'] })).status).toBe(403);
    const copied = await as('residents-committee', 'post', url(task.id, 'cc'), { users: ['guangming-street'], groups: ['street-office'], note: '请知悉' });
    expect(copied.status).toBe(200);
    expect(copied.body.copied.sort()).toEqual(['guangming-street', 'street-office']);
    expect((await as('guangming-street', 'get', `/api/instances/${id}`)).status).toBe(200);
    const cc = await as('guangming-street', 'get', '/api/tasks?scope=cc');
    expect(cc.body).toEqual([expect.objectContaining({ instanceId: id, businessKey: 'AP-cc', step: '“两委”联席会议商议', by: 'residents-committee', note: '请知悉' })]);
    expect((await audit(id)).find((e) => e.type === 'task.copied')?.data).toMatchObject({ note: '请知悉' });
    const message = ((await as('street-office', 'get', '/api/messages')).body.items as { kind: string; title: string }[]).find((m) => m.kind === 'cc');
    expect(message?.title).toBe('抄送：“两委”联席会议商议（AP-cc）');
  });
});

describe('催办', () => {
  it('reminds whoever can act, once per interval; only people who see the case may; not one\'s own task', async () => {
    const { task } = await started('AP-remind');
    expect((await as('guangming-street', 'post', url(task.id, 'remind'))).status).toBe(403);
    expect((await as('residents-committee', 'post', url(task.id, 'remind'))).status).toBe(400);
    const first = await as('street-office', 'post', url(task.id, 'remind'));
    expect(first.status).toBe(200);
    expect(first.body.reminded.sort()).toEqual(['party-committee', 'residents-committee']);
    const again = await as('party-committee', 'post', `/api/instances/${task.instanceId}/withdraw`, { reason: 'x' });
    expect(again.status).toBe(409); // a reminder is someone else acting on the case
    const twice = await as('street-office', 'post', url(task.id, 'remind'));
    expect(twice.status).toBe(429);
    expect(twice.body.error.message).toMatch(/^该待办刚催办过：每 60 分钟最多催办一次，请于北京时间 \d\d:\d\d 后再催办$/);
    const reminded = ((await as('residents-committee', 'get', '/api/messages')).body.items as { kind: string; title: string }[]).filter((m) => m.kind === 'remind');
    expect(reminded.map((m) => m.title)).toEqual(['催办：“两委”联席会议商议（AP-remind）']);
    await d.advance('PT1H');
    expect((await as('street-office', 'post', url(task.id, 'remind'))).status).toBe(200);
  });
});

describe('站内消息 and the person picker', () => {
  it('counts unread messages, marks them read, and finds people by name, role and unit', async () => {
    const before = await as('party-committee', 'get', '/api/messages');
    expect(before.body.unread).toBeGreaterThan(0);
    const newTask = (before.body.items as { id: string; kind: string; read: boolean }[]).find((m) => m.kind === 'task' && !m.read)!;
    expect((await as('party-committee', 'post', `/api/messages/${encodeURIComponent(newTask.id)}/read`)).status).toBe(204);
    const after = await as('party-committee', 'get', '/api/messages');
    expect(after.body.unread).toBe(before.body.unread - 1);
    expect((await as('party-committee', 'post', '/api/messages/read-all')).status).toBe(204);
    expect((await as('party-committee', 'get', '/api/messages')).body.unread).toBe(0);

    const people = await as('residents-committee', 'get', '/api/users?q=hexie');
    expect((people.body as { id: string }[]).map((p) => p.id).sort()).toEqual(['hexie-grid', 'hexie-pc', 'hexie-rc', 'hexie-reps']);
    expect(people.body.find((p: { id: string }) => p.id === 'hexie-rc')).toMatchObject({ unitName: '和谐社区', roles: ['社区居民委员会'] });
    const street = await as('residents-committee', 'get', '/api/users?group=street-office&unitId=demo-street-1');
    expect((street.body as { id: string }[]).map((p) => p.id)).toEqual(['street-office']);
  });
});

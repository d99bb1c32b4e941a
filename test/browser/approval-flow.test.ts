import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { SHOTS } from './chromium.js';
import { type BrowserWalk, openBrowserWalk, StaffBrowser, txt } from './staff.js';
import type { ProcessDriver } from '../support/process-driver.js';

/**
 * The approval actions (issue 16) on the staff pages, in Debian's chromium, on P3 四议两公开 of 幸福社区: the
 * residents' committee saves a draft (暂存) and transfers the step (转办) to the party committee, which delegates it
 * (委派) back; the delegate's submission returns it (交回) to the party committee, who copies the case to the street
 * office (抄送) and submits; the street office finds the copy and the message, reminds the next step (催办) — a second
 * reminder at once is refused —, the party members' meeting sends the case back (退回) to the joint meeting, and the
 * starter of another case withdraws it (撤回). Screenshots: prefix approval-.
 */

const BK = 'P3-APPROVAL-01';
const STEP = '“两委”联席会议商议';
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `approval-${name}.png`), fullPage: true });

let d: ProcessDriver;
let staff: StaffBrowser;
let walk: BrowserWalk;

beforeAll(async () => {
  walk = await openBrowserWalk('approval_browser', '2026-03-02T09:00:00+08:00', BK);
  ({ d, staff } = walk);
}, 120_000);

afterAll(async () => {
  await walk?.close();
});

describe('approval actions in the browser', () => {
  it('暂存, 转办, 委派 and 交回, 抄送, 催办 and 撤回 as the people who do them', async () => {
    const inst = await d.start('party-committee', 'four-deliberations', { communityName: '幸福', subject: '幸福小区加装电梯', content: '内容', budget: 120000, reasons: '理由' }, BK);

    // ── 暂存: the residents' committee types part of the minutes and keeps them ──
    const rc = await staff.as('residents-committee');
    await staff.openFromInbox(rc, STEP);
    await rc.fill('#f_jointAttendees', '党委书记、居委会主任等 7 人（草稿）');
    await rc.click('#save-draft');
    expect(await txt(rc.locator('.flash'))).toBe(`已暂存：${STEP}（尚未提交）`);
    expect(await rc.inputValue('#f_jointAttendees')).toBe('党委书记、居委会主任等 7 人（草稿）');
    expect(await txt(rc.locator('#draft_note'))).toContain('暂存的内容');
    await shot(rc, 'draft');

    // ── 转办: without a reason the browser asks for one; with it, the step goes to the party committee ──
    await rc.click('#task-actions details.action summary:text("转办")');
    await rc.fill('#transfer_to', 'party-committee');
    await rc.fill('#transfer_reason', '居委会主任出差，转党组织办理');
    await shot(rc, 'transfer');
    await rc.click('#transfer-form button[type="submit"]');
    await rc.waitForURL(`${staff.base}/tasks`);
    expect(await txt(rc.locator('.flash'))).toBe(`已转办给 社区党组织（演示）：${STEP}`);

    // ── 委派: the party committee asks the residents' committee to fill it in ──
    const pc = await staff.as('party-committee');
    await pc.goto(`${staff.base}/messages`);
    expect(await txt(pc.locator('#message-list'))).toContain(`转办给您：${STEP}（${BK}）`);
    await shot(pc, 'messages');
    await staff.openFromInbox(pc, STEP);
    await pc.click('#task-actions details.action summary:text("委派")');
    await pc.fill('#delegate_to', 'residents-committee');
    await pc.fill('#delegate_reason', '请居委会整理会议记录');
    await pc.click('#delegate-form button[type="submit"]');
    expect(await txt(pc.locator('.flash'))).toBe(`已委派给 社区居民委员会（演示），办理后交回您：${STEP}`);

    // ── the delegate fills the form and hands it back ──
    await staff.openFromInbox(rc, STEP);
    expect(await txt(rc.locator('#delegation'))).toBe('委派：社区党组织（演示） 委派给 社区居民委员会（演示），请填写后提交，交回 社区党组织（演示） 复核提交。');
    await rc.fill('#f_jointMeetingDate', '2026-03-02');
    await rc.fill('#f_jointAttendees', '党委书记、居委会主任等 7 人');
    await rc.check('#f_decision_approve');
    await rc.fill('#f_opinion', '同意提交党员大会');
    await shot(rc, 'delegate-resolve');
    await rc.click('form.form button.primary');
    await rc.waitForURL(`${staff.base}/tasks`);
    expect(await txt(rc.locator('.flash'))).toBe(`已交回委派人：${STEP}（${BK}）`);

    // ── the party committee finds the values, copies the case to the street office and submits ──
    await staff.openFromInbox(pc, STEP);
    expect(await pc.inputValue('#f_jointAttendees')).toBe('党委书记、居委会主任等 7 人');
    // ── 加签: the street office must sign before the party committee may submit ──
    await pc.click('#task-actions details.action summary:text("加签")');
    await pc.fill('#signers_users', 'street-office');
    await pc.fill('#signers_reason', '涉及街道资金，请街道会签');
    await pc.click('#add-signers-form button[type="submit"]');
    expect(await txt(pc.locator('.flash'))).toBe(`已加签 1 人，全部签署后可提交：${STEP}`);
    expect(await txt(pc.locator('#cosigners'))).toBe('加签：街道办事处（演示）（待签署）');
    const signer = await staff.as('street-office');
    await signer.goto(`${staff.base}/messages`);
    await signer.locator('#message-list li', { hasText: '请加签' }).locator('button', { hasText: '查看' }).click();
    await signer.waitForURL(/\/tasks\/[^/?]+$/);
    await signer.check('#cosign_approve');
    await signer.fill('#cosign_opinion', '同意，资金由街道统筹');
    await shot(signer, 'cosign');
    await signer.click('#cosign-form button.primary');
    expect(await txt(signer.locator('.flash'))).toBe(`已签署：${STEP}`);
    await pc.goto(pc.url());
    expect(await txt(pc.locator('#cosigners'))).toBe('加签：街道办事处（演示）（已签署）');

    await pc.click('#task-actions details.action summary:text("抄送")');
    await pc.check('#cc-form input[name="groups"][value="street-office"]');
    await pc.fill('#cc_note', '加装电梯事项，请街道知悉');
    await pc.click('#cc-form button[type="submit"]');
    expect(await txt(pc.locator('.flash'))).toBe(`已抄送 1 人：${STEP}`);
    await staff.submitTask(pc, STEP);

    // ── the street office finds the copy, and reminds the party members' meeting ──
    const street = signer;
    await street.goto(`${staff.base}/cc`);
    expect(await txt(street.locator('#cc-list tbody tr', { hasText: BK }))).toContain('加装电梯事项，请街道知悉');
    await shot(street, 'cc');
    const next = (await d.instance(inst.id)).openTasks.find((t) => t.elementId === 'partyMeeting')!;
    await street.goto(`${staff.base}/tasks/${encodeURIComponent(next.id)}`);
    await street.click('#remind');
    expect(await txt(street.locator('.flash'))).toBe('已催办 1 人：党员大会审议');
    await street.click('#remind');
    expect(await txt(street.locator('#action_error'))).toMatch(/^该待办刚催办过：每 60 分钟最多催办一次，请于北京时间 \d\d:\d\d 后再催办$/);
    await shot(street, 'remind-refused');
    staff.errors.splice(0); // the 429 page was the point
    await pc.goto(`${staff.base}/messages`);
    expect(await txt(pc.locator('#message-list'))).toContain('催办：党员大会审议（P3-APPROVAL-01）');

    // ── 退回: the party members' meeting sends the case back to the joint meeting ──
    await staff.openFromInbox(pc, '党员大会审议');
    await pc.click('#task-actions details.action summary:text("退回")');
    expect(await txt(pc.locator('#return_target'))).toBe(STEP);
    await pc.fill('#return_reason', '预算依据不足，请两委重新商议');
    await shot(pc, 'return');
    await pc.click('#return-form button[type="submit"]');
    await pc.waitForURL(`${staff.base}/tasks`);
    expect(await txt(pc.locator('.flash'))).toBe(`已退回到 ${STEP}：党员大会审议`);
    expect((await d.instance(inst.id)).openTasks.map((t) => t.elementId)).toEqual(['jointMeeting']);

    // ── 撤回: a case nobody has touched yet is withdrawn by its starter ──
    const other = await d.start('party-committee', 'four-deliberations', { communityName: '幸福', subject: '误发起的提议', content: '内容', budget: 1000, reasons: '理由' }, 'P3-APPROVAL-02');
    await pc.goto(`${staff.base}/instances/${encodeURIComponent(other.id)}`);
    await pc.click('#withdraw summary');
    await pc.fill('#withdraw_reason', '提议内容有误，重新发起');
    await pc.click('#withdraw-form button[type="submit"]');
    expect(await txt(pc.locator('.flash'))).toBe('已撤回，流程已取消。');
    expect(await txt(pc.locator('.facts'))).toContain('已取消');
    await shot(pc, 'withdrawn');
    expect(staff.errors).toEqual([]);
  });

  it('后加签 on the task form, and 增加一份 of a multi-instance expert review', async () => {
    // ── 后加签: the residents' committee submits the minutes and asks the street office to sign after ──
    const bk = 'P3-APPROVAL-03';
    const inst = await d.start('party-committee', 'four-deliberations', { communityName: '幸福', subject: '幸福小区停车改造', content: '内容', budget: 80000, reasons: '理由' }, bk);
    const rc = await staff.as('residents-committee');
    await rc.goto(`${staff.base}/tasks/${encodeURIComponent(inst.openTasks[0]!.id)}`);
    await rc.fill('#f_jointMeetingDate', '2026-03-02');
    await rc.fill('#f_jointAttendees', '党委书记、居委会主任等 7 人');
    await rc.check('#f_decision_approve');
    await rc.fill('#f_opinion', '同意提交党员大会');
    await rc.click('details.sign-after summary');
    await rc.fill('#after_signers', 'street-office');
    await rc.fill('#after_reason', '涉及街道资金，请街道把关');
    await shot(rc, 'sign-after');
    await rc.click('#submit-sign-after');
    expect(await txt(rc.locator('.flash'))).toBe(`已提交，待 1 位后加签人签署同意后流程继续：${STEP}（${bk}）`);
    expect(await txt(rc.locator('#held'))).toContain('已于');
    expect(await txt(rc.locator('#cosigners'))).toBe('后加签：街道办事处（演示）（待签署）');
    expect(await rc.locator('#f_jointAttendees').isDisabled()).toBe(true);
    expect(await rc.inputValue('#f_jointAttendees')).toBe('党委书记、居委会主任等 7 人');
    await shot(rc, 'sign-after-held');

    // 撤回提交: the committee takes it back to correct it (the form returns as its draft), and submits again
    await rc.click('#recall-held');
    expect(await txt(rc.locator('.flash'))).toBe(`已撤回，请重新办理：${STEP}`);
    expect(await txt(rc.locator('#draft_note'))).toContain('暂存的内容');
    await rc.fill('#f_jointAttendees', '党委书记、居委会主任等 8 人');
    await rc.click('details.sign-after summary');
    await rc.fill('#after_signers', 'street-office');
    await rc.fill('#after_reason', '涉及街道资金，请街道把关');
    await rc.click('#submit-sign-after');
    expect(await txt(rc.locator('#cosigners'))).toBe('后加签：街道办事处（演示）（待签署）');

    // the street office reads what was submitted and agrees: the step is done as submitted, by the committee
    const street = await staff.as('street-office');
    await street.goto(`${staff.base}/messages`);
    expect(await txt(street.locator('#message-list'))).toContain(`请后加签：${STEP}（${bk}）`);
    // 我的待办 lists it under 待我签署, with who submitted it
    await street.goto(`${staff.base}/tasks`);
    const signRow = street.locator('#to-sign tbody tr', { hasText: bk });
    expect(await txt(signRow)).toContain('社区居民委员会（演示）');
    expect(await txt(street.locator('.list-count'))).toContain('待我签署 1 项');
    await shot(street, 'to-sign');
    await signRow.locator('a', { hasText: '签署' }).click();
    await street.waitForURL(/\/tasks\/[^/?]+$/);
    expect(await street.inputValue('#f_opinion')).toBe('同意提交党员大会');
    expect(await street.inputValue('#f_jointAttendees')).toBe('党委书记、居委会主任等 8 人');
    await street.check('#cosign_approve');
    await shot(street, 'sign-after-cosign');
    await street.click('#cosign-form button.primary');
    expect(await txt(street.locator('.flash'))).toBe(`已签署：${STEP}`);
    const after = await d.instance(inst.id);
    expect(after.openTasks.map((t) => t.elementId)).toEqual(['partyMeeting']);

    // ── 增加一份: an expert reviewing a pilot asks for one more expert, who gets a review of their own ──
    const p1 = await d.start(
      'leading-office',
      'pilot-campaign',
      { communityList: '翠湖社区，五华区', applicationDueDate: '2026-09-30', selfCheckDueDate: '2026-10-31', evaluationDueDate: '2026-11-30', namingDueDate: '2026-12-31' },
      'P1-APPROVAL-01',
    );
    await d.complete('county', p1.id, 'application', { applicationSummary: '基础条件', workPlan: '方案', contactPerson: '联络员' });
    await d.complete('leading-office', p1.id, 'acceptApplication', { decision: 'approve' });
    await d.complete('residents-committee', p1.id, 'build', { responsibleUnits: '社区', progressReport: '进展' });
    await d.complete('residents-committee', p1.id, 'selfCheck', { selfCheckScores: '党建引领：18\n居民自治：18\n社区服务：18\n平安法治：18\n特色创新：18', selfCheckReport: '报告' });
    await d.complete('county', p1.id, 'countyEvaluation', { decision: 'approve' });
    const [review] = await d.myTasks('expert2', p1.id, 'expertReview');
    await d.claim('expert2', review!);
    const expert = await staff.as('expert2');
    await expert.goto(`${staff.base}/tasks/${encodeURIComponent(review!.id)}`);
    await expert.click('#task-actions details.action summary:text("加签")');
    await expert.check('#signers_instance');
    await expert.fill('#signers_users', 'expert4');
    await expert.fill('#signers_reason', '评分分歧较大，增请一位专家');
    await shot(expert, 'add-instance');
    await expert.click('#add-signers-form button[type="submit"]');
    expect(await txt(expert.locator('.flash'))).toBe('已为“专家评估（每位专家独立评分）”增加 1 份，由加签人员各自办理');
    const fourth = await staff.as('expert4');
    await fourth.goto(`${staff.base}/tasks`);
    const row = fourth.locator('table.tasks tbody tr', { hasText: 'P1-APPROVAL-01' });
    expect(await txt(row)).toContain('专家评估');
    await shot(fourth, 'add-instance-inbox');
    expect((await d.instance(p1.id)).openTasks.filter((t) => t.elementId === 'expertReview')).toHaveLength(4);
    expect(staff.errors).toEqual([]);
  });
});

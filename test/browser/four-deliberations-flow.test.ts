import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { SHOTS } from './chromium.js';
import { type BrowserWalk, openBrowserWalk, StaffBrowser, txt } from './staff.js';
import type { ProcessDriver } from '../support/process-driver.js';

/**
 * One instance of the real P3 process (processes/four-deliberations.bpmn, 「四议两公开」) carried from the party
 * committee's proposal to the published implementation result through the staff pages only, in Debian's chromium:
 * login form, 我的待办, 签收, the generated task forms, approval radios and opinions. The party meeting sends the
 * proposal back for revision (退回修改) once; the representatives' vote count is first refused at the field and then
 * corrected. The manual clock is moved through the admin API to the end of the 5-working-day publicity period. The
 * notices are then read on the public board without login. Screenshots (prefix p3-) go to test-output/screenshots/.
 *
 * Same inputs and order of steps as test/processes/four-deliberations.test.ts (the API-level test of the process).
 */

const BK = 'P3-WEB-001';
const SUBJECT = '幸福小区加装电梯';
const RESOLUTION_TITLE = `关于“${SUBJECT}”的居民代表会议决议公示`;
const RESULT_TITLE = `关于“${SUBJECT}”实施结果的公示`;

let d: ProcessDriver;
let base = '';
let browser: Browser;
let staff: StaffBrowser;
let walk: BrowserWalk;

beforeAll(async () => {
  // Monday 2 March 2026, 09:00 China time.
  walk = await openBrowserWalk('p3_browser', '2026-03-02T09:00:00+08:00', BK);
  ({ d, browser, staff } = walk);
  base = staff.base;
  // Another matter already under way, so the inboxes hold more than the instance under test.
  await d.start(
    'party-committee',
    'four-deliberations',
    { subject: '社区活动室改造', content: '活动室地面和照明改造', budget: 30000, reasons: '活动室设施老化' },
    'P3-WEB-000',
  );
}, 120_000);

afterAll(async () => {
  await walk?.close();
});

const as = (username: string) => staff.as(username);
const openFromInbox = (page: Page, stepName: string) => staff.openFromInbox(page, stepName);
const submitTask = (page: Page, stepName: string) => staff.submitTask(page, stepName);

async function jointMeetingApproves(date: string, opinion: string): Promise<void> {
  const page = await as('residents-committee');
  await openFromInbox(page, '“两委”联席会议商议');
  expect(await txt(page.locator('.field.readonly', { hasText: '事项名称' }).locator('.value'))).toBe(SUBJECT);
  await page.fill('#f_jointMeetingDate', date);
  await page.fill('#f_jointAttendees', '党委书记、居委会主任等 7 人');
  await page.check('#f_decision_approve');
  await page.fill('#f_opinion', opinion);
  await submitTask(page, '“两委”联席会议商议');
}

async function instancePage(page: Page, instanceId: string): Promise<void> {
  await page.goto(`${base}/instances/${encodeURIComponent(instanceId)}`);
  // bpmn-js has drawn the diagram, put its markers on and turned to the current step.
  await page.locator('#diagram[data-rendered="true"]').waitFor({ timeout: 15_000 });
  await page.locator('#diagram .djs-element.bpmn-completed').first().waitFor({ timeout: 10_000 });
}

/** Whether the element's shape lies wholly inside the diagram's visible box. */
async function inView(page: Page, elementId: string): Promise<boolean> {
  return page.evaluate((id) => {
    const box = document.querySelector('#diagram')!.getBoundingClientRect();
    const shape = document.querySelector(`#diagram .djs-element[data-element-id="${id}"]`)?.getBoundingClientRect();
    return !!shape && shape.left >= box.left && shape.right <= box.right && shape.top >= box.top && shape.bottom <= box.bottom;
  }, elementId);
}

/** The painted fill and stroke of a diagram element's shape. */
async function shapeColours(page: Page, elementId: string): Promise<{ fill: string; stroke: string; classes: string }> {
  return page.evaluate((id) => {
    const el = document.querySelector(`#diagram .djs-element[data-element-id="${id}"]`);
    const shape = el?.querySelector('.djs-visual > :first-child');
    if (!el || !shape) return { fill: '', stroke: '', classes: '' };
    const style = getComputedStyle(shape);
    return { fill: style.fill, stroke: style.stroke, classes: el.getAttribute('class') ?? '' };
  }, elementId);
}

describe('P3 四议两公开 in chromium, through the pages only', () => {
  it('carries one matter from proposal to the published implementation result', async () => {
    // ── 第一议: the party committee proposes, on the start form ────────────────────────────────────────
    const party = await as('party-committee');
    await party.click('nav a[href="/start"]');
    expect(await txt(party.locator('h1'))).toBe('发起流程');
    const start = party.locator('details.start', { hasText: '四议两公开' });
    await start.locator('summary').click();
    await party.fill('#bk_four-deliberations', BK);
    await party.fill('#s_four-deliberations_subject', SUBJECT);
    await party.fill('#s_four-deliberations_content', '为幸福小区3栋加装电梯一部\n使用公共维修资金');
    await party.fill('#s_four-deliberations_budget', '120000');
    await party.fill('#s_four-deliberations_reasons', '3栋老年住户多，上下楼困难');
    // The documented practice is pre-filled.
    expect(await party.inputValue('#s_four-deliberations_quorumRatio')).toBe('2/3');
    expect(await party.inputValue('#s_four-deliberations_majorityRatio')).toBe('1/2');
    expect(await party.inputValue('#s_four-deliberations_publicityWorkingDays')).toBe('5');
    await start.locator('button.primary').click();
    await party.waitForURL(/\/instances\/[^/?]+$/);
    const instanceId = decodeURIComponent(new URL(party.url()).pathname.split('/').pop()!);
    expect(await txt(party.locator('.flash'))).toBe(`已发起：四议两公开（社区重大事项决策）（${BK}）`);
    expect(await txt(party.locator('#open_heading + ul'))).toContain('“两委”联席会议商议');

    // ── 第二议: the joint meeting of the two committees, claimed from the residents' committee's inbox ──
    const residents = await as('residents-committee');
    await residents.goto(`${base}/tasks`);
    expect(await residents.locator('table.tasks tbody tr').count()).toBe(2);
    expect(await txt(residents.locator('table.tasks tbody tr', { hasText: BK }))).toContain('待签收');
    await residents.screenshot({ path: path.join(SHOTS, 'p3-inbox-desktop.png'), fullPage: true });
    await jointMeetingApproves('2026-03-02', '同意提交党员大会');

    // ── 第三议: the party meeting, the next day, sends the proposal back (退回修改) ───────────────────────
    await d.setClock('2026-03-03T10:00:00+08:00');
    await openFromInbox(party, '党员大会审议');
    expect(await txt(party.locator('.policy .citation'))).toContain('第三议“党员大会审议”');
    await party.fill('#f_partyMeetingDate', '2026-03-03');
    await party.fill('#f_partyMembersTotal', '30');
    await party.fill('#f_partyMembersPresent', '22');
    await party.fill('#f_partyVotesFor', '9');
    await party.fill('#f_partyVotesAgainst', '13');
    await party.check('#f_decision_return');
    // The opinion is now required: the mark shows and the browser will not submit it empty.
    expect(await party.isVisible('[data-opinion-mark]')).toBe(true);
    expect(await party.locator('#f_opinion').evaluate((el) => (el as HTMLTextAreaElement).required)).toBe(true);
    await party.fill('#f_opinion', '预算偏高，请重新询价');
    await party.screenshot({ path: path.join(SHOTS, 'p3-approval.png'), fullPage: true });
    await submitTask(party, '党员大会审议');

    // ── the party committee revises: the return opinion is shown, the budget lowered ────────────────────
    await openFromInbox(party, '修改提议');
    expect(await txt(party.locator('.field.readonly', { hasText: '退回意见' }).locator('.value'))).toBe('预算偏高，请重新询价');
    expect(await party.inputValue('#f_subject')).toBe(SUBJECT);
    expect(await party.inputValue('#f_budget')).toBe('120000');
    await party.fill('#f_budget', '98000');
    await party.fill('#f_revisionNote', '重新询价，预算下调');
    await submitTask(party, '修改提议');

    // ── all deliberations again from the joint meeting ──────────────────────────────────────────────────
    await d.setClock('2026-03-04T10:00:00+08:00');
    await jointMeetingApproves('2026-03-04', '修改后的提议同意提交党员大会');
    await openFromInbox(party, '党员大会审议');
    await party.fill('#f_partyMeetingDate', '2026-03-04');
    await party.fill('#f_partyMembersTotal', '30');
    await party.fill('#f_partyMembersPresent', '25');
    await party.fill('#f_partyVotesFor', '21');
    await party.check('#f_decision_approve');
    expect(await party.isVisible('[data-opinion-mark]')).toBe(false);
    await party.fill('#f_opinion', '同意');
    await submitTask(party, '党员大会审议');

    // ── 第四议: the representatives' meeting; a vote count larger than those present is refused at the field ──
    await d.setClock('2026-03-05T10:00:00+08:00');
    await openFromInbox(residents, '居民代表会议决议（登记表决结果）');
    await residents.fill('#f_repsMeetingDate', '2026-03-05');
    await residents.fill('#f_repsTotal', '30');
    await residents.fill('#f_repsPresent', '20');
    await residents.fill('#f_votesFor', '15');
    await residents.fill('#f_votesAgainst', '5');
    await residents.fill('#f_abstentions', '1');
    await residents.fill('#f_repsMinutes', '居民代表 20 人到会，举手表决');
    await residents.click('form.form button.primary');
    expect(await txt(residents.locator('#f_votesFor_error'))).toBe(
      '赞成、反对、弃权票合计不能多于实到人数（实践规则：表决票数与到会人数相符）',
    );
    expect(await residents.locator('#f_votesFor').getAttribute('aria-invalid')).toBe('true');
    expect(await residents.evaluate(() => document.activeElement?.id)).toBe('f_votesFor');
    expect(await residents.inputValue('#f_repsPresent')).toBe('20');
    expect(await residents.inputValue('#f_votesAgainst')).toBe('5');
    expect(await residents.inputValue('#f_repsMeetingDate')).toBe('2026-03-05');
    expect(await residents.inputValue('#f_repsMinutes')).toBe('居民代表 20 人到会，举手表决');
    await residents.screenshot({ path: path.join(SHOTS, 'p3-task-form-error.png'), fullPage: true });
    await residents.fill('#f_votesFor', '11');
    await residents.fill('#f_votesAgainst', '6');
    await residents.fill('#f_abstentions', '3');
    await submitTask(residents, '居民代表会议决议（登记表决结果）');

    // ── 第一公开: the resolution is on the public board, and the matter waits out the publicity period ──
    await instancePage(party, instanceId);
    expect(await txt(party.locator('#open_heading + *'))).toBe('没有等待办理的步骤。');
    expect(await txt(party.locator('#notices_heading + ul'))).toContain(RESOLUTION_TITLE);
    const timeline = await txt(party.locator('.timeline'));
    expect(timeline).toContain('办理完成 · 党员大会审议 办理人：社区党组织（演示） 结论：退回修改 意见：预算偏高，请重新询价');
    expect(timeline).toContain('办理完成 · 修改提议');
    expect(await party.locator('.timeline .tag.d-approve').count()).toBe(3);
    expect(await party.locator('.timeline .tag.d-return').count()).toBe(1);
    // The markers are painted: steps done in green, the publicity timer active in blue with its badge.
    const done = await shapeColours(party, 'repsMeeting');
    expect(done.classes).toContain('bpmn-completed');
    expect(done).toMatchObject({ fill: 'rgb(232, 245, 233)', stroke: 'rgb(46, 125, 50)' });
    const waiting = await shapeColours(party, 'publicityEnds');
    expect(waiting.classes).toContain('bpmn-active');
    expect(waiting.stroke).toBe('rgb(21, 101, 192)');
    expect(await txt(party.locator('#diagram .bpmn-state-active'))).toBe('进行中');
    // The diagram is too wide to read whole: it opens at a readable size on the waiting step.
    expect(await inView(party, 'publicityEnds')).toBe(true);
    expect(await inView(party, 'proposal')).toBe(false);
    expect(await party.locator('#diagram .djs-element[data-element-id="publicityEnds"] .djs-visual > :first-child').evaluate(
      (el) => el.getBoundingClientRect().width,
    )).toBeGreaterThanOrEqual(36 * 0.7);
    expect((await shapeColours(party, 'implement')).classes).not.toMatch(/bpmn-(completed|active)/);
    expect((await shapeColours(party, 'endRejectedJoint')).classes).not.toMatch(/bpmn-(completed|active)/);
    await party.screenshot({ path: path.join(SHOTS, 'p3-instance.png'), fullPage: true });
    await party.locator('#diagram').screenshot({ path: path.join(SHOTS, 'p3-instance-diagram.png') });

    const anon = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const board = await anon.newPage();
    staff.watch(board);
    await board.goto(`${base}/notices`);
    expect(await txt(board.locator('h1'))).toBe('公示栏');
    expect(await txt(board.locator('.notice-list'))).toContain(RESOLUTION_TITLE);
    await board.click(`.notice-list a:text-is('${RESOLUTION_TITLE}')`);
    const resolution = await txt(board.locator('.notice-body'));
    expect(resolution).toContain('居民代表会议于2026年3月5日对下列事项作出决议');
    expect(resolution).toContain('98,000 元');
    expect(resolution).toContain('应到 30 人，实到 20 人；赞成 11 票，反对 6 票，弃权 3 票。决议通过。');
    expect(resolution).toContain('公示期：2026年3月5日至2026年3月12日（5 个工作日）');

    // ── no implementation before the last day of the publicity period has ended ────────────────────────
    await d.setClock('2026-03-12T23:59:00+08:00');
    await residents.goto(`${base}/tasks`);
    expect(await residents.locator('table.tasks tbody tr', { hasText: BK }).count()).toBe(0);
    expect((await d.advance('PT1M')).fired).toBe(1);

    // ── implementation: the overspend is explained ─────────────────────────────────────────────────────
    await openFromInbox(residents, '组织实施');
    expect(await txt(residents.locator('.field.readonly', { hasText: '预算金额' }).locator('.value'))).toBe('98,000');
    await residents.fill('#f_implementationSummary', '电梯已安装并通过验收');
    await residents.fill('#f_actualSpending', '130000');
    await residents.fill('#f_overspendReason', '井道加固增加费用');
    await residents.fill('#f_completedOn', '2026-04-30');
    await submitTask(residents, '组织实施');

    // ── 第二公开: the instance has ended, with the implementation result published ──────────────────────
    await instancePage(party, instanceId);
    expect(await txt(party.locator('.facts'))).toContain('已完成');
    expect((await shapeColours(party, 'endDone')).classes).toContain('bpmn-completed');
    expect(await inView(party, 'endDone')).toBe(true);
    expect((await shapeColours(party, 'publicityEnds')).classes).toContain('bpmn-completed');
    const timeline2 = await txt(party.locator('.timeline'));
    expect(timeline2).toContain('计时到期 · 决议公示期满');
    expect(timeline2).toContain('办理完成 · 组织实施 办理人：社区居民委员会（演示）');
    expect(timeline2).toContain('流程结束');
    // Passing gateways and the bare completion of steps told by their own entry stay out of the timeline.
    expect(timeline2).not.toContain('两委商议结论？');
    expect(timeline2).not.toContain('环节完成 · 决议公示期满');
    expect(timeline2).not.toContain('环节完成 · 计算到会比例与表决结果');
    expect(timeline2).toContain('自动办理 · 计算到会比例与表决结果');
    await party.locator('#diagram').screenshot({ path: path.join(SHOTS, 'p3-instance-completed-diagram.png') });
    expect(await txt(party.locator('#notices_heading + ul'))).toContain(RESULT_TITLE);
    await party.screenshot({ path: path.join(SHOTS, 'p3-instance-completed.png'), fullPage: true });

    // The public board, still without login: the result is current; the resolution's period has ended.
    await board.goto(`${base}/notices`);
    expect(await board.locator('nav a[href="/tasks"]').count()).toBe(0);
    const list = await txt(board.locator('.notice-list'));
    expect(list).toContain(RESULT_TITLE);
    expect(list).toContain(`实施结果公开 幸福社区 · 编号 ${BK}`);
    expect(list).not.toContain(RESOLUTION_TITLE);
    expect(list).toContain('公示期：2026-03-13 00:00 至 2026-03-20 23:59（5 个工作日）');
    await board.screenshot({ path: path.join(SHOTS, 'p3-notices.png'), fullPage: true });
    await board.click(`.notice-list a:text-is('${RESULT_TITLE}')`);
    expect(await txt(board.locator('.notice-page h1'))).toBe(RESULT_TITLE);
    // The template's own title is not shown a second time under the page's.
    expect(await board.locator('h1:visible', { hasText: RESULT_TITLE }).count()).toBe(1);
    const result = await txt(board.locator('.notice-body'));
    expect(result).toContain(`居民代表会议决议事项“${SUBJECT}”已实施完毕`);
    expect(result).toMatch(/完成日期\s*2026年4月30日/);
    expect(result).toMatch(/预算金额\s*98,000 元/);
    expect(result).toMatch(/实际支出\s*130,000 元/);
    expect(result).toMatch(/超支说明\s*井道加固增加费用/);
    expect(result).toContain('公示期：2026年3月13日至2026年3月20日（5 个工作日）');
    // Printed on A4: the page chrome is gone, the notice stays.
    await board.setViewportSize({ width: 794, height: 1123 });
    await board.emulateMedia({ media: 'print' });
    expect(await board.isVisible('header.top')).toBe(false);
    expect(await board.isVisible('[data-print]')).toBe(false);
    expect(await board.isVisible('.notice-body')).toBe(true);
    await board.screenshot({ path: path.join(SHOTS, 'p3-notice-print.png'), fullPage: true });
    const pdf = path.join(SHOTS, 'p3-notice.pdf');
    await board.pdf({ path: pdf, format: 'A4', preferCSSPageSize: true });
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    // The ended resolution notice still opens by its address, marked as ended.
    await board.emulateMedia({ media: 'screen' });
    const ended = await d.notices(BK);
    expect(ended.map((n) => n.title)).toEqual([RESOLUTION_TITLE, RESULT_TITLE]);
    await board.goto(`${base}/notices/${encodeURIComponent(ended[0]!.id)}`);
    expect(await txt(board.locator('.notice-page .tag'))).toBe('公示期已结束');
    await anon.close();

    // The residents' committee's 已办 lists its four steps of the matter.
    await residents.goto(`${base}/done`);
    expect(await residents.locator('table.list tbody tr', { hasText: BK }).count()).toBe(4);

    expect(staff.errors).toEqual([]);
  }, 240_000);

  it('shows the inbox as cards on a 375 px phone, nothing wider than the screen', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
    const page = await context.newPage();
    staff.watch(page);
    await page.goto(`${base}/login`);
    await page.fill('#username', 'party-committee');
    await page.fill('#password', 'demo');
    await page.click('form.form button.primary');
    await page.waitForURL(`${base}/tasks`);
    expect(await page.locator('table.tasks tbody tr').count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await page.locator('table.tasks thead').evaluate((el) => el.getBoundingClientRect().height <= 1)).toBe(true);
    // Every card's cells stay inside the card.
    const outside = await page.evaluate(() =>
      [...document.querySelectorAll('table.tasks tbody tr')].flatMap((tr) => {
        const box = tr.getBoundingClientRect();
        return [...tr.querySelectorAll('td')].filter((td) => {
          const r = td.getBoundingClientRect();
          return r.left < box.left - 0.5 || r.right > box.right + 0.5;
        }).map((td) => td.getAttribute('data-label'));
      }),
    );
    expect(outside).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'p3-inbox-375.png'), fullPage: true });
    await context.close();
    expect(staff.errors).toEqual([]);
  }, 60_000);
});

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { SHOTS } from './chromium.js';
import { type BrowserWalk, openBrowserWalk, StaffBrowser, txt } from './staff.js';
import type { ProcessDriver } from '../support/process-driver.js';

/**
 * P6 民生微实事 (processes/micro-project.bpmn) carried from collection to the published result through the staff pages
 * only, in Debian's chromium; the new processes (P5–P8) as the admin's process list and the start page show them.
 * Screenshots (prefix p6-) go to test-output/screenshots/.
 */

const BK = 'P6-WEB-001';
const TITLE = '幸福社区“民生微实事”项目“3栋楼道照明改造”实施结果公示';

let d: ProcessDriver;
let browser: Browser;
let staff: StaffBrowser;
let walk: BrowserWalk;

beforeAll(async () => {
  walk = await openBrowserWalk('p6_browser', '2026-04-01T09:00:00+08:00', BK);
  ({ d, browser, staff } = walk);
}, 120_000);

afterAll(async () => {
  await walk?.close();
});

describe('P6 micro-project in the browser', () => {
  it('the administrator sees the eight processes by their Chinese names', async () => {
    const admin = await staff.as('admin');
    await admin.goto(`${staff.base}/admin/processes`);
    const list = await txt(admin.locator('main'));
    for (const name of ['网格事件', '民生微实事', '下沉人员年度考核', '年度评奖', '四议两公开', '社区居民委员会换届选举', '城乡社区治理创新试点', '社区精神康复综合服务中心']) {
      expect(list).toContain(name);
    }
    await admin.screenshot({ path: path.join(SHOTS, 'p6-admin-processes.png'), fullPage: true });
  });

  it('collected on the start page, reviewed, determined, implemented, accepted, and the result read on the public board', async () => {
    const residents = await staff.as('residents-committee');
    await residents.click('nav a[href="/start"]');
    const start = residents.locator('details.start', { hasText: '民生微实事' });
    await start.locator('summary').click();
    await residents.fill('#bk_micro-project', BK);
    await residents.fill('#s_micro-project_communityName', '幸福社区');
    await residents.fill('#s_micro-project_projectName', '3栋楼道照明改造');
    await residents.fill('#s_micro-project_projectContent', '3栋楼道灯损坏多年，夜间出行不便');
    await residents.fill('#s_micro-project_proposedBy', '3栋居民（楼栋长代表 12 户提出）');
    await residents.selectOption('#s_micro-project_collectionChannel', 'platform');
    await residents.fill('#s_micro-project_estimatedCost', '8000');
    expect(await residents.inputValue('#s_micro-project_resultPublicityWorkingDays')).toBe('5');
    await residents.screenshot({ path: path.join(SHOTS, 'p6-start.png'), fullPage: true });
    await start.locator('button.primary').click();
    await residents.waitForURL(/\/instances\/[^/?]+$/);
    expect(await txt(residents.locator('.flash'))).toBe(`已发起：民生微实事（${BK}）`);

    // 群众评议 on 3 April: more supporters than participants is refused at the field, then corrected
    await d.setClock('2026-04-03T18:00:00+08:00');
    await staff.openFromInbox(residents, '群众评议');
    await residents.fill('#f_reviewDate', '2026-04-03');
    await residents.fill('#f_reviewParticipants', '40');
    await residents.fill('#f_reviewSupporters', '41');
    await residents.fill('#f_reviewOpinions', '同意改造，建议用节能灯');
    await residents.click('form.form button.primary');
    expect(await txt(residents.locator('#f_reviewSupporters_error'))).toBe('支持人数不能多于参加评议的人数（《社会治理活动方案》篇四 第32项：评议）');
    expect(await residents.inputValue('#f_reviewOpinions')).toBe('同意改造，建议用节能灯');
    await residents.fill('#f_reviewSupporters', '36');
    await staff.submitTask(residents, '群众评议');

    // 党委确定: the review result is shown; 确定实施 with a budget
    const party = await staff.as('party-committee');
    await staff.openFromInbox(party, '社区党委确定项目');
    expect(await txt(party.locator('.field.readonly', { hasText: '群众评议结果' }).locator('.value'))).toBe('参加 40 人，支持 36 人');
    await party.check('#f_decision_approve');
    await party.fill('#f_opinion', '同意实施');
    await party.fill('#f_approvedBudget', '8000');
    await party.screenshot({ path: path.join(SHOTS, 'p6-determine.png'), fullPage: true });
    await staff.submitTask(party, '社区党委确定项目');

    // the work is done by 20 April and recorded that day; accepted on the 22nd
    await d.setClock('2026-04-20T17:00:00+08:00');
    await staff.openFromInbox(party, '社区党委组织实施');
    await party.fill('#f_startedOn', '2026-04-10');
    await party.fill('#f_completedOn', '2026-04-20');
    await party.fill('#f_actualCost', '8000');
    await party.fill('#f_implementationReport', '更换 24 盏节能灯');
    await staff.submitTask(party, '社区党委组织实施');

    await d.setClock('2026-04-22T10:00:00+08:00');
    const street = await staff.as('street-office');
    await staff.openFromInbox(street, '项目验收');
    await street.fill('#f_acceptedOn', '2026-04-22');
    await street.check('#f_decision_approve');
    await street.fill('#f_opinion', '合格');
    await staff.submitTask(street, '项目验收');

    // the result on the public board, without login
    const anon = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const board = await anon.newPage();
    staff.watch(board);
    await board.goto(`${staff.base}/notices`);
    expect(await txt(board.locator('.notice-list'))).toContain(TITLE);
    await board.click(`.notice-list a:text-is('${TITLE}')`);
    const notice = await txt(board.locator('article.notice'));
    expect(notice).toContain('群众点菜、党委实施');
    expect(notice).toContain('参加 40 人，支持 36 人');
    expect(notice).toContain('8,000 元');
    await board.screenshot({ path: path.join(SHOTS, 'p6-notice.png'), fullPage: true });
    await anon.close();
    expect(staff.errors).toEqual([]);
  });
});

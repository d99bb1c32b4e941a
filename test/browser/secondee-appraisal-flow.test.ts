import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { SHOTS } from './chromium.js';
import { type BrowserWalk, openBrowserWalk, readonlyValue, StaffBrowser, txt } from './staff.js';
import type { ProcessDriver } from '../support/process-driver.js';

/**
 * P7 下沉人员年度考核 (processes/secondee-appraisal.bpmn) carried from the start to the published result through the
 * staff pages only, in Debian's chromium: street-office starts it (69% refused at the field, 70% accepted),
 * home-department and party-committee score, district-hr files it, and the result is read on the public board.
 * The clock is Monday 5 January 2026, 09:00 China time. Screenshots (prefix p7-) go to test-output/screenshots/.
 */

const BK = 'P7-WEB-001';
const KEY = 'secondee-appraisal';
const TITLE = '2025年度下沉人员考核结果公示（凤凰社区·张伟）';
const FLOOR_70 =
  '“社区党委考核比重（%）”不得低于 70%：社区综合整治、治安消防队伍，社区党委考核比重不低于70%（《社会治理活动方案》篇四 第11项）';

let d: ProcessDriver;
let browser: Browser;
let staff: StaffBrowser;
let walk: BrowserWalk;

beforeAll(async () => {
  walk = await openBrowserWalk('p7_browser', '2026-01-05T09:00:00+08:00', BK);
  ({ d, browser, staff } = walk);
}, 120_000);

afterAll(async () => {
  await walk?.close();
});

describe('P7 secondee-appraisal in the browser', () => {
  it('started on the start page, scored by both parties, filed with district HR, and the result read on the public board', async () => {
    // 街道办事处 starts the appraisal: 69% for 社区综合整治队伍 is refused at the field, the input is kept
    const street = await staff.as('street-office');
    await street.click('nav a[href="/start"]');
    const start = street.locator('details.start', { hasText: '下沉人员年度考核' });
    await start.locator('summary').click();
    await street.fill(`#bk_${KEY}`, BK);
    await street.fill(`#s_${KEY}_appraisalYear`, '2025');
    await street.fill(`#s_${KEY}_communityName`, '凤凰社区');
    await street.fill(`#s_${KEY}_secondeeName`, '张伟');
    await street.selectOption(`#unit_${KEY}`, 'demo-community-a');
    await street.selectOption(`#s_${KEY}_team`, 'rectification');
    await street.fill(`#s_${KEY}_homeDepartment`, '福永街道综合执法队');
    expect(await street.inputValue(`#s_${KEY}_committeeWeight`)).toBe('70');
    expect(await street.inputValue(`#s_${KEY}_publicityWorkingDays`)).toBe('5');
    await street.fill(`#s_${KEY}_committeeWeight`, '69');
    await street.fill(`#s_${KEY}_workPlanRef`, '福永街道下沉人员管理工作方案');
    await street.fill(`#s_${KEY}_appraisalDueDate`, '2026-01-31');
    await start.locator('button.primary').click();
    await street.waitForURL(`${staff.base}/start/${KEY}`);
    expect(await txt(street.locator(`#s_${KEY}_committeeWeight_error`))).toBe(FLOOR_70);
    const refused = street.locator('details.start', { hasText: '下沉人员年度考核' });
    expect(await refused.getAttribute('open')).not.toBeNull();
    expect(await street.inputValue(`#bk_${KEY}`)).toBe(BK);
    expect(await street.inputValue(`#s_${KEY}_communityName`)).toBe('凤凰社区');
    expect(await street.inputValue(`#s_${KEY}_secondeeName`)).toBe('张伟');
    expect(await street.inputValue(`#s_${KEY}_team`)).toBe('rectification');
    expect(await street.inputValue(`#s_${KEY}_homeDepartment`)).toBe('福永街道综合执法队');
    expect(await street.inputValue(`#s_${KEY}_committeeWeight`)).toBe('69');
    expect(await street.inputValue(`#s_${KEY}_workPlanRef`)).toBe('福永街道下沉人员管理工作方案');
    expect(await street.inputValue(`#s_${KEY}_appraisalDueDate`)).toBe('2026-01-31');
    await street.screenshot({ path: path.join(SHOTS, 'p7-start-refused.png'), fullPage: true });
    await street.fill(`#s_${KEY}_committeeWeight`, '70');
    await refused.locator('button.primary').click();
    await street.waitForURL(/\/instances\/[^/?]+$/);
    expect(await txt(street.locator('.flash'))).toBe(`已发起：下沉人员年度考核（${BK}）`);

    // 主管部门 scores (its weight, 100 − 70, is shown)
    const home = await staff.as('home-department');
    await staff.openFromInbox(home, '主管部门考核评分');
    expect(await txt(readonlyValue(home, '下沉人员姓名'))).toBe('张伟');
    expect(await txt(readonlyValue(home, '所属队伍'))).toBe('社区综合整治队伍');
    expect(await txt(readonlyValue(home, '主管部门考核比重（%）'))).toBe('30');
    await home.fill('#f_homeScore', '85');
    await home.fill('#f_homeComment', '到岗到位，持证上岗，工作落实较好');
    await staff.submitTask(home, '主管部门考核评分');

    // 社区党委 scores without a veto (its weight, 70, is shown)
    const party = await staff.as('party-committee');
    await staff.openFromInbox(party, '社区党委考核评分（可一票否决）');
    expect(await txt(readonlyValue(party, '社区党委考核比重（%）'))).toBe('70');
    expect(await party.inputValue('#f_vetoReason')).toBe('none');
    await party.fill('#f_committeeScore', '92');
    await party.fill('#f_committeeComment', '响应社区诉求及时，参加联合整治行动积极');
    await party.screenshot({ path: path.join(SHOTS, 'p7-committee.png'), fullPage: true });
    await staff.submitTask(party, '社区党委考核评分（可一票否决）');

    // 区人力资源部门 files the computed result: 85 × 30% + 92 × 70% = 25.5 + 64.4 = 89.9 → 89.90
    const hr = await staff.as('district-hr');
    await staff.openFromInbox(hr, '报区组织人事部门备案');
    expect(await txt(readonlyValue(hr, '考核结果'))).toBe('综合得分 89.90 分');
    const summary = await txt(readonlyValue(hr, '计分'));
    expect(summary).toContain('主管部门评分 85 × 30%');
    expect(summary).toContain('社区党委评分 92 × 70%');
    expect(summary).toContain('综合得分 89.90 分');
    expect(await txt(readonlyValue(hr, '考核比重'))).toContain('社区党委考核比重 70%');
    await hr.check('#f_decision_approve');
    await hr.fill('#f_filingNo', '宝人社备〔2026〕3号');
    await hr.fill('#f_filedOn', '2026-01-05');
    await hr.screenshot({ path: path.join(SHOTS, 'p7-filing.png'), fullPage: true });
    await staff.submitTask(hr, '报区组织人事部门备案');

    // the result on the public board, without login
    const anon = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const board = await anon.newPage();
    staff.watch(board);
    await board.goto(`${staff.base}/notices`);
    expect(await txt(board.locator('.notice-list'))).toContain(TITLE);
    await board.screenshot({ path: path.join(SHOTS, 'p7-notices.png'), fullPage: true });
    await board.click(`.notice-list a:text-is('${TITLE}')`);
    const notice = await txt(board.locator('article.notice'));
    expect(notice).toContain('考核结果已报区组织人事部门备案，现予公示');
    expect(notice).toContain('公示期：2026年1月5日至2026年1月12日（5 个工作日）');
    expect(notice).toContain('依据：《社会治理活动方案》篇四 第11项（考核结果公示前应报区组织人事部门备案）');
    const entry = (term: string) => txt(board.locator(`article.notice dt:text-is("${term}") + dd`));
    expect(await entry('社区')).toBe('凤凰社区');
    expect(await entry('姓名')).toBe('张伟');
    expect(await entry('所属队伍')).toBe('社区综合整治队伍');
    expect(await entry('主管部门')).toBe('福永街道综合执法队');
    expect(await entry('考核比重')).toBe('社区党委 70%，主管部门 30%');
    expect(await entry('计分')).toBe('主管部门评分 85 × 30% = 25.5；社区党委评分 92 × 70% = 64.4；合计 89.9，综合得分 89.90 分（四舍五入保留两位小数）');
    expect(await entry('考核结果')).toBe('综合得分 89.90 分');
    expect(await entry('备案')).toBe('2026年1月5日报区组织人事部门备案，备案编号 宝人社备〔2026〕3号');
    await board.screenshot({ path: path.join(SHOTS, 'p7-notice.png'), fullPage: true });
    await anon.close();
    expect(staff.errors).toEqual([]);
  });
});

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { SHOTS } from './chromium.js';
import { type BrowserWalk, fillRows, openBrowserWalk, readonlyValue, rowsOf, StaffBrowser, txt } from './staff.js';
import type { ProcessDriver } from '../support/process-driver.js';

/**
 * P8 年度评奖 (processes/annual-awards.bpmn) carried from the start to the granted awards through the staff pages
 * only, in Debian's chromium: county (区政府办公室) starts it and compiles the scores, city confirms the city ranks,
 * awards-conference determines the innovation award, supervising-bureau checks the data, the conference approves
 * the computed award list, county grants the awards, and supervising-bureau closes its supervision.
 * Same figures as test/processes/annual-awards.test.ts: 640,000 yuan, of which 32,000 to the heads.
 * Screenshots (prefix p8-) go to test-output/screenshots/.
 */

const BK = 'P8-WEB-2025';
const KEY = 'annual-awards';
const NAME = '年度评奖（社会事业发展奖、社会治理创新奖）';
const S1 = '《社会治理活动方案》篇七 三(一)';
const S2 = '《社会治理活动方案》篇七 三(二)';
const S42 = '《社会治理活动方案》篇七 四(二)';

const TOWNS = '甲街道：96.5\n乙镇：94\n丙街道：91\n丁镇：88';
const SEPARATE = '滨湖世纪社区：98.2\nx社区：95\nx经济开发区：90';
const DEPARTMENTS = '教育局：97\n卫生健康局：95\n民政局：93\n文化旅游局：92\n人社局：90';

let d: ProcessDriver;
let browser: Browser;
let staff: StaffBrowser;
let walk: BrowserWalk;

beforeAll(async () => {
  walk = await openBrowserWalk('p8_browser', '2026-01-12T09:00:00+08:00', BK);
  ({ d, browser, staff } = walk);
}, 120_000);

afterAll(async () => {
  await walk?.close();
});

/**
 * The non-empty lines of a multi-line text, each trimmed. Trimmed because the pages indent every line of a multi-line
 * value after the first by the indentation of `{{> fields}}` in the page template (Handlebars indents standalone
 * partials line by line), both in a textarea sent back with field errors and in a readonly value.
 */
function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}

/** The lines of a readonly multi-line value, as shown. */
async function shownLines(page: Page, label: string): Promise<string[]> {
  const value = readonlyValue(page, label);
  await value.first().waitFor({ timeout: 10_000 });
  return lines(await value.first().innerText());
}

describe('P8 annual-awards in the browser', () => {
  it('started by county, carried by city, the conference and the supervising bureau to the granted awards', async () => {
    // 区政府办公室 starts the award year; the assessment basis of 二 is prefilled
    const county = await staff.as('county');
    await county.click('nav a[href="/start"]');
    const start = county.locator('details.start', { hasText: NAME });
    await start.locator('summary').click();
    await county.fill(`#bk_${KEY}`, BK);
    await county.fill(`#s_${KEY}_awardYear`, '2025');
    expect(await county.inputValue(`#s_${KEY}_assessmentBasis`)).toBe('全区经济社会发展年度目标任务；区政府《年度工作目标任务的通知》下达的社会发展考核目标');
    await county.screenshot({ path: path.join(SHOTS, 'p8-start.png'), fullPage: true });
    await start.locator('button.primary').click();
    await county.waitForURL(/\/instances\/[^/?]+$/);
    const instanceUrl = county.url();
    expect(await txt(county.locator('.flash'))).toBe(`已发起：${NAME}（${BK}）`);

    // 汇总: a veto for work outside the five areas of 四(二) is refused at the field, the other inputs are kept
    await staff.openFromInbox(county, '汇总考核得分和“一票否决”情况');
    // the score lists are tables: typed row by row
    await fillRows(county, 'f_townScores', rowsOf(TOWNS));
    await fillRows(county, 'f_separateGroupScores', rowsOf(SEPARATE));
    await fillRows(county, 'f_departmentScores', rowsOf(DEPARTMENTS));
    await county.fill('#f_unitHonours', '教育局：全国文明单位');
    await fillRows(county, 'f_vetoList', [['丁镇', '招商引资']]);
    await county.click('form.form button.primary');
    expect(await txt(county.locator('#f_vetoList_error'))).toBe(
      `每行填写“单位名称：被否决的工作”，工作只能是人口和计划生育、社会治安综合治理、环境保护和节能减排、安全生产和重大安全生产事故风险、党风廉政建设之一（${S42}）`,
    );
    // (lines compared trimmed: the re-rendered textarea indents every line after the first, see lines())
    expect(lines(await county.inputValue('#f_departmentScores'))).toEqual(DEPARTMENTS.split('\n'));
    expect(lines(await county.inputValue('#f_townScores'))).toEqual(TOWNS.split('\n'));
    expect(await county.inputValue('#f_unitHonours')).toBe('教育局：全国文明单位');
    await county.screenshot({ path: path.join(SHOTS, 'p8-compile-refused.png'), fullPage: true });
    await fillRows(county, 'f_vetoList', []);
    await staff.submitTask(county, '汇总考核得分和“一票否决”情况');

    // 市级考核名次: 卫生健康局 (2nd by score) is not 城区第一; 丙街道 holds the municipal innovation prize
    const city = await staff.as('city');
    await staff.openFromInbox(city, '确认市级考核名次和市政府工作创新奖');
    await city.fill('#f_cityFirstUnits', '教育局\n民政局\n文化旅游局\n人社局');
    await fillRows(city, 'f_municipalPrizeUnits', [['丙街道', '“智慧社区”项目']]);
    await staff.submitTask(city, '确认市级考核名次和市政府工作创新奖');

    // 联席会议 determines the innovation award: 丙街道 directly, 民政局 on the criteria
    const conference = await staff.as('awards-conference');
    await staff.openFromInbox(conference, '评定社会治理创新奖');
    expect(await shownLines(conference, '市级考核名次城区第一的单位')).toEqual(['教育局', '民政局', '文化旅游局', '人社局']);
    await conference.check('#f_directAwardConfirmed');
    await fillRows(conference, 'f_innovationAwardees', [['民政局', '“社区治理积分制”在全省推广']]);
    await conference.check('#f_innovationCriteriaMet');
    await staff.submitTask(conference, '评定社会治理创新奖');

    // 区监察局 checks the data
    const bureau = await staff.as('supervising-bureau');
    await staff.openFromInbox(bureau, '区监察局监督审核考核数据');
    expect(await shownLines(bureau, '各街镇社会事业发展目标评价得分')).toEqual(TOWNS.split('\n'));
    await bureau.selectOption('#f_reviewResult', 'confirmed');
    await staff.submitTask(bureau, '区监察局监督审核考核数据');

    // 联席会议审定: the computed award list with the amounts, the heads' 5% and the totals
    await staff.openFromInbox(conference, '联席会议审定获奖名单');
    expect(await shownLines(conference, '考核名次')).toEqual([
      '街镇（社会事业发展目标评价得分）：第 1 名 甲街道 96.5 分；第 2 名 乙镇 94 分；第 3 名 丙街道 91 分；第 4 名 丁镇 88 分',
      '单独考核组（优秀等次）（社会事业发展目标评价得分折算分值）：第 1 名 滨湖世纪社区 98.2 分；第 2 名 x社区 95 分；第 3 名 x经济开发区 90 分',
      '区直社会事业部门、单位（全区年度经济社会发展目标考核得分）：第 1 名 教育局 97 分；第 2 名 卫生健康局 95 分；第 3 名 民政局 93 分；第 4 名 文化旅游局 92 分；第 5 名 人社局 90 分',
    ]);
    const awards = await shownLines(conference, '获奖名单及奖金');
    expect(awards).toHaveLength(9);
    expect(awards[0]).toBe(
      `1. 甲街道　2025年度社会事业发展优秀奖　100,000 元（其中党政主要负责人 5,000 元，单位 95,000 元）——街镇社会事业发展目标评价得分第 1 名（96.5 分）（${S1}）`,
    );
    const heads = awards.map((l) => l.replace(/——.*$/, ''));
    expect(heads).toEqual([
      '1. 甲街道　2025年度社会事业发展优秀奖　100,000 元（其中党政主要负责人 5,000 元，单位 95,000 元）',
      '2. 乙镇　2025年度社会事业发展先进奖　60,000 元（其中党政主要负责人 3,000 元，单位 57,000 元）',
      '3. 滨湖世纪社区　2025年度社会事业发展优秀奖　100,000 元（其中党政主要负责人 5,000 元，单位 95,000 元）',
      '4. x社区　2025年度社会事业发展先进奖　60,000 元（其中党政主要负责人 3,000 元，单位 57,000 元）',
      '5. 教育局　2025年度社会事业发展优秀奖　100,000 元（其中党政主要负责人 5,000 元，单位 95,000 元）',
      '6. 民政局　2025年度社会事业发展先进奖　60,000 元（其中党政主要负责人 3,000 元，单位 57,000 元）',
      '7. 文化旅游局　2025年度社会事业发展先进奖　60,000 元（其中党政主要负责人 3,000 元，单位 57,000 元）',
      '8. 丙街道　2025年度社会治理创新奖　50,000 元（其中党政主要负责人 2,500 元，单位 47,500 元）',
      '9. 民政局　2025年度社会治理创新奖　50,000 元（其中党政主要负责人 2,500 元，单位 47,500 元）',
    ]);
    expect(awards[7]).toContain(`获市政府工作创新奖社会事业类项目（“智慧社区”项目），直接确定（${S2}）`);
    expect(awards.join('\n')).not.toContain('卫生健康局');
    expect(await txt(readonlyValue(conference, '取消评选资格、不予授予的单位'))).toBe('（无）');
    // 3 × 100,000 + 4 × 60,000 + 2 × 50,000 = 640,000; 5% of each = 32,000 to the heads
    expect(await txt(readonlyValue(conference, '奖金合计（元）'))).toMatch(/^640,?000$/);
    expect(await txt(readonlyValue(conference, '其中党政主要负责人奖励合计（元）'))).toMatch(/^32,?000$/);
    expect(await txt(conference.locator('.policy .citation'))).toContain('《社会治理活动方案》篇七 四(一)');
    await conference.check('#f_decision_approve');
    await conference.screenshot({ path: path.join(SHOTS, 'p8-conference.png'), fullPage: true });
    await staff.submitTask(conference, '联席会议审定获奖名单');

    // 区政府办公室 grants the medals and the money at the ceremony on 10 February: refused until ticked, then done
    await d.setClock('2026-02-10T10:00:00+08:00');
    await staff.openFromInbox(county, '授予奖牌并由区财政一次性奖励');
    expect(await shownLines(county, '获奖名单及奖金')).toHaveLength(9);
    await county.fill('#f_grantedOn', '2026-02-10');
    await county.click('form.form button.primary');
    expect(await txt(county.locator('#f_awardsGranted_error'))).toBe(`须授予奖牌并拨付奖金后办结（${S1}、${S2}）`);
    expect(await county.inputValue('#f_grantedOn')).toBe('2026-02-10');
    await county.check('#f_awardsGranted');
    await county.screenshot({ path: path.join(SHOTS, 'p8-grant.png'), fullPage: true });
    await staff.submitTask(county, '授予奖牌并由区财政一次性奖励');

    // 区监察局 finds no falsification and closes its supervision: the award year is over
    await staff.openFromInbox(bureau, '区监察局监督（发现弄虚作假的追回所有奖项）');
    await bureau.selectOption('#f_supervisionOutcome', 'close');
    await staff.submitTask(bureau, '区监察局监督（发现弄虚作假的追回所有奖项）');

    await county.goto(instanceUrl);
    expect(await txt(county.locator('.facts .status'))).toBe('已完成');
    await county.screenshot({ path: path.join(SHOTS, 'p8-instance.png'), fullPage: true });
    expect(staff.errors).toEqual([]);
  });
});

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { SHOTS } from './chromium.js';
import { type BrowserWalk, openBrowserWalk, StaffBrowser, txt } from './staff.js';
import type { ProcessDriver } from '../support/process-driver.js';

/**
 * Issue 15's rules in Debian's chromium, walked by the people who meet them: a P2 election started by the street
 * office with a community name that already ends in 社区; a meeting dated tomorrow and an election day inside the
 * voter list's publicity refused at their fields, the typed values kept; the voter list read on the public board
 * with its 落款; the admin moving the manual clock on 平台时钟; the vote count entered as rows, a wrong row named
 * and marked, corrected; the admin's diagram at a readable size; P1's lists as rows, and without script as text; the
 * 404 page and the favicon. Screenshots (prefix rules-) go to test-output/screenshots/.
 */

const BK = 'P2-RULES-001';
const LIST_TITLE = '翠湖社区居民委员会换届选举选民名单公告';
const RESULT_TITLE = '翠湖社区居民委员会换届选举第1轮选举结果公告';

let d: ProcessDriver;
let browser: Browser;
let staff: StaffBrowser;
let walk: BrowserWalk;
let instanceId = '';

beforeAll(async () => {
  // Monday 2 March 2026, 09:00 in Beijing.
  walk = await openBrowserWalk('case_rules_browser', '2026-03-02T09:00:00+08:00', BK);
  ({ d, browser, staff } = walk);
}, 120_000);

afterAll(async () => {
  await walk?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `rules-${name}.png`), fullPage: true });

/** The cells of the row editor of a field, row by row. */
async function rows(page: Page, fieldId: string): Promise<string[][]> {
  return page.locator(`#f_${fieldId} + .table-editor tbody tr`).evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('input')).map((input) => (input as HTMLInputElement).value)),
  );
}

async function anonymous(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  staff.watch(page);
  return page;
}

describe('P2 with the rules of issue 15, as the staff who do each step', () => {
  it('the street office starts it; 翠湖社区 stays 翠湖社区', async () => {
    const street = await staff.as('street-office');
    await street.click('nav a[href="/start"]');
    const start = street.locator('details.start', { hasText: '社区居民委员会换届选举' });
    await start.locator('summary').click();
    await street.fill('#bk_committee-election', BK);
    // a community's election: the street office chooses which of its communities
    expect(await start.locator('#unit_committee-election option').allTextContents()).toEqual(['请选择社区', '和谐社区', '幸福社区']);
    await street.selectOption('#unit_committee-election', 'demo-community-a');
    await street.fill('#s_committee-election_communityName', '翠湖社区');
    await street.fill('#s_committee-election_households', '1200');
    await street.fill('#s_committee-election_committeeSize', '5');
    await street.fill('#s_committee-election_sizeReason', '社区 1200 户，工作任务适中，宜设 5 人');
    await start.locator('button.primary').click();
    await street.waitForURL(/\/instances\/[^/?]+$/);
    instanceId = decodeURIComponent(new URL(street.url()).pathname.split('/').pop()!);
    expect(await txt(street.locator('.flash'))).toBe(`已发起：社区居民委员会换届选举（${BK}）`);
  });

  it('the representatives’ meeting dated tomorrow is refused at the field, the figures kept', async () => {
    const reps = await staff.as('resident-reps');
    await staff.openFromInbox(reps, '居民代表审议职数');
    expect(await reps.getAttribute('#f_repsMeetingDate', 'max')).toBe('2026-03-02');
    expect(await txt(reps.locator('#f_repsMeetingDate_dates'))).toBe('日期要求：不能晚于今天（2026-03-02）');
    await reps.fill('#f_repsMeetingDate', '2026-03-03');
    await reps.fill('#f_repsTotal', '40');
    await reps.fill('#f_repsConsenting', '30');
    await reps.click('form.form button.primary');
    expect(await txt(reps.locator('#f_repsMeetingDate_error'))).toBe('“居民代表会议日期”不能晚于今天（2026-03-02）');
    expect(await reps.locator('#f_repsMeetingDate').getAttribute('aria-invalid')).toBe('true');
    expect(await reps.evaluate(() => document.activeElement?.id)).toBe('f_repsMeetingDate');
    expect(await reps.inputValue('#f_repsMeetingDate')).toBe('2026-03-03');
    expect(await reps.inputValue('#f_repsConsenting')).toBe('30');
    await shot(reps, 'p2-future-meeting');
    await reps.fill('#f_repsMeetingDate', '2026-03-02');
    await staff.submitTask(reps, '居民代表审议职数');
  });

  it('the residents’ committee cannot set the election inside the voter list’s publicity', async () => {
    const residents = await staff.as('residents-committee');
    await staff.openFromInbox(residents, '确定选举方式并登记选民');
    expect(await txt(residents.locator('#f_electionDate_dates'))).toBe('日期要求：须晚于 2026-03-22（今天之后 20 日）');
    expect(await residents.getAttribute('#f_electionDate', 'min')).toBe('2026-03-23');
    await residents.selectOption('#f_electorateType', 'all-voters');
    await residents.fill('#f_registeredVoters', '1000');
    await residents.fill('#f_electionDate', '2026-03-22');
    await residents.fill('#f_voterListNote', '名单张贴于社区公告栏，异议请向选举委员会提出');
    await residents.click('form.form button.primary');
    expect(await txt(residents.locator('#f_electionDate_error'))).toBe(
      '选举日须晚于选民名单公布期的最后一天（2026-03-22）：名单在本步骤提交后即公布，公布期满后才能投票（实践规则：选民名单在选举日前公布）',
    );
    expect(await residents.inputValue('#f_electionDate')).toBe('2026-03-22');
    expect(await residents.inputValue('#f_registeredVoters')).toBe('1000');
    expect(await residents.inputValue('#f_electorateType')).toBe('all-voters');
    expect(await residents.inputValue('#f_voterListNote')).toBe('名单张贴于社区公告栏，异议请向选举委员会提出');
    await shot(residents, 'p2-election-day');
    await residents.fill('#f_electionDate', '2026-03-23');
    await staff.submitTask(residents, '确定选举方式并登记选民');

    await staff.openFromInbox(residents, '提名确定正式候选人');
    await residents.fill('#f_candidateList', '张伟\n李娜\n王芳\n刘洋\n陈静\n赵磊');
    await residents.check('#f_candidateGuidance');
    await staff.submitTask(residents, '提名确定正式候选人');
  });

  it('the voter list on the public board agrees with itself and ends with its 落款', async () => {
    const board = await anonymous();
    await board.goto(`${staff.base}/notices`);
    expect(await txt(board.locator('main > p.muted'))).toBe('以下为正在公示期内的事项。如有异议，请在公示期内向该公示落款的发布单位反映（见各公示末尾）。');
    await board.click(`.notice-list a:text-is('${LIST_TITLE}')`);
    const body = await txt(board.locator('.notice-body'));
    expect(body).toContain('公示期：2026年3月2日至2026年3月22日（20 日）');
    expect(body).toContain('选举日：2026年3月23日');
    expect(body).not.toContain('社区社区');
    expect(await txt(board.locator('.notice-signature .notice-issuer'))).toBe('翠湖社区居民委员会选举委员会');
    expect(await txt(board.locator('.notice-signature .notice-date'))).toBe('2026年3月2日');
    expect(await txt(board.locator('.notice-contact'))).toBe('对选民名单有不同意见的，请在公示期内向翠湖社区居民委员会选举委员会提出。');
    // the 落款 sits at the end, to the right
    const [sig, article] = await Promise.all([board.locator('.notice-signature').boundingBox(), board.locator('.notice-body').boundingBox()]);
    expect(sig!.x + sig!.width).toBeGreaterThan(article!.x + article!.width - 40);
    await shot(board, 'p2-voter-list');
    await board.context().close();
  });

  it('the admin moves the manual clock to the election day on 平台时钟; the vote opens, not overdue', async () => {
    const admin = await staff.as('admin');
    await admin.goto(`${staff.base}/admin/clock`);
    expect(await txt(admin.locator('#clock_now'))).toBe('2026-03-02 09:00（星期一）');
    await shot(admin, 'admin-clock');
    await admin.fill('#clock_amount', '0');
    await admin.click('#advance-form button.primary');
    expect(await txt(admin.locator('#clock_amount_error'))).toBe('请填写 1 至 3660 之间的整数（天）');
    await admin.fill('#clock_date', '2026-03-23');
    await admin.fill('#clock_time', '08:00');
    await admin.click('#set-form button.primary');
    await admin.waitForURL(`${staff.base}/admin/clock`);
    expect(await txt(admin.locator('.flash'))).toBe('已设定为 2026-03-23 08:00：平台时间现为北京时间 2026-03-23 08:00（星期一），1 个流程的到期计时已触发。');
    await shot(admin, 'admin-clock-moved');

    const residents = await staff.as('residents-committee');
    await residents.goto(`${staff.base}/tasks`);
    const row = residents.locator('table.tasks tbody tr', { hasText: BK });
    expect(await txt(row)).toContain('投票选举、公开计票（登记计票结果）');
    expect(await row.locator('.tag.danger').count()).toBe(0);
  });

  it('the vote count is entered as rows; a row with more votes than valid ballots is named and marked, then corrected', async () => {
    const residents = await staff.as('residents-committee');
    await staff.openFromInbox(residents, '投票选举、公开计票（登记计票结果）');
    // without rows yet: one empty row, and the textarea is what is submitted
    expect(await residents.isVisible('#f_candidateVotes')).toBe(false);
    expect(await rows(residents, 'candidateVotes')).toEqual([['', '']]);
    expect(await residents.locator('.table-editor thead th').allTextContents()).toEqual(['行', '姓名', '票数', '']);
    await residents.fill('#f_voteDate', '2026-03-23');
    await residents.check('#f_secretBallot');
    await residents.fill('#f_ballotsCast', '800');
    await residents.fill('#f_validBallots', '790');
    await residents.fill('#f_invalidBallots', '10');
    const votes: [string, string][] = [['张伟', '700'], ['李娜', '800'], ['王芳', '600'], ['刘洋', '560'], ['陈静', '520'], ['赵磊', '30']];
    for (let i = 0; i < votes.length; i++) {
      if (i > 0) await residents.click('.table-editor .add-row');
      await residents.getByLabel(`第 ${i + 1} 行：姓名`).fill(votes[i]![0]);
      await residents.getByLabel(`第 ${i + 1} 行：票数`).fill(votes[i]![1]);
    }
    expect(await residents.inputValue('#f_candidateVotes')).toBe('张伟：700\n李娜：800\n王芳：600\n刘洋：560\n陈静：520\n赵磊：30');
    await residents.click('form.form button.primary');
    expect(await txt(residents.locator('#f_candidateVotes_error'))).toBe(
      '第 2 行（“李娜：800”）的“票数”（800）不能多于有效票数（790）（《民政局加强城市社区建设实施意见》四(4)：公开计票）',
    );
    expect(await rows(residents, 'candidateVotes')).toEqual(votes);
    expect(await residents.locator('.table-editor tbody tr').nth(1).getAttribute('class')).toBe('row-invalid');
    expect(await residents.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('第 2 行：姓名');
    expect(await residents.inputValue('#f_validBallots')).toBe('790');
    await shot(residents, 'p2-vote-rows-error');

    // 赵磊 withdrew: his row is removed; 李娜's count corrected
    await residents.getByLabel('删除第 6 行').click();
    await residents.getByLabel('第 2 行：票数').fill('650');
    expect(await residents.inputValue('#f_candidateVotes')).toBe('张伟：700\n李娜：650\n王芳：600\n刘洋：560\n陈静：520');
    await shot(residents, 'p2-vote-rows');
    await staff.submitTask(residents, '投票选举、公开计票（登记计票结果）');
    const instance = await d.instance(instanceId);
    expect(instance.variables.electedMembers).toEqual(['张伟', '李娜', '王芳', '刘洋', '陈静']);

    const board = await anonymous();
    await board.goto(`${staff.base}/notices`);
    await board.click(`.notice-list a:text-is('${RESULT_TITLE}')`);
    expect(await txt(board.locator('.notice-signature'))).toBe('翠湖社区居民委员会选举委员会 2026年3月23日');
    await shot(board, 'p2-result');
    await board.context().close();
  });

  it('the admin reads the instance diagram at a readable size, around the current step', async () => {
    const admin = await staff.as('admin');
    await admin.goto(`${staff.base}/admin/instances/${encodeURIComponent(instanceId)}`);
    await admin.waitForSelector('[data-bpmn-viewer][data-rendered="true"]', { timeout: 15_000 });
    // the current step (training the new members): a task is 100 units wide, at a readable scale at least 70 px
    const focus = await admin.getAttribute('#instance-diagram', 'data-focus');
    expect(['training', 'buildSystems']).toContain(focus);
    const width = await admin
      .locator(`#instance-diagram .djs-element[data-element-id="${focus}"] .djs-visual > :first-child`)
      .evaluate((el) => el.getBoundingClientRect().width);
    expect(width).toBeGreaterThanOrEqual(70);
    const box = await admin.locator('#instance-diagram').boundingBox();
    const current = await admin.locator(`#instance-diagram .djs-element[data-element-id="${focus}"]`).boundingBox();
    expect(current!.x).toBeGreaterThanOrEqual(box!.x);
    expect(current!.x + current!.width).toBeLessThanOrEqual(box!.x + box!.width);
    expect(await txt(admin.locator('.admin-vars'))).toContain('2026-03-22T15:59:59.999Z（北京时间 2026-03-22 23:59）');
    await shot(admin, 'admin-instance');
    await admin.locator('#instance-diagram').screenshot({ path: path.join(SHOTS, 'rules-admin-instance-diagram.png') });
  });
});

describe('P1’s lists as rows, and as text without script', () => {
  it('the leading office sees the communities and indicators as rows, the example indicators filled in', async () => {
    const office = await staff.as('leading-office');
    await office.goto(`${staff.base}/start`);
    const start = office.locator('details.start', { hasText: '城乡社区治理创新试点' });
    await start.locator('summary').click();
    const indicators = await office.locator('#s_pilot-campaign_indicatorList + .table-editor tbody tr').evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('input')).map((input) => (input as HTMLInputElement).value)),
    );
    expect(indicators).toEqual([['党建引领', '20'], ['居民自治', '20'], ['社区服务', '20'], ['平安法治', '20'], ['特色创新', '20']]);
    await start.getByLabel('第 1 行：社区名称').fill('金星社区');
    await start.getByLabel('第 1 行：所属县（市）区').fill('盘龙区');
    await start.locator('#s_pilot-campaign_communityList + .table-editor .add-row').click();
    await start.getByLabel('第 2 行：社区名称').fill('翠湖社区');
    await start.getByLabel('第 2 行：所属县（市）区').fill('五华区');
    expect(await office.inputValue('#s_pilot-campaign_communityList')).toBe('金星社区，盘龙区\n翠湖社区，五华区');
    await start.scrollIntoViewIfNeeded();
    await shot(office, 'p1-start-rows');
  });

  it('without script the list is a textarea of lines, and a wrong line comes back named, as typed', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${staff.base}/login`);
    await page.fill('#username', 'leading-office');
    await page.fill('#password', 'demo');
    await page.click('form.form button.primary');
    await page.waitForURL(`${staff.base}/tasks`);
    await page.goto(`${staff.base}/start`);
    await page.locator('details.start', { hasText: '城乡社区治理创新试点' }).locator('summary').click();
    expect(await page.isVisible('#s_pilot-campaign_communityList')).toBe(true);
    expect(await txt(page.locator('#s_pilot-campaign_communityList ~ .table-format'))).toBe('每行一项，写成“社区名称，所属县（市）区”。');
    await page.fill('#s_pilot-campaign_communityList', '金星社区，盘龙区\n翠湖社区');
    await page.fill('#s_pilot-campaign_applicationDueDate', '2026-09-30');
    await page.locator('details.start', { hasText: '城乡社区治理创新试点' }).locator('button.primary').click();
    expect(await txt(page.locator('#s_pilot-campaign_communityList_error'))).toBe(
      '第 2 行（“翠湖社区”）应写成“社区名称，所属县（市）区”（《社会治理活动方案》篇一 第1项“宣传启动”）',
    );
    expect(await page.inputValue('#s_pilot-campaign_communityList')).toBe('金星社区，盘龙区\n翠湖社区');
    await page.locator('#s_pilot-campaign_communityList').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'rules-p1-no-script.png'), fullPage: true });
    await context.close();
  });
});

describe('the 404 page and the favicon', () => {
  it('an unknown address is a Chinese page in the layout with a way home, and every page has the icon', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const res = await page.goto(`${staff.base}/no/such/page`);
    expect(res!.status()).toBe(404);
    expect(await txt(page.locator('h1'))).toBe('页面不存在');
    expect(await page.isVisible('header.top nav')).toBe(true);
    expect(await txt(page.locator('.error-page .muted'))).toBe('错误代码 404 · 北京时间 2026-03-23 08:00');
    await shot(page, '404');
    await page.click('a:text-is("返回首页")');
    await page.waitForURL(`${staff.base}/notices`);
    expect(await page.getAttribute('link[rel="icon"][type="image/svg+xml"]', 'href')).toBe('/assets/favicon.svg');
    const icons = await page.evaluate(async () => Promise.all(['/favicon.ico', '/assets/favicon.svg'].map(async (url) => {
      const r = await fetch(url);
      return `${url} ${r.status} ${r.headers.get('content-type')}`;
    })));
    expect(icons[0]).toMatch(/^\/favicon\.ico 200 image\/(x-icon|vnd\.microsoft\.icon)/);
    expect(icons[1]).toMatch(/^\/assets\/favicon\.svg 200 image\/svg\+xml/);
    await context.close();
    expect(staff.errors).toEqual([]);
  });
});

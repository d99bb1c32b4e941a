import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium, SHOTS } from './chromium.js';
import type { Database } from '../../server/db/connect.js';
import { testDatabase } from '../support/db.js';
import { insertNotice, WEB_PROCESS_KEY, webFixture, type WebFixture } from './fixture.js';

/**
 * The staff pages in a real browser (Debian chromium through playwright-core), on the small inline process of
 * ./fixture.ts: log in, inbox, claim, a form refused then corrected, an approval with 不通过 refused for lack of an
 * opinion, the instance page and the notice board. Screenshots go to test-output/screenshots/.
 */


let database: Database;
let fx: WebFixture;
let server: Server;
let base = '';
let browser: Browser;
let instanceId = '';

beforeAll(async () => {
  database = await testDatabase('web_flow');
  fx = await webFixture(database);
  const view = await fx.runtime.startInstance(
    WEB_PROCESS_KEY,
    { businessKey: 'YS-2026-017', variables: { topic: '3 号楼加装电梯' } },
    { id: 'residents-committee', groups: ['residents-committee'] },
  );
  instanceId = view.instance._id;
  // A second, older task that is overdue by the runtime clock.
  await fx.runtime.startInstance(WEB_PROCESS_KEY, { businessKey: 'YS-2026-009', variables: { topic: '小区停车秩序' } }, {
    id: 'residents-committee',
    groups: ['residents-committee'],
  });
  fx.clock.advance('P2D');
  await fx.runtime.startInstance(WEB_PROCESS_KEY, { businessKey: 'YS-2026-021', variables: { topic: '垃圾分类投放点' } }, {
    id: 'residents-committee',
    groups: ['residents-committee'],
  });
  await insertNotice(database, fx.runtime, instanceId, fx.clock);
  server = await new Promise<Server>((resolve) => {
    const s = fx.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await database?.close();
});

/** The trimmed text of the first match, once it is there. */
async function txt(locator: Locator): Promise<string> {
  await locator.first().waitFor({ timeout: 10_000 });
  return ((await locator.first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

async function login(page: Page, username: string) {
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', 'demo');
  await page.click('button[type="submit"].primary');
  await page.waitForURL(`${base}/tasks`);
}

describe('staff web flow in chromium', () => {
  it('logs in, works a task through a corrected error, approves and shows the instance and notices', async () => {
    const errors: string[] = [];
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });

    await login(page, 'street-office');
    expect(await txt(page.locator('h1'))).toBe('我的待办');
    expect(await page.locator('table.tasks tbody tr').count()).toBe(3);
    expect(await page.locator('tr.overdue').count()).toBe(2);
    await page.screenshot({ path: path.join(SHOTS, 'inbox-desktop.png'), fullPage: true });

    // Claim the task of YS-2026-017 from the inbox, then open it.
    const row = page.locator('tr', { hasText: 'YS-2026-017' });
    await row.locator('button', { hasText: '签收' }).click();
    expect(await txt(page.locator('.flash'))).toContain('已签收');
    expect(await txt(page.locator('h1'))).toContain('填写议事记录');
    expect(await txt(page.locator('.policy'))).toContain('《城乡社区协商议事规则》第五条');

    // Submit with errors: attendees 0, no date.
    await page.fill('#f_attendees', '0');
    await page.fill('#f_summary', '居民代表一致同意加装电梯');
    await page.check('#f_publicized');
    await page.selectOption('#f_category', 'facility');
    await page.click('form.form button.primary');
    expect(await txt(page.locator('#f_attendees_error'))).toBe('“到会人数”不能小于 1');
    await page.locator('#f_meetingDate_error').waitFor({ state: 'visible' });
    expect(await page.inputValue('#f_summary')).toBe('居民代表一致同意加装电梯');
    expect(await page.isChecked('#f_publicized')).toBe(true);
    // The first invalid field has the focus.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f_attendees');
    await page.screenshot({ path: path.join(SHOTS, 'task-form-errors.png'), fullPage: true });

    // Correct and submit.
    await page.fill('#f_attendees', '23');
    await page.fill('#f_meetingDate', '2026-03-02');
    await page.click('form.form button.primary');
    await page.waitForURL(`${base}/tasks`);
    expect(await txt(page.locator('.flash'))).toContain('已提交');
    expect(await page.locator('table.tasks tbody tr').count()).toBe(2);
    await page.click('form.inline button.link'); // 退出
    await page.waitForURL(`${base}/login`);

    // The party committee refuses without an opinion, then rejects with one.
    await login(page, 'party-committee');
    await page.locator('tr', { hasText: 'YS-2026-017' }).locator('a', { hasText: '办理' }).click();
    expect(await txt(page.locator('h1'))).toContain('党组织审核');
    await page.check('#f_decision_reject');
    expect(await page.isHidden('[data-opinion-mark]')).toBe(false);
    await page.check('#f_decision_approve');
    expect(await page.isHidden('[data-opinion-mark]')).toBe(true);
    await page.check('#f_decision_reject');
    // Bypass the browser's own required check to see the server's message.
    await page.evaluate(() => document.querySelector('#f_opinion')?.removeAttribute('required'));
    await page.click('form.form button.primary');
    expect(await txt(page.locator('#f_opinion_error'))).toContain('审核意见不能为空');
    await page.fill('#f_opinion', '到会人数不足三分之二，请补开会议');
    await page.click('form.form button.primary');
    await page.waitForURL(`${base}/tasks`);

    // The instance page: timeline with the rejection, the diagram (viewer bundle if built).
    await page.goto(`${base}/instances/${encodeURIComponent(instanceId)}`);
    expect(await txt(page.locator('.timeline'))).toContain('不通过');
    expect(await txt(page.locator('.timeline'))).toContain('到会人数不足三分之二');
    await page.waitForTimeout(1500);
    await page.screenshot({ path: path.join(SHOTS, 'instance.png'), fullPage: true });

    // Public notice board, signed out.
    const anon = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const board = await anon.newPage();
    await board.goto(`${base}/notices`);
    expect(await txt(board.locator('h1'))).toBe('公示栏');
    expect(await txt(board.locator('.notice-list'))).toContain('关于加装电梯议题的协商结果公示');
    await board.screenshot({ path: path.join(SHOTS, 'notices.png'), fullPage: true });
    await board.click('.notice-list a');
    expect(await txt(board.locator('.notice-body'))).toContain('同意在 3 号楼加装电梯');
    await board.emulateMedia({ media: 'print' });
    await board.screenshot({ path: path.join(SHOTS, 'notice-print.png'), fullPage: true });
    await anon.close();

    // 400 is the status of a form page re-rendered with validation messages.
    expect(errors.filter((e) => !/viewer\.js|status of (400|404)/.test(e))).toEqual([]);
    await context.close();
  }, 120_000);

  it('turns the inbox into cards on a 375 px phone', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await login(page, 'street-office');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(375);
    expect(await page.locator('table.tasks thead').evaluate((el) => el.getBoundingClientRect().height <= 1)).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'inbox-375.png'), fullPage: true });
    await context.close();
  }, 60_000);
});

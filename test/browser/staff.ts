import { expect } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { ProcessDriver } from '../support/process-driver.js';
import { launchChromium } from './chromium.js';

/** The trimmed text of the first match, once it is there. */
export async function txt(locator: Locator): Promise<string> {
  await locator.first().waitFor({ timeout: 10_000 });
  return ((await locator.first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Staff at work in a real browser: one window per user, signed in through the login form, working on the instance
 * with business key `bk` from 我的待办. Script errors and failed requests of every page are collected in `errors`.
 */
export class StaffBrowser {
  /** Script errors and failed requests seen by any page. */
  readonly errors: string[] = [];
  private readonly contexts = new Map<string, { context: BrowserContext; page: Page }>();

  constructor(
    private readonly browser: Browser,
    readonly base: string,
    private readonly bk: string,
  ) {}

  /** A browser window of its own for each user, signed in through the login form. */
  async as(username: string): Promise<Page> {
    return this.signIn(username, 'demo');
  }

  /**
   * Signs `username` in through the login form in a window of its own; with `newPassword`, the temporary password an
   * administrator set is changed on the page the platform sends them to first.
   */
  async signIn(username: string, password: string, newPassword?: string): Promise<Page> {
    const known = this.contexts.get(username);
    if (known) return known.page;
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    this.watch(page);
    await page.goto(`${this.base}/login`);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('form.form button.primary');
    if (newPassword) {
      await page.waitForURL(`${this.base}/account/password?required=1`);
      expect(await txt(page.locator('#password_required'))).toContain('临时密码');
      await page.fill('#currentPassword', password);
      await page.fill('#newPassword', newPassword);
      await page.click('form.form button.primary');
    }
    await page.waitForURL(`${this.base}/tasks`);
    this.contexts.set(username, { context, page });
    return page;
  }

  /** From 我的待办: 签收 the step of our instance when it is in the group pool, else open it; lands on the task page. */
  async openFromInbox(page: Page, stepName: string): Promise<void> {
    await page.goto(`${this.base}/tasks`);
    const row = page.locator('table.tasks tbody tr', { hasText: this.bk }).filter({ hasText: stepName });
    expect(await row.count()).toBe(1);
    const claim = row.locator('button', { hasText: '签收' });
    if (await claim.count()) {
      await claim.click();
      expect(await txt(page.locator('.flash'))).toBe(`已签收：${stepName}`);
    } else {
      await row.locator('a', { hasText: '办理' }).click();
    }
    await page.waitForURL(/\/tasks\/[^/?]+$/);
    expect(await txt(page.locator('h1'))).toBe(stepName);
    expect(await txt(page.locator('.card.form-card .meta'))).toContain('办理人：');
  }

  /** Submits the task form and expects to be back in the inbox with 「已提交」. */
  async submitTask(page: Page, stepName: string): Promise<void> {
    await page.click('form.form button.primary');
    await page.waitForURL(`${this.base}/tasks`);
    expect(await txt(page.locator('.flash'))).toBe(`已提交：${stepName}（${this.bk}）`);
  }

  async close(): Promise<void> {
    for (const { context } of this.contexts.values()) await context.close().catch(() => {});
  }

  /** Collects the page's script errors and failed requests in `errors`. */
  watch(page: Page): void {
    page.on('pageerror', (err) => this.errors.push(`${page.url()}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/^Failed to load resource/.test(msg.text())) this.errors.push(`${page.url()}: ${msg.text()}`);
    });
    // Every request answered, except the 400 of a form sent back with messages at its fields.
    page.on('response', (res) => {
      if (res.status() >= 400 && !(res.status() === 400 && res.request().method() === 'POST')) this.errors.push(`${res.status()} ${res.url()}`);
    });
  }
}

/**
 * Types a list that is really a table (名称：数 per line) in its row editor, as staff do: surplus rows removed, rows
 * added with 添加一行, one input per cell. `rows` empty leaves one empty row.
 */
export async function fillRows(page: Page, textareaId: string, rows: string[][]): Promise<void> {
  const editor = page.locator(`#${textareaId} + .table-editor`);
  const body = editor.locator('tbody tr');
  while ((await body.count()) > Math.max(1, rows.length)) await body.last().locator('button.remove-row').click();
  for (let i = 0; i < Math.max(1, rows.length); i++) {
    if (i >= (await body.count())) await editor.locator('button.add-row').click();
    const inputs = body.nth(i).locator('input');
    for (let c = 0; c < (await inputs.count()); c++) await inputs.nth(c).fill(rows[i]?.[c] ?? '');
  }
}

/** The rows of a `名称：数` text, for fillRows. */
export function rowsOf(text: string): string[][] {
  return text.split('\n').filter((line) => line.trim()).map((line) => {
    const at = line.search(/[:：]/);
    return at < 0 ? [line] : [line.slice(0, at), line.slice(at + 1)];
  });
}

/** The shown value of the read-only field labelled exactly `label` on a task page. */
export function readonlyValue(page: Page, label: string): Locator {
  return page.locator('.field.readonly').filter({ has: page.locator(`span.label:text-is("${label}")`) }).locator('.value');
}

/** A process walked in the browser: the API driver with every process deployed, its app on loopback, chromium, staff. */
export interface BrowserWalk {
  d: ProcessDriver;
  browser: Browser;
  staff: StaffBrowser;
  close(): Promise<void>;
}

/** `now`: where the manual clock starts; `bk`: the business key of the instance the staff work on. */
export async function openBrowserWalk(dbName: string, now: string, bk: string): Promise<BrowserWalk> {
  const d = await ProcessDriver.create(dbName, now);
  const server = await new Promise<Server>((resolve) => {
    const s = d.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const browser = await launchChromium(['--lang=zh-CN']);
  const staff = new StaffBrowser(browser, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bk);
  return {
    d,
    browser,
    staff,
    async close() {
      await staff.close();
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await d.close();
    },
  };
}

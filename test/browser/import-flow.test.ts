import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { Database } from '../../server/db/connect.js';
import { serviceHandlers } from '../../server/services/registry.js';
import { launchChromium, SHOTS } from './chromium.js';
import { testApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';

/**
 * An administrator brings diagrams made elsewhere into the modeler (导入): a Camunda 8 diagram and a Flowable one
 * saved in GBK. Each opens converted, with the import report and the task that has no assignee marked on the
 * diagram; the administrator ticks a candidate group in the properties panel, deploys, and the process runs to its
 * end through the API. The browser runs in New York time, and the draft's status line still says Beijing time.
 * Screenshots: test-output/screenshots/import-*.png.
 */

const FIXTURES = path.resolve('test/fixtures');

let database: Database;
let server: Server;
let base = '';
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const tokens: Record<string, string> = {};

async function api(user: string, method: string, url: string, body?: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { Authorization: `Bearer ${tokens[user]}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Completes the open task `elementId` of the instance as `user`; the instance after it. */
async function complete(instanceId: string, user: string, elementId: string, variables: Record<string, unknown>) {
  const instance = await api('admin', 'GET', `/api/instances/${encodeURIComponent(instanceId)}`);
  const task = (instance.body.openTasks as { id: string; elementId: string }[]).find((t) => t.elementId === elementId);
  expect(task?.elementId).toBe(elementId);
  const done = await api(user, 'POST', `/api/tasks/${encodeURIComponent(task!.id)}/complete`, { variables });
  expect([done.status, done.body.error?.message]).toEqual([200, undefined]);
  return done.body.instance as { status: string; variables: Record<string, unknown> };
}

async function status(): Promise<string> {
  return (await page.textContent('#modeler-status')) ?? '';
}

/** 导入 a fixture through the page's file input; the status line once the import is done. */
async function importFixture(file: string): Promise<string> {
  await page.setInputFiles('#import-file', path.join(FIXTURES, file));
  await page.waitForFunction(() => /已导入|无法导入/.test(document.getElementById('modeler-status')?.textContent ?? ''), null, { timeout: 15_000 });
  return status();
}

/** The live lint's and the server's problems of an element, as the page holds them. */
async function problemsOf(elementId: string): Promise<{ lint: string[]; listed: number }> {
  return page.evaluate((id) => {
    const w = window as unknown as { modelerPage: { lintIssues: Record<string, { rule: string; category: string }[]> } };
    const lint = (w.modelerPage.lintIssues[id] ?? []).filter((i) => i.category === 'error').map((i) => i.rule);
    const listed = document.querySelectorAll(`#problems-list li.problem-error[data-element-id="${id}"]`).length;
    return { lint, listed };
  }, elementId);
}

/** Selects the element by its entry in the problem list and ticks a known group in 人员分配. */
async function assignGroup(elementId: string, group: string): Promise<void> {
  await page.click(`#problems-list li[data-element-id="${elementId}"]`);
  const header = page.locator('[data-group-id="group-CamundaPlatform__UserAssignment"] .bio-properties-panel-group-header');
  await header.waitFor({ timeout: 10_000 });
  if (!(await header.getAttribute('class'))?.includes('open')) await header.click();
  await page.check(`.cg-picker input[name="candidateGroup"][value="${group}"]`);
  await page.waitForFunction(
    (id) => !((window as unknown as { modelerPage: { lintIssues: Record<string, { category: string }[]> } }).modelerPage.lintIssues[id] ?? []).some((i) => i.category === 'error'),
    elementId,
    { timeout: 10_000 },
  );
}

/** 部署 → 确认部署; the status line once the server answered. */
async function deploy(): Promise<string> {
  await page.click('[data-action="deploy"]');
  await page.waitForSelector('#diff-panel:not([hidden])', { timeout: 10_000 });
  await page.click('[data-action="confirm-deploy"]');
  await page.waitForFunction(() => /已部署|部署失败/.test(document.getElementById('modeler-status')?.textContent ?? ''), null, { timeout: 15_000 });
  return status();
}

beforeAll(async () => {
  database = await testDatabase('import_flow');
  const { app } = await testApp(database, {
    at: new Date('2026-03-02T01:00:00Z'),
    http: { loginRateLimit: { windowMs: 60_000, limit: 1000 } },
    services: { ...serviceHandlers },
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const user of ['admin', 'grid-worker', 'residents-committee', 'street-office']) {
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password: 'demo' }) });
    tokens[user] = ((await res.json()) as { token: string }).token;
  }
  browser = await launchChromium();
  // Another time zone than Beijing's, so that a time formatted in the browser's own zone shows.
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'America/New_York' });
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${base}/login?next=/admin/modeler`);
  await page.fill('#username', 'admin');
  await page.fill('#password', 'demo');
  await page.click('button[type="submit"].primary');
  await page.waitForURL(`${base}/admin/modeler`);
  await page.waitForSelector('#modeler-app[data-ready="true"]', { timeout: 20_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await database?.close();
});

describe('importing diagrams made elsewhere in the modeler', () => {
  it('opens a Camunda 8 diagram converted, with its report and the unassigned task marked on the diagram', async () => {
    expect(await importFixture('camunda8-resident-help.bpmn')).toMatch(/^已导入 camunda8-resident-help\.bpmn：转换 \d+ 处，舍弃 \d+ 处；1 个问题阻止部署/);
    expect(await page.textContent('#modeler-title')).toContain('居民求助办理（resident-help，导入的文件）');
    const report = (await page.textContent('#import-body')) ?? '';
    expect(report).toContain('按 UTF-8 编码读取');
    expect(report).toContain('camunda:candidateGroups="grid-worker"');
    expect(report).toContain('= not(verified) → ${not(verified)}');
    expect(report).toContain('zeebe:taskHeaders');
    // the task without an assignee: in the live lint, in the problem list, and as a badge on the diagram
    expect(await problemsOf('handle')).toEqual({ lint: ['platform/user-task-assignment'], listed: 1 });
    expect(await page.locator('.djs-overlays[data-container-id="handle"] .bjsl-overlay').count()).toBe(1);
    // the converted condition, as the properties panel shows it
    const condition = await page.evaluate(() => {
      const w = window as unknown as { bpmnModeler: { get(name: string): any } };
      return w.bpmnModeler.get('elementRegistry').get('fNo').businessObject.conditionExpression.body;
    });
    expect(condition).toBe('${not(verified)}');
    await page.screenshot({ path: path.join(SHOTS, 'import-camunda8.png') });
  });

  it('takes the candidate group ticked in the properties panel, deploys with the warnings listed, and runs', async () => {
    await assignGroup('handle', 'residents-committee');
    await page.screenshot({ path: path.join(SHOTS, 'import-camunda8-assigned.png') });
    expect(await deploy()).toBe('已部署：resident-help 版本 1（2 个警告，见问题列表）');
    expect(await page.locator('#problems-list li.problem-server.problem-warn').count()).toBe(2);

    const started = await api('grid-worker', 'POST', '/api/processes/resident-help/instances', { businessKey: 'QZ-2026-002' });
    expect(started.status).toBe(201);
    await complete(started.body.id, 'grid-worker', 'verify', { verifyNote: '楼道扶手松动，属实', verified: true, urgency: 'normal' });
    const done = await complete(started.body.id, 'residents-committee', 'handle', { result: '已请物业加固', visits: 1 });
    expect(done.status).toBe('completed');
  });

  it('opens a Flowable diagram saved in GBK in Chinese, and deploys and runs it once the record task is assigned', async () => {
    expect(await importFixture('flowable-venue-gbk.bpmn')).toMatch(/^已导入 flowable-venue-gbk\.bpmn：.*1 个问题阻止部署/);
    expect(await page.textContent('#import-body')).toContain('按 GBK 编码读取');
    const names = await page.evaluate(() => {
      const w = window as unknown as { bpmnModeler: { get(name: string): any } };
      const registry = w.bpmnModeler.get('elementRegistry');
      return ['review', 'record', 'sYes'].map((id) => registry.get(id).businessObject.name);
    });
    expect(names).toEqual(['居委会审核', '街道办备案', '同意']);
    expect((await problemsOf('record')).lint).toEqual(['platform/user-task-assignment']);
    await page.screenshot({ path: path.join(SHOTS, 'import-flowable.png') });

    await assignGroup('record', 'street-office');
    expect(await deploy()).toBe('已部署：venue-booking 版本 1');

    const started = await api('street-office', 'POST', '/api/processes/venue-booking/instances', {
      businessKey: 'CD-2026-011',
      variables: { activity: '社区读书会', participants: 30, activityDate: '2026-04-23' },
    });
    expect([started.status, started.body.error?.message]).toEqual([201, undefined]);
    await complete(started.body.id, 'residents-committee', 'review', { decision: 'approve', opinion: '同意' });
    const done = await complete(started.body.id, 'street-office', 'record', { recordNo: 'BA-2026-040' });
    expect(done.status).toBe('completed');
  });

  it('says when a draft was saved in Beijing time, whatever the browser’s zone', async () => {
    await page.click('[data-action="save-draft"]');
    await page.waitForFunction(() => /草稿已保存/.test(document.getElementById('modeler-status')?.textContent ?? ''), null, { timeout: 10_000 });
    const draft = await database.db.collection<{ _id: string; updatedAt: Date }>('drafts').findOne({ _id: 'venue-booking:admin' });
    const beijing = new Date(draft!.updatedAt.getTime() + 8 * 3600_000).toISOString();
    expect(await status()).toBe(`草稿已保存（venue-booking，${beijing.slice(0, 10)} ${beijing.slice(11, 16)}）`);
  });

  it('raised no script error', () => {
    expect(pageErrors).toEqual([]);
  });
});

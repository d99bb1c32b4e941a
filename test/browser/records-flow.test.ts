import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { SHOTS } from './chromium.js';
import { type BrowserWalk, openBrowserWalk, StaffBrowser, txt } from './staff.js';
import type { ProcessDriver } from '../support/process-driver.js';

/**
 * A case's records in Debian's chromium: the grid office adds a photo of a P5 grid event on its task page and sees it
 * in the case, dispatches, and the reporter prints the 审批单 (its 打印 button calls the browser's print), then
 * downloads 我发起的 as an Excel file and reads it back; then reports an event with a photo on the start page.
 * Screenshots (prefix records-) go to test-output/screenshots/.
 */

const BK = 'WG-20260302-0100';

/** A 1×1 PNG: what a phone photo is to the checks (the signature of its first bytes). */
const PHOTO = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

let d: ProcessDriver;
let staff: StaffBrowser;
let walk: BrowserWalk;

beforeAll(async () => {
  walk = await openBrowserWalk('records_browser', '2026-03-02T09:00:00+08:00', BK);
  ({ d, staff } = walk);
}, 120_000);

afterAll(async () => {
  await walk?.close();
});

/** The instance's id from its page's address. */
const instanceIdOf = (page: Page) => decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);

describe('attachments, the 审批单 and an export in the browser', () => {
  it('adds a photo on the task page, sees it in the case, prints the 审批单 and downloads 我发起的', async () => {
    await d.start('grid-worker', 'grid-event', { eventType: 'sanitation', grid: '幸福社区第3网格', place: '幸福路 12 号门前', description: '人行道上堆放建筑垃圾约 2 立方米，占用盲道', urgency: 'normal' }, BK);

    // ── the grid office adds a photo to its dispatch step ──────────────────────────────────────────────────
    await d.setClock('2026-03-02T10:15:00+08:00');
    const office = await staff.as('grid-office');
    await staff.openFromInbox(office, '网格管理办公室派遣（拨）');
    expect(await txt(office.locator('#attachments'))).toContain('暂无附件');
    await office.setInputFiles('#attachment_file', { name: '现场照片（幸福路12号）.png', mimeType: 'image/png', buffer: PHOTO });
    await office.click('#attachments form.upload button');
    await office.waitForURL(/\/tasks\/[^/?#]+#attachments$/);
    expect(await txt(office.locator('.flash'))).toBe('已上传附件：现场照片（幸福路12号）.png');
    expect(await txt(office.locator('#attachments .attachment-list li'))).toBe(
      '现场照片（幸福路12号）.png 70 字节 · 网格管理办公室派遣（拨） · 网格管理办公室（演示） · 2026-03-02 10:15',
    );
    // a file of a kind not allowed is refused beside the form
    await office.setInputFiles('#attachment_file', { name: '说明.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ\u0090\u0000') });
    await office.click('#attachments form.upload button');
    await office.waitForURL(/#attachments$/);
    expect(await txt(office.locator('#attachments .alert'))).toMatch(/^附件未上传：不支持的文件类型（\.exe）/);
    await office.locator('#attachments').scrollIntoViewIfNeeded();
    await office.screenshot({ path: path.join(SHOTS, 'records-task-attachment.png'), fullPage: true });

    await office.fill('#f_responsibleUnit', '街道城管执法队');
    await office.fill('#f_handleDueDate', '2026-03-06');
    await office.fill('#f_dispatchNote', '请于期限内清运，恢复盲道');
    await staff.submitTask(office, '网格管理办公室派遣（拨）');

    // ── the reporter opens the case and its 审批单 ───────────────────────────────────────────────────────
    const worker = await staff.as('grid-worker');
    await worker.goto(`${staff.base}/mine`);
    await worker.locator('table.list a', { hasText: '网格事件' }).click();
    await worker.waitForURL(/\/instances\/[^/]+$/);
    const instanceId = instanceIdOf(worker);
    expect(await txt(worker.locator('#attachments .attachment-list'))).toContain('现场照片（幸福路12号）.png');
    // the photo opens from its link, as the picture it is
    const [photo] = await Promise.all([worker.waitForResponse(/\/api\/attachments\//), worker.locator('#attachments a.attachment-link').click()]);
    expect(photo.status()).toBe(200);
    expect(photo.headers()['content-type']).toBe('image/png');
    await worker.goBack();
    // The full-page shot needs no scrolling; waiting for the diagram keeps it from being taken mid-render.
    await worker.waitForURL(/\/instances\/[^/]+$/);
    await worker.locator('#attachments .attachment-list').waitFor();
    await worker.locator('#diagram[data-rendered]').waitFor({ timeout: 15_000 });
    await worker.screenshot({ path: path.join(SHOTS, 'records-instance.png'), fullPage: true });
    await worker.locator('a', { hasText: '打印审批单' }).click();
    await worker.waitForURL(`${staff.base}/instances/${encodeURIComponent(instanceId)}/print`);
    expect(await txt(worker.locator('h1'))).toBe('网格事件（巡、拨、办、督）审批单');
    const steps = worker.locator('table.af-steps tbody tr');
    expect(await steps.count()).toBe(2);
    // as the sheet reads: the rendered text, cell by cell and line by line
    const dispatchRow = (await steps.nth(1).innerText()).replace(/\s+/g, ' ');
    expect(dispatchRow).toContain('网格管理办公室派遣（拨） 网格管理办公室（演示） 2026-03-02 10:15 责任单位 街道城管执法队 办理期限 2026-03-06');
    expect(dispatchRow).toContain('附件：现场照片（幸福路12号）.png');
    expect((await worker.locator('table.af-attachments tbody tr').innerText()).replace(/\s+/g, ' ')).toMatch(
      /^现场照片（幸福路12号）\.png 网格管理办公室派遣（拨） 网格管理办公室（演示） 2026-03-02 10:15 70 字节 [0-9a-f]{64}$/,
    );
    await worker.screenshot({ path: path.join(SHOTS, 'records-print.png'), fullPage: true });
    // 打印 calls the browser's print dialog (replaced here, so the test sees the call and no dialog opens)
    await worker.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => {
        (window as unknown as { printed: number }).printed++;
      };
    });
    await worker.click('button[data-print]');
    expect(await worker.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
    await worker.emulateMedia({ media: 'print' });
    expect(await worker.locator('header.top').isVisible()).toBe(false);
    expect(await worker.locator('.print-actions').isVisible()).toBe(false);
    await worker.screenshot({ path: path.join(SHOTS, 'records-print-media.png'), fullPage: true });
    await worker.pdf({ path: path.join(SHOTS, 'records-approval-form.pdf'), format: 'A4', printBackground: true });
    await worker.emulateMedia({ media: 'screen' });

    // ── 我发起的 as an Excel file ──────────────────────────────────────────────────────────────────────
    await worker.goto(`${staff.base}/mine?q=${encodeURIComponent('网格')}`);
    expect(await txt(worker.locator('nav.list-switch a[aria-current="page"]'))).toBe('我发起的');
    await worker.screenshot({ path: path.join(SHOTS, 'records-mine.png'), fullPage: true });
    const [download] = await Promise.all([worker.waitForEvent('download'), worker.click('a.export')]);
    expect(download.suggestedFilename()).toBe('流程实例_2026-03-02.xlsx');
    const saved = path.join(SHOTS, 'records-mine.xlsx');
    await download.saveAs(saved);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await readFile(saved)) as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(['流程', '业务编号', '所属单位', '状态', '发起人', '发起时间', '结束时间']);
    expect((sheet.getRow(2).values as unknown[]).slice(1, 5)).toEqual(['网格事件（巡、拨、办、督）', BK, '幸福社区', '进行中']);
    expect(sheet.rowCount).toBe(2);

    expect(staff.errors).toEqual([]);
  }, 240_000);

  it('attaches a photo on the start page: a disguised file and a missing field are refused together with the report kept, the photo reaches the case', async () => {
    const bk = 'WG-20260302-0101';
    const worker = await staff.as('grid-worker');
    await worker.goto(`${staff.base}/start`);
    const start = worker.locator('details.start', { hasText: '网格事件' });
    await start.locator('summary').click();
    expect(await txt(start.locator('.start-files .help'))).toContain('每个不超过 10 MB；一次最多 10 个，合计不超过 30 MB');
    await worker.fill('#bk_grid-event', bk);
    await worker.selectOption('#s_grid-event_eventType', 'sanitation');
    await worker.fill('#s_grid-event_grid', '幸福社区第3网格');
    await worker.fill('#s_grid-event_description', '绿化带内倾倒生活垃圾');

    // a scan over 10 MB is named as soon as it is chosen, and the form is not sent with it
    await worker.setInputFiles('#files_grid-event', { name: '扫描件.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(10 * 1024 * 1024 + 1) });
    expect(await txt(start.locator('#files_grid-event_limits'))).toBe('附件“扫描件.pdf”过大（最大 10 MB）。请重新选择。');
    expect(await worker.getAttribute('#files_grid-event', 'aria-invalid')).toBe('true');
    const held = await worker.evaluate(() => {
      const submit = new Event('submit', { cancelable: true });
      document.querySelector<HTMLInputElement>('#files_grid-event')!.form!.dispatchEvent(submit);
      return submit.defaultPrevented;
    });
    expect(held).toBe(true);
    await worker.screenshot({ path: path.join(SHOTS, 'records-start-too-large.png'), fullPage: true });

    // a program named as a photo, and no place: nothing is started, the report comes back as typed, the file is named
    // and the place is marked, so that one more submission fixes both
    await worker.setInputFiles('#files_grid-event', [
      { name: '现场照片.png', mimeType: 'image/png', buffer: PHOTO },
      { name: '照片2.png', mimeType: 'image/png', buffer: Buffer.from('MZ\u0090\u0000') },
    ]);
    await start.locator('button.primary').click();
    await worker.waitForURL(`${staff.base}/start/grid-event`);
    const again = worker.locator('details.start[open]', { hasText: '网格事件' });
    expect(await txt(again.locator('.alert'))).toContain('附件“照片2.png”：文件内容与扩展名 .png 不符');
    expect(await txt(again.locator('.alert'))).toContain('表单也有 1 处需要修改');
    expect(await worker.getAttribute('#s_grid-event_place', 'aria-invalid')).toBe('true');
    expect(await worker.inputValue('#s_grid-event_description')).toBe('绿化带内倾倒生活垃圾');
    expect(await worker.inputValue('#bk_grid-event')).toBe(bk);
    await worker.screenshot({ path: path.join(SHOTS, 'records-start-refused.png'), fullPage: true });

    await worker.fill('#s_grid-event_place', '幸福路 20 号');

    await worker.setInputFiles('#files_grid-event', { name: '现场照片（幸福路20号）.png', mimeType: 'image/png', buffer: PHOTO });
    await again.locator('button.primary').click();
    await worker.waitForURL(/\/instances\/[^/?#]+$/);
    expect(await txt(worker.locator('.flash'))).toBe(`已发起：网格事件（巡、拨、办、督）（${bk}），附件 1 个已保存`);
    expect(await txt(worker.locator('#attachments .attachment-list li'))).toBe('现场照片（幸福路20号）.png 70 字节 · 发起 · 网格员（演示） · 2026-03-02 10:15');
    const [photo] = await Promise.all([worker.waitForResponse(/\/api\/attachments\//), worker.locator('#attachments a.attachment-link').click()]);
    expect(photo.status()).toBe(200);
    expect(photo.headers()['content-type']).toBe('image/png');
    await worker.goBack();
    await worker.waitForURL(/\/instances\/[^/?#]+$/);
    await worker.locator('#diagram[data-rendered]').waitFor({ timeout: 15_000 });
    await worker.screenshot({ path: path.join(SHOTS, 'records-start-upload.png'), fullPage: true });
    expect(staff.errors).toEqual([]);
  }, 120_000);
});

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { SHOTS } from './chromium.js';
import { type BrowserWalk, openBrowserWalk, readonlyValue, StaffBrowser, txt } from './staff.js';
import type { ProcessDriver } from '../support/process-driver.js';

/**
 * P5 网格事件（巡、拨、办、督） (processes/grid-event.bpmn) carried from the grid worker's report to the closed event
 * through the staff pages only, in Debian's chromium: the grid worker reports on the start page (巡), the grid office
 * dispatches (拨) — a due date before the report is first refused at the field, then corrected — the responsible
 * unit handles it (办), the reporter's first check fails and sends it back for rework, the second passes and closes
 * it (谁上报、谁核查). Same inputs as test/processes/grid-event.test.ts. Screenshots (prefix p5-) go to
 * test-output/screenshots/.
 */

const BK = 'WG-20260302-0001';
const CHECK = '《社会治理活动方案》篇四 第14项';
const SUMMARY = '【市容环卫】幸福路 12 号门前：人行道上堆放建筑垃圾约 2 立方米，占用盲道';
const FAILED = '盲道上仍有残留碎石，未达到结案标准';

let d: ProcessDriver;
let browser: Browser;
let staff: StaffBrowser;
let walk: BrowserWalk;

beforeAll(async () => {
  walk = await openBrowserWalk('p5_browser', '2026-03-02T09:00:00+08:00', BK);
  ({ d, browser, staff } = walk);
}, 120_000);

afterAll(async () => {
  await walk?.close();
});

/** The text shown for a readonly field of the open task form. */
const shown = (page: Page, label: string) => txt(readonlyValue(page, label));

/** The instance page, once bpmn-js has drawn the diagram with its markers. */
async function instancePage(page: Page, instanceId: string): Promise<void> {
  await page.goto(`${staff.base}/instances/${encodeURIComponent(instanceId)}`);
  await page.locator('#diagram[data-rendered="true"]').waitFor({ timeout: 15_000 });
  await page.locator('#diagram .djs-element.bpmn-completed').first().waitFor({ timeout: 10_000 });
}

/** The classes bpmn-js put on a diagram element (bpmn-completed, bpmn-active…). */
const classesOf = (page: Page, elementId: string) =>
  page.locator(`#diagram .djs-element[data-element-id="${elementId}"]`).first().getAttribute('class').then((c) => c ?? '');

describe('P5 grid-event in the browser', () => {
  it('reported on the start page, dispatched, handled, sent back by a failed check, reworked and closed by the reporter', async () => {
    // ── 巡: the grid worker reports the event on the start page ──────────────────────────────────────────
    const worker = await staff.as('grid-worker');
    await worker.click('nav a[href="/start"]');
    expect(await txt(worker.locator('h1'))).toBe('发起流程');
    const start = worker.locator('details.start', { hasText: '网格事件' });
    await start.locator('summary').click();
    await worker.fill('#bk_grid-event', BK);
    await worker.selectOption('#s_grid-event_eventType', 'sanitation');
    await worker.fill('#s_grid-event_grid', '幸福社区第3网格');
    await worker.fill('#s_grid-event_place', '幸福路 12 号门前');
    await worker.fill('#s_grid-event_description', '人行道上堆放建筑垃圾约 2 立方米，占用盲道');
    // 一般 is the default; not a minor event of the list
    expect(await worker.inputValue('#s_grid-event_urgency')).toBe('normal');
    expect(await worker.isChecked('#s_grid-event_minorEvent')).toBe(false);
    await worker.screenshot({ path: path.join(SHOTS, 'p5-start.png'), fullPage: true });
    await start.locator('button.primary').click();
    await worker.waitForURL(/\/instances\/[^/?]+$/);
    const instanceId = decodeURIComponent(new URL(worker.url()).pathname.split('/').pop()!);
    expect(await txt(worker.locator('.flash'))).toBe(`已发起：网格事件（巡、拨、办、督）（${BK}）`);
    expect(await txt(worker.locator('#open_heading + ul'))).toContain('网格管理办公室派遣（拨）');
    expect(await txt(worker.locator('#open_heading + ul'))).toContain('待签收（新华街道·网格管理办公室）');

    // ── 拨: the grid office dispatches; a due date before the report is refused at the field ─────────────
    const office = await staff.as('grid-office');
    await staff.openFromInbox(office, '网格管理办公室派遣（拨）');
    expect(await shown(office, '事件')).toBe(SUMMARY);
    await office.fill('#f_responsibleUnit', '街道城管执法队');
    await office.fill('#f_handleDueDate', '2026-03-01');
    await office.fill('#f_dispatchNote', '请于期限内清运，恢复盲道');
    await office.click('form.form button.primary');
    expect(await txt(office.locator('#f_handleDueDate_error'))).toBe(`办理期限不能早于事件上报日期（${CHECK}：巡、拨、办、督）`);
    expect(await office.locator('#f_handleDueDate').getAttribute('aria-invalid')).toBe('true');
    expect(await office.inputValue('#f_responsibleUnit')).toBe('街道城管执法队');
    expect(await office.inputValue('#f_dispatchNote')).toBe('请于期限内清运，恢复盲道');
    expect(await office.inputValue('#f_handleDueDate')).toBe('2026-03-01');
    await office.screenshot({ path: path.join(SHOTS, 'p5-dispatch-error.png'), fullPage: true });
    await office.fill('#f_handleDueDate', '2026-03-06');
    await staff.submitTask(office, '网格管理办公室派遣（拨）');

    // ── 办: the responsible unit handles it the next day, within the due date ───────────────────────────
    await d.setClock('2026-03-03T10:00:00+08:00');
    const unit = await staff.as('responsible-unit');
    await unit.goto(`${staff.base}/tasks`);
    expect(await txt(unit.locator('table.tasks tbody tr', { hasText: BK }))).toContain('2026-03-06 23:59');
    await staff.openFromInbox(unit, '责任单位办理（办）');
    expect(await shown(unit, '责任单位')).toBe('街道城管执法队');
    expect(await shown(unit, '办理期限')).toBe('2026-03-06');
    await unit.fill('#f_handlingResult', '已清运建筑垃圾，恢复盲道');
    await unit.fill('#f_handledOn', '2026-03-03');
    await staff.submitTask(unit, '责任单位办理（办）');

    // ── 核查: the reporter's own check (谁上报、谁核查) fails and sends the event back ─────────────────────
    await staff.openFromInbox(worker, '网格员核查（谁上报、谁核查）');
    expect(await txt(worker.locator('.card.form-card .meta'))).toContain('办理人：网格员（演示）');
    expect(await shown(worker, '整治单位')).toBe('街道城管执法队');
    expect(await shown(worker, '整治情况')).toBe('已清运建筑垃圾，恢复盲道');
    expect(await shown(worker, '此前核查不通过次数')).toBe('0');
    await worker.check('#f_decision_reject');
    await worker.fill('#f_opinion', FAILED);
    await worker.screenshot({ path: path.join(SHOTS, 'p5-verify-reject.png'), fullPage: true });
    await staff.submitTask(worker, '网格员核查（谁上报、谁核查）');

    await instancePage(worker, instanceId);
    expect(await txt(worker.locator('.facts'))).toContain('进行中');
    expect(await txt(worker.locator('#open_heading + ul'))).toContain('责任单位退回整治');
    expect(await txt(worker.locator('.timeline'))).toContain(`办理完成 · 网格员核查（谁上报、谁核查） 办理人：网格员（演示） 结论：不通过 意见：${FAILED}`);
    expect(await classesOf(worker, 'rework')).toContain('bpmn-active');
    await worker.screenshot({ path: path.join(SHOTS, 'p5-instance-rework.png'), fullPage: true });

    // ── 退回整治: the unit sees why, and reworks ───────────────────────────────────────────────────────
    await d.setClock('2026-03-04T10:00:00+08:00');
    await staff.openFromInbox(unit, '责任单位退回整治');
    expect(await shown(unit, '核查不通过的原因')).toBe(FAILED);
    expect(await shown(unit, '累计核查不通过次数')).toBe('1');
    expect(await unit.inputValue('#f_handlingResult')).toBe('已清运建筑垃圾，恢复盲道');
    await unit.fill('#f_handlingResult', '清除盲道残留碎石，更换破损盲道砖 6 块');
    await unit.fill('#f_handledOn', '2026-03-04');
    await unit.screenshot({ path: path.join(SHOTS, 'p5-rework.png'), fullPage: true });
    await staff.submitTask(unit, '责任单位退回整治');

    // ── 核查 again: passes, the event is closed ─────────────────────────────────────────────────────────
    await staff.openFromInbox(worker, '网格员核查（谁上报、谁核查）');
    expect(await shown(worker, '整治情况')).toBe('清除盲道残留碎石，更换破损盲道砖 6 块');
    expect(await shown(worker, '此前核查不通过次数')).toBe('1');
    await worker.check('#f_decision_approve');
    await worker.fill('#f_opinion', '现场已清理干净，达到结案标准');
    await staff.submitTask(worker, '网格员核查（谁上报、谁核查）');

    // nothing of the event is left in any inbox
    for (const page of [worker, office, unit]) {
      await page.goto(`${staff.base}/tasks`);
      await page.locator('h1', { hasText: '我的待办' }).waitFor();
      expect(await page.locator('table.tasks tbody tr', { hasText: BK }).count()).toBe(0);
    }

    await instancePage(worker, instanceId);
    expect(await txt(worker.locator('.facts'))).toContain('已完成');
    expect(await txt(worker.locator('#open_heading + *'))).toBe('没有等待办理的步骤。');
    const timeline = await txt(worker.locator('.timeline'));
    expect(timeline).toContain('办理完成 · 责任单位退回整治 办理人：责任单位（演示）');
    expect(timeline).toContain('结论：通过 意见：现场已清理干净，达到结案标准');
    expect(timeline).toContain('流程结束');
    expect(await worker.locator('.timeline .tag.d-reject').count()).toBe(1);
    expect(await worker.locator('.timeline .tag.d-approve').count()).toBe(1);
    expect(await classesOf(worker, 'endClosed')).toContain('bpmn-completed');
    expect(await classesOf(worker, 'supervise')).not.toMatch(/bpmn-(completed|active)/);
    await worker.screenshot({ path: path.join(SHOTS, 'p5-instance-closed.png'), fullPage: true });
    await worker.locator('#diagram').screenshot({ path: path.join(SHOTS, 'p5-instance-closed-diagram.png') });

    expect(staff.errors).toEqual([]);
  }, 240_000);
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, SHOTS } from './chromium.js';
import type { Database } from '../../server/db/connect.js';
import { Runtime } from '../../server/runtime/runtime.js';
import { serviceHandlers } from '../../server/services/registry.js';
import { testApp, type TestApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';

/**
 * The admin modeler in a real browser (Debian chromium through playwright-core): the four shipped processes open
 * without an import error; a form field label and a candidate group changed through the bpmn-js API are deployed
 * with the page's 部署 button as version 2, which then starts an instance; every MIWG diagram in ../shared/miwg
 * imports and exports again with all its flow elements. Screenshots: test-output/screenshots/admin-*.png.
 */

const root = process.cwd();
const MIWG = path.resolve(root, '../shared/miwg');
const PROCESS_FILES = ['committee-election', 'four-deliberations', 'mental-health-contract', 'pilot-campaign'];

let database: Database;
let runtime: Runtime;
let server: Server;
let base = '';
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  database = await testDatabase('admin_modeler');
  let app: TestApp['app'];
  ({ app, runtime } = await testApp(database, {
    at: new Date('2026-03-02T01:00:00Z'),
    http: { loginRateLimit: { windowMs: 60_000, limit: 1000 } },
    services: { ...serviceHandlers },
  }));
  for (const key of PROCESS_FILES) {
    const deployed = await runtime.deploy(readFileSync(path.join(root, 'processes', `${key}.bpmn`), 'utf8'), null);
    expect(deployed).toMatchObject({ key, version: 1 });
  }
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${base}/login?next=/admin/processes`);
  await page.fill('#username', 'admin');
  await page.fill('#password', 'demo');
  await page.click('button[type="submit"].primary');
  await page.waitForURL(`${base}/admin/processes`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await database?.close();
});

/** Opens the modeler page (a fresh navigation) and waits for the first diagram. */
async function openModeler(key = ''): Promise<{ status: string; statusClass: string }> {
  await page.goto(`${base}/admin/modeler${key ? `/${key}` : ''}`);
  await page.waitForSelector('#modeler-app[data-ready="true"]', { timeout: 20_000 });
  return page.evaluate(() => {
    const node = document.getElementById('modeler-status')!;
    return { status: node.textContent ?? '', statusClass: node.className };
  });
}

describe('admin modeler', () => {
  it('shows the processes page with the four processes', async () => {
    await page.goto(`${base}/admin/processes`);
    for (const key of PROCESS_FILES) expect(await page.locator(`#p_${key}`).count()).toBe(1);
    expect(await page.textContent('section:has(#p_four-deliberations) .admin-links')).toContain('可发起：社区党组织');
    await page.screenshot({ path: path.join(SHOTS, 'admin-processes.png'), fullPage: false });
  });

  it.each(PROCESS_FILES)('opens %s, deploys a changed label and candidate group as version 2', async (key) => {
    const { status, statusClass } = await openModeler(key);
    expect(status).toBe(`已打开 ${key} 版本 1`);
    expect(statusClass).not.toMatch(/error|warn/);

    // Change the first user task that has a form: a field label and its candidate groups.
    const changed = await page.evaluate(() => {
      const w = window as unknown as { bpmnModeler: { get(name: string): any } };
      const registry = w.bpmnModeler.get('elementRegistry');
      const modeling = w.bpmnModeler.get('modeling');
      const task = registry.filter((e: any) => {
        if (e.type !== 'bpmn:UserTask') return false;
        const ext = e.businessObject.extensionElements?.values ?? [];
        return ext.some((v: any) => v.$type === 'camunda:FormData' && v.fields?.length);
      })[0];
      const formData = task.businessObject.extensionElements.values.find((v: any) => v.$type === 'camunda:FormData');
      const field = formData.fields[formData.fields.length - 1];
      const label = `${field.label}（修订）`;
      modeling.updateModdleProperties(task, field, { label });
      const groups = String(task.businessObject.get('camunda:candidateGroups') ?? '').split(',').map((g: string) => g.trim()).filter(Boolean);
      const next = groups.includes('street-office') ? groups.filter((g: string) => g !== 'street-office') : [...groups, 'street-office'];
      modeling.updateProperties(task, { 'camunda:candidateGroups': next.join(',') });
      return { taskId: task.id as string, fieldId: field.id as string, label, groups: next.join(',') };
    });

    if (key === 'four-deliberations') {
      // the properties panel of the changed task, in Chinese
      await page.evaluate((id) => {
        const w = window as unknown as { bpmnModeler: { get(name: string): any } };
        w.bpmnModeler.get('selection').select(w.bpmnModeler.get('elementRegistry').get(id));
      }, changed.taskId);
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(SHOTS, 'admin-modeler.png') });
    }

    await page.click('[data-action="deploy"]');
    await page.waitForSelector('#diff-panel:not([hidden])', { timeout: 10_000 });
    const diff = (await page.textContent('#diff-body')) ?? '';
    expect(diff).toContain('与已部署的版本 1 相比');
    expect(diff).toContain(changed.taskId);
    if (key === 'four-deliberations') await page.screenshot({ path: path.join(SHOTS, 'admin-modeler-diff.png') });
    await page.click('[data-action="confirm-deploy"]');
    await page.waitForFunction(() => /已部署|部署失败/.test(document.getElementById('modeler-status')?.textContent ?? ''), null, {
      timeout: 15_000,
    });
    expect(await page.textContent('#modeler-status')).toBe(`已部署：${key} 版本 2`);

    const v2 = await runtime.getDefinition(key, 2);
    expect(v2.deployedBy).toBe('admin');
    expect(v2.xml).toContain(changed.label);
    expect(v2.xml).toContain(`camunda:candidateGroups="${changed.groups}"`);
  });

  it('starts an instance on the new version through the API and shows it in the admin instance view', async () => {
    const started = await page.evaluate(async () => {
      const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
      const res = await fetch('/api/processes/four-deliberations/instances', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
        body: JSON.stringify({
          businessKey: 'SYX-2026-008',
          variables: { communityName: '幸福社区', subject: '幸福小区加装电梯', content: '为幸福小区3栋加装电梯一部', budget: 120000, reasons: '3栋老年住户多，上下楼困难' },
        }),
      });
      return { status: res.status, body: await res.json() };
    });
    expect(started.status).toBe(201);
    const id = started.body.id ?? started.body.instance?.id ?? started.body.instance?._id;
    expect(typeof id).toBe('string');
    const view = await runtime.getInstance(id);
    expect(view.instance.version).toBe(2);
    const task = view.openTasks[0]!;
    // the first step is the task changed in the modeler: street-office was added to its candidate groups
    expect(task.elementId).toBe('jointMeeting');
    expect(task.candidateGroups).toEqual(['party-committee', 'residents-committee', 'street-office']);

    await page.goto(`${base}/admin/instances/${encodeURIComponent(id)}`);
    await page.waitForSelector('[data-bpmn-viewer][data-rendered]', { timeout: 15_000 });
    expect(await page.getAttribute('[data-bpmn-viewer]', 'data-rendered')).toBe('true');
    expect(await page.locator('.bpmn-active').count()).toBeGreaterThan(0);
    expect(await page.locator('.bpmn-completed').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'admin-instance.png'), fullPage: true });
  });

  it('opens every MIWG diagram and exports it again without losing flow elements', async () => {
    if (!existsSync(MIWG)) {
      console.warn(`MIWG diagrams not found at ${MIWG}: skipping the MIWG round trip.`);
      return;
    }
    const files = readdirSync(MIWG).filter((f) => f.endsWith('.bpmn')).sort();
    expect(files.length).toBeGreaterThan(0);
    await openModeler();
    const results: { file: string; error?: string; before: number; after: number; lost: string[] }[] = [];
    for (const file of files) {
      const xml = readFileSync(path.join(MIWG, file), 'utf8');
      results.push({
        file,
        ...(await page.evaluate(async (source) => {
          const w = window as unknown as { modelerPage: any; bpmnModeler: any };
          const ids = (definitions: any): string[] => {
            const out: string[] = [];
            const walk = (container: any) => {
              for (const el of container.flowElements ?? []) {
                out.push(el.id);
                if (el.flowElements) walk(el);
              }
            };
            for (const root of definitions.rootElements ?? []) if (root.$type === 'bpmn:Process') walk(root);
            return out;
          };
          try {
            await w.modelerPage.importXml(source, { source: 'new', version: null });
            const before = ids(w.bpmnModeler.getDefinitions());
            const { xml } = await w.bpmnModeler.saveXML({ format: true });
            const { rootElement } = await w.bpmnModeler.get('moddle').fromXML(xml);
            const after = new Set(ids(rootElement));
            return { before: before.length, after: after.size, lost: before.filter((id) => !after.has(id)) };
          } catch (err) {
            return { error: String((err as Error).message ?? err), before: 0, after: 0, lost: [] };
          }
        }, xml)),
      });
      if (file === 'C.1.0.bpmn') await page.screenshot({ path: path.join(SHOTS, 'admin-modeler-miwg.png') });
    }
    const failed = results.filter((r) => r.error || r.lost.length || r.before === 0);
    expect(failed).toEqual([]);
    console.log(`MIWG: ${results.length} diagrams, ${results.reduce((a, r) => a + r.before, 0)} flow elements, all kept`);
  });

  it('raised no script error in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});

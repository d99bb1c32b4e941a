import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, SHOTS } from './chromium.js';
import { StaffBrowser, txt } from './staff.js';
import { startServer, uriForDatabase, type ServerProcess } from '../support/server-process.js';

/**
 * A street office deploys the platform for real (issue 14): the server runs in production mode on an empty
 * database, so no demo user exists. The administrator builds the organisation (district → street → two
 * communities) and its people in the browser — by hand and from a GBK CSV — each newcomer must replace the
 * temporary password, and then a grid event (P5) of 幸福社区 runs end to end with them, while 和谐社区's grid
 * worker never sees it. Screenshots (prefix org-) go to test-output/screenshots/.
 */

const ROOT = { username: 'root', password: 'Root-pass-2026!' };
const BK = 'WG-PROD-0001';
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `org-${name}.png`), fullPage: true });

/** Today in Beijing (the server runs the real clock): what "已经发生" dates must not be after. */
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

let server: ServerProcess;
let browser: Browser;
let staff: StaffBrowser;

beforeAll(async () => {
  server = await startServer({
    NODE_ENV: 'production',
    ADMIN_USERNAME: ROOT.username,
    ADMIN_PASSWORD: ROOT.password,
    MONGODB_URI: uriForDatabase(`org_production_${process.pid}`),
  });
  browser = await launchChromium(['--lang=zh-CN']);
  staff = new StaffBrowser(browser, server.url, BK);
}, 120_000);

afterAll(async () => {
  await staff?.close();
  await browser?.close();
  await server?.stop();
});

async function addUnit(admin: Page, name: string, kind: string, parentId: string | null, id: string) {
  await admin.fill('#u_name', name);
  await admin.selectOption('#u_kind', kind);
  await admin.selectOption('#u_parent', parentId ?? '');
  await admin.fill('#u_id', id);
  await admin.click('#unit-form button.primary');
  await admin.waitForURL(`${server.url}/admin/units`);
  expect(await txt(admin.locator('.flash'))).toContain(`“${name}”`);
}

async function addUser(admin: Page, username: string, name: string, unitId: string, roles: string[], password: string) {
  await admin.goto(`${server.url}/admin/users`);
  await admin.fill('#n_username', username);
  await admin.fill('#n_name', name);
  await admin.selectOption('#n_unit', unitId);
  for (const role of roles) await admin.check(`#user-form input[name="roles"][value="${role}"]`);
  await admin.fill('#n_password', password);
  await admin.click('#user-form button.primary');
  expect(await txt(admin.locator('.flash'))).toBe(`已创建用户 ${username}（${name}）。首次登录须修改密码。`);
}

/** A CSV as Excel on a Chinese Windows writes it: GBK. */
function gbk(text: string): Buffer {
  const decoder = new TextDecoder('gbk');
  const table = new Map<string, number[]>();
  for (let hi = 0x81; hi <= 0xfe; hi++) {
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      if (lo === 0x7f) continue;
      const ch = decoder.decode(new Uint8Array([hi, lo]));
      if (ch.length === 1 && !table.has(ch)) table.set(ch, [hi, lo]);
    }
  }
  return Buffer.from([...text].flatMap((ch) => (ch.charCodeAt(0) < 0x80 ? [ch.charCodeAt(0)] : (table.get(ch) ?? [0x3f]))));
}

describe('production: an organisation built in the browser runs a process', () => {
  it('no demo user can sign in', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/login`);
    await page.fill('#username', 'street-office');
    await page.fill('#password', 'demo');
    await page.click('form.form button.primary');
    expect(await txt(page.locator('[role="alert"]'))).toContain('用户名或密码错误');
    await page.close();
  });

  it('the administrator builds the organisation and its people, by hand and from a CSV', async () => {
    const admin = await staff.signIn(ROOT.username, ROOT.password);
    await admin.goto(`${server.url}/admin/units`);
    expect(await txt(admin.locator('.card.empty'))).toContain('还没有单位');
    await addUnit(admin, '和平区', 'district', null, 'heping');
    await addUnit(admin, '新华街道', 'street', 'heping', 'xinhua');
    await addUnit(admin, '幸福社区', 'community', 'xinhua', 'xingfu');
    await addUnit(admin, '和谐社区', 'community', 'xinhua', 'hexie');
    // a community cannot hang directly under a district
    await admin.fill('#u_name', '错位社区');
    await admin.selectOption('#u_kind', 'community');
    await admin.selectOption('#u_parent', 'heping');
    await admin.fill('#u_id', '');
    await admin.click('#unit-form button.primary');
    expect(await txt(admin.locator('[role="alert"]'))).toBe('社区的上级单位应为街道（镇），不能是区（县）');
    expect(await admin.inputValue('#u_name')).toBe('错位社区');
    const tree = await txt(admin.locator('.unit-tree'));
    // siblings in 拼音 order
    expect(tree).toMatch(/和平区.*新华街道.*和谐社区.*幸福社区/);
    await shot(admin, 'units');

    await addUser(admin, 'wang.grid', '王网格', 'xingfu', ['grid-worker'], 'Temp-pass-01');
    await addUser(admin, 'li.office', '李调度', 'xinhua', ['grid-office'], 'Temp-pass-02');
    await addUser(admin, 'zhao.unit', '赵城管', 'xinhua', ['responsible-unit', 'rectification-team'], 'Temp-pass-03');

    await admin.goto(`${server.url}/admin/users`);
    const csv = '用户名,姓名,所属单位,角色,初始密码\nchen.hx,陈网格,和谐社区,网格员,Temp-pass-04\nbad.row,无单位,光明社区,网格员,Temp-pass-05\n';
    await admin.setInputFiles('#i_file', { name: '和谐社区人员.csv', mimeType: 'text/csv', buffer: gbk(csv) });
    await admin.click('#import-form button.primary');
    const report = await txt(admin.locator('#import-report'));
    expect(report).toContain('共 2 行，创建 1 个用户，拒绝 1 行');
    expect(report).toContain('第 3 行 bad.row 单位“光明社区”不存在');
    const users = await txt(admin.locator('#user-list'));
    expect(users).toContain('chen.hx 陈网格 和谐社区（新华街道） 网格员 待改密码');
    expect(users).toContain('zhao.unit 赵城管 新华街道（和平区） 责任单位、综合整治队 待改密码');
    await shot(admin, 'users-import');

    await admin.goto(`${server.url}/admin/org-audit`);
    const log = await txt(admin.locator('#org-audit'));
    expect(log).toContain('root 添加单位 幸福社区');
    expect(log).toContain('root 导入用户');
  });

  it('the newcomers replace their temporary passwords and carry a grid event of 幸福社区 to its end', async () => {
    const worker = await staff.signIn('wang.grid', 'Temp-pass-01', 'Wang-own-2026');
    await worker.goto(`${server.url}/start`);
    const start = worker.locator('details.start', { hasText: '网格事件' });
    await start.locator('summary').click();
    // the case belongs to the reporter's community
    expect(await start.locator('select[name="unitId"] option:checked').textContent()).toBe('幸福社区');
    await worker.fill('#bk_grid-event', BK);
    await worker.selectOption('#s_grid-event_eventType', 'sanitation');
    await worker.fill('#s_grid-event_grid', '幸福社区第1网格');
    await worker.fill('#s_grid-event_place', '幸福路 8 号');
    await worker.fill('#s_grid-event_description', '垃圾桶破损，垃圾外溢');
    await start.locator('button.primary').click();
    await worker.waitForURL(/\/instances\/[^/?]+$/);
    expect(await txt(worker.locator('#open_heading + ul'))).toContain('待签收（新华街道·网格管理办公室）');

    // 和谐社区's grid worker sees nothing of it
    const other = await staff.signIn('chen.hx', 'Temp-pass-04', 'Chen-own-2026');
    expect(await other.locator('table.tasks tbody tr', { hasText: BK }).count()).toBe(0);
    const elsewhere = await other.goto(worker.url());
    expect(elsewhere?.status()).toBe(403);
    staff.errors.splice(0); // that 403 was the point

    const office = await staff.signIn('li.office', 'Temp-pass-02', 'Li-own-2026');
    await staff.openFromInbox(office, '网格管理办公室派遣（拨）');
    await office.fill('#f_responsibleUnit', '街道环卫所');
    await office.fill('#f_handleDueDate', today);
    await staff.submitTask(office, '网格管理办公室派遣（拨）');

    const unit = await staff.signIn('zhao.unit', 'Temp-pass-03', 'Zhao-own-2026');
    await staff.openFromInbox(unit, '责任单位办理（办）');
    await unit.fill('#f_handlingResult', '已更换垃圾桶并清理');
    await unit.fill('#f_handledOn', today);
    await staff.submitTask(unit, '责任单位办理（办）');

    await staff.openFromInbox(worker, '网格员核查（谁上报、谁核查）');
    await worker.check('#f_decision_approve');
    await worker.fill('#f_opinion', '已整改到位');
    await staff.submitTask(worker, '网格员核查（谁上报、谁核查）');

    await worker.goto(`${server.url}/mine`);
    expect(await txt(worker.locator('table tbody tr', { hasText: BK }))).toContain('已完成');
    await shot(worker, 'p5-completed');

    // 辖区案件: the street sees its community's case; the other community does not
    await office.goto(`${server.url}/cases`);
    expect(await txt(office.locator('#case-list tbody tr', { hasText: BK }))).toContain('幸福社区');
    await shot(office, 'cases');
    await other.goto(`${server.url}/cases`);
    expect(await other.locator('#case-list tbody tr', { hasText: BK }).count()).toBe(0);
    expect(staff.errors).toEqual([]);
  });
});

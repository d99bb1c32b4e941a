import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import request from 'supertest';
import { InstanceExport } from '../server/records/instance-export.js';
import { TaskExport } from '../server/records/task-export.js';
import { ProcessDriver, type InstanceJson } from './support/process-driver.js';

// The Excel exports (GET /api/instances/export.xlsx, GET /api/tasks/export.xlsx) and the 事项名称/业务编号 search of
// GET /api/instances, on P5 grid events reported in three communities of two streets (幸福社区 and 和谐社区 of 新华街道,
// 光明社区 of 光明街道) and one P3 case, each read back with exceljs.

let d: ProcessDriver;
const started: Record<string, InstanceJson> = {};

const event = (place: string) => ({ eventType: 'sanitation', grid: '第1网格', place, description: `${place}堆放建筑垃圾`, urgency: 'normal' });

beforeAll(async () => {
  d = await ProcessDriver.create('exports_api', '2026-03-02T09:00:00+08:00');
  started.a1 = await d.start('grid-worker', 'grid-event', event('幸福路 12 号'), 'WG-A-001');
  await d.setClock('2026-03-05T10:00:00+08:00');
  started.a2 = await d.start('grid-worker', 'grid-event', event('幸福路 30 号'), 'wg-a-002');
  await d.setClock('2026-03-05T10:01:00+08:00');
  started.b1 = await d.start('hexie-grid', 'grid-event', event('和谐路 8 号'), 'WG-B-001');
  await d.setClock('2026-03-05T10:02:00+08:00');
  started.c1 = await d.start('guangming-grid', 'grid-event', event('光明路 1 号'), 'WG-C-001');
  await d.setClock('2026-03-09T10:00:00+08:00');
  started.p3 = await d.start(
    'party-committee',
    'four-deliberations',
    { communityName: '幸福', subject: '幸福小区加装电梯', content: '为幸福小区3栋加装电梯一部', budget: 120000, reasons: '3栋老年住户多，上下楼困难' },
    'SD-2026-01',
  );
  // the first event is dispatched and handled, so its steps have recorded values
  await d.complete('grid-office', started.a1.id, 'dispatch', { responsibleUnit: '街道城管执法队', handleDueDate: '2026-03-12', dispatchNote: '请于期限内清运' });
  await d.complete('responsible-unit', started.a1.id, 'handle', { handlingResult: '已清运建筑垃圾', handledOn: '2026-03-09' });
});

afterAll(async () => {
  await d?.close();
});

/** The response body as bytes, whatever its type. */
async function bytesOf(username: string, url: string) {
  return request(d.app)
    .get(url)
    .set('Authorization', `Bearer ${await d.token(username)}`)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

interface Sheet {
  headers: string[];
  rows: Record<string, unknown>[];
  /** Lines after the data that are not rows (the cut notice). */
  sheet: ExcelJS.Worksheet;
  about: Map<string, string>;
}

async function read(bytes: Buffer): Promise<Sheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0]!;
  const headers = (sheet.getRow(1).values as unknown[]).slice(1).map(String);
  const rows: Record<string, unknown>[] = [];
  sheet.eachRow((row, n) => {
    if (n === 1) return;
    const values = (row.values as unknown[]).slice(1);
    rows.push(Object.fromEntries(headers.map((h, i) => [h, values[i] ?? null])));
  });
  const about = new Map<string, string>();
  workbook.getWorksheet('说明')!.eachRow((row) => about.set(String(row.getCell(1).value), String(row.getCell(2).value)));
  return { headers, rows, sheet, about };
}

async function exported(username: string, url: string): Promise<Sheet> {
  const res = await bytesOf(username, url);
  expect([url, res.status]).toEqual([url, 200]);
  expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[^"]+\.xlsx"; filename\*=UTF-8''/);
  return read(res.body as Buffer);
}

const keys = (sheet: Sheet) => sheet.rows.map((r) => r['业务编号']);

describe('search by 事项名称/业务编号 (GET /api/instances?q=)', () => {
  it('matches a part of the business key or of the process name, either case, within what the person may see', async () => {
    const list = async (user: string, query: string) => {
      const res = await d.get(user, `/api/instances?${query}`);
      expect(res.status).toBe(200);
      return { keys: res.body.items.map((i: { businessKey: string }) => i.businessKey), total: res.body.total };
    };
    expect(await list('street-office', 'scope=unit&q=wg-A')).toEqual({ keys: ['wg-a-002', 'WG-A-001'], total: 2 });
    expect(await list('street-office', `scope=unit&q=${encodeURIComponent('网格事件')}`)).toEqual({ keys: ['WG-B-001', 'wg-a-002', 'WG-A-001'], total: 3 });
    expect(await list('admin', `q=${encodeURIComponent('四议')}`)).toEqual({ keys: ['SD-2026-01'], total: 1 });
    // a text naming a process and part of business keys: both, each once, newest first, paged
    expect(await list('admin', 'q=sd')).toEqual({ keys: ['SD-2026-01'], total: 1 });
    expect(await list('admin', `q=${encodeURIComponent('网格')}&limit=2&skip=1`)).toEqual({ keys: ['WG-B-001', 'wg-a-002'], total: 4 });
    expect(await list('grid-worker', `q=${encodeURIComponent('网格')}`)).toEqual({ keys: ['wg-a-002', 'WG-A-001'], total: 2 });
    expect(await list('guangming-street', `scope=unit&q=wg`)).toEqual({ keys: ['WG-C-001'], total: 1 });
    expect((await d.get('street-office', '/api/instances?scope=unit&from=2026-03-05&to=2026-03-05')).body.total).toBe(2);
    expect((await d.get('street-office', '/api/instances?from=2026-3-5')).status).toBe(400);
  });
});

describe('GET /api/instances/export.xlsx', () => {
  it('exports the cases of my unit and the units under it, never those of another unit, in Chinese with a frozen header', async () => {
    const sheet = await exported('street-office', '/api/instances/export.xlsx?scope=unit');
    expect(sheet.headers).toEqual(['流程', '业务编号', '所属单位', '状态', '发起人', '发起时间', '结束时间']);
    expect(sheet.sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(keys(sheet)).toEqual(['SD-2026-01', 'WG-B-001', 'wg-a-002', 'WG-A-001']);
    expect(sheet.rows[1]).toEqual({
      流程: '网格事件（巡、拨、办、督）',
      业务编号: 'WG-B-001',
      所属单位: '和谐社区',
      状态: '进行中',
      发起人: '和谐社区网格员（演示）',
      // Beijing wall-clock time, as a real Excel date
      发起时间: new Date('2026-03-05T10:01:00.000Z'),
      结束时间: null,
    });
    expect(sheet.about.get('范围')).toBe('辖区案件（新华街道（和平区）及其下级单位）');
    expect(sheet.about.get('条数')).toBe('4');

    expect(keys(await exported('guangming-street', '/api/instances/export.xlsx?scope=unit'))).toEqual(['WG-C-001']);
    expect(keys(await exported('hexie-grid', '/api/instances/export.xlsx'))).toEqual(['WG-B-001']);
    expect(keys(await exported('hexie-grid', '/api/instances/export.xlsx?scope=unit'))).toEqual(['WG-B-001']);
    expect(keys(await exported('admin', '/api/instances/export.xlsx'))).toHaveLength(5);
    expect((await d.get('street-office', '/api/instances/export.xlsx?scope=all')).status).toBe(403);
    expect((await d.get('admin', '/api/instances/export.xlsx?scope=unit')).status).toBe(403);
    expect((await d.get('hexie-grid', '/api/instances/export.xlsx?startedBy=grid-worker')).status).toBe(403);
  });

  it('for one process adds its start form and the values its steps recorded, labelled as on its forms', async () => {
    const sheet = await exported('street-office', `/api/instances/export.xlsx?scope=unit&processKey=grid-event&q=${encodeURIComponent('WG-A')}`);
    expect(sheet.headers.slice(7, 12)).toEqual(['事件类型', '所属网格', '事件地点', '事件描述', '紧急程度']);
    expect(sheet.headers).toEqual(expect.arrayContaining(['事件', '责任单位', '办理期限', '派遣意见', '整治情况', '整治完成日期']));
    expect(sheet.headers).not.toContain('核查结论');
    const first = sheet.rows.find((r) => r['业务编号'] === 'WG-A-001')!;
    expect(first).toMatchObject({
      事件类型: '市容环卫（洁格）',
      事件地点: '幸福路 12 号',
      紧急程度: '一般',
      责任单位: '街道城管执法队',
      办理期限: new Date('2026-03-12T00:00:00.000Z'),
      整治情况: '已清运建筑垃圾',
      整治完成日期: new Date('2026-03-09T00:00:00.000Z'),
    });
    expect(sheet.rows.find((r) => r['业务编号'] === 'wg-a-002')!['责任单位']).toBeNull();
    expect(sheet.about.get('流程')).toBe('网格事件（巡、拨、办、督）（grid-event）');
    expect(sheet.about.get('搜索')).toBe('WG-A');
  });

  it('takes a range of start dates (Beijing days)', async () => {
    const sheet = await exported('admin', '/api/instances/export.xlsx?process=grid-event&from=2026-03-05&to=2026-03-08');
    expect(keys(sheet).sort()).toEqual(['WG-B-001', 'WG-C-001', 'wg-a-002']);
    expect(sheet.about.get('发起日期')).toBe('2026-03-05 至 2026-03-08');
  });

  it('cuts a list longer than the bound and says so in the file', async () => {
    const small = new InstanceExport(d.runtime, d.database.db, d.clock, 2);
    const sheet = await read(await small.workbook({ query: {}, about: [] }));
    expect(sheet.rows.slice(0, 2).map((r) => r['业务编号'])).toEqual(['SD-2026-01', 'WG-C-001']);
    expect(sheet.rows[2]!['流程']).toBe('列表过长，仅导出前 2 条（共 5 条），请缩小筛选范围后分批导出。');
    expect(sheet.about.get('条数')).toContain('仅导出前 2 条（共 5 条）');
  });
});

describe('GET /api/tasks/export.xlsx', () => {
  it("exports my 待办 (mine and my roles' pool) and my 已办, never another unit's tasks", async () => {
    const inbox = await exported('grid-office', '/api/tasks/export.xlsx?scope=inbox');
    expect(inbox.headers).toEqual(['事项', '流程', '业务编号', '所属单位', '状态', '办理人', '收到时间', '办理期限', '办理时间']);
    expect(inbox.rows.map((r) => r['业务编号'])).toEqual(['WG-B-001', 'wg-a-002']);
    expect(inbox.rows[0]).toMatchObject({ 事项: '网格管理办公室派遣（拨）', 所属单位: '和谐社区', 状态: '待办', 办理人: '待签收' });
    expect((await exported('guangming-street', '/api/tasks/export.xlsx?scope=inbox')).rows).toEqual([]);

    const done = await exported('grid-office', '/api/tasks/export.xlsx?scope=mine&status=completed');
    expect(done.rows).toEqual([
      expect.objectContaining({ 事项: '网格管理办公室派遣（拨）', 业务编号: 'WG-A-001', 状态: '已办结', 办理人: '网格管理办公室（演示）', 办理时间: new Date('2026-03-09T10:00:00.000Z') }),
    ]);
    expect(done.about.get('列表')).toBe('已办');
    const searched = await exported('grid-office', `/api/tasks/export.xlsx?scope=inbox&q=${encodeURIComponent('wg-b')}`);
    expect(searched.rows.map((r) => r['业务编号'])).toEqual(['WG-B-001']);
  });

  it("GET /api/tasks has no list of claimable completed tasks: it would be every unit's completed tasks", async () => {
    const res = await d.get('guangming-street', '/api/tasks?scope=candidate&status=completed');
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual({ scope: '已办结的任务只能按 mine（我办理的）或 all 查看' });
  });

  it('refuses lists that do not exist or are not theirs', async () => {
    expect((await d.get('grid-office', '/api/tasks/export.xlsx?scope=all')).status).toBe(403);
    expect((await d.get('grid-office', '/api/tasks/export.xlsx?scope=candidate&status=completed')).status).toBe(400);
    expect((await d.get('grid-office', '/api/tasks/export.xlsx?scope=everything')).status).toBe(400);
  });

  it('cuts a task list longer than the bound', async () => {
    const small = new TaskExport(d.runtime, d.database.db, d.clock, 1);
    const actor = { id: 'grid-office', groups: ['grid-office'], unitId: 'demo-street-1' };
    const sheet = await read(await small.workbook({ actor, scope: 'inbox', status: 'open', about: [] }));
    expect(sheet.rows[1]!['事项']).toBe('列表过长，仅导出前 1 条（共 1 条以上），请缩小筛选范围后分批导出。');
  });
});

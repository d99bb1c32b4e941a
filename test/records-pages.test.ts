import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type express from 'express';
import request from 'supertest';
import { linearProcess, type Node } from './support/bpmn.js';
import { ProcessDriver, type InstanceJson } from './support/process-driver.js';
import { csrfOf, signedInAgent } from './support/web-session.js';

// The pages of a case's records: the 附件 section of the task and instance pages (upload through the page's
// multipart form), the printable 审批单, and the 事项名称/业务编号 search and Excel links of every list, on P5 grid
// events of 幸福社区 (新华街道), with 和谐社区 (same street) and 光明街道 as the units that must not see them.

let d: ProcessDriver;
let closed: InstanceJson;
let open: InstanceJson;

const PDF = Buffer.from('%PDF-1.4\n%%EOF\n');
const event = (place: string) => ({ eventType: 'sanitation', grid: '第1网格', place, description: `${place}堆放建筑垃圾`, urgency: 'normal' });

const panelXml = linearProcess('page_panel', '独立评审（页面）', [
  { id: 'start', event: true, xml: '<bpmn:startEvent id="start" name="开始"><!--flows--></bpmn:startEvent>' },
  {
    id: 'score',
    xml: `<bpmn:userTask id="score" name="专家评分" camunda:assignee="\${expert}">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="points" label="得分" type="long"><camunda:validation><camunda:constraint name="required" /></camunda:validation></camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <!--flows-->
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="\${[&quot;expert1&quot;,&quot;expert2&quot;]}" camunda:elementVariable="expert" />
    </bpmn:userTask>`,
  },
  { id: 'end', event: true, xml: '<bpmn:endEvent id="end" name="结束"><!--flows--></bpmn:endEvent>' },
] as Node[]);

beforeAll(async () => {
  d = await ProcessDriver.create('records_pages', '2026-03-02T09:00:00+08:00');
  await d.runtime.deploy(panelXml, null);
  closed = await d.start('grid-worker', 'grid-event', event('幸福路 12 号'), 'WG-P-001');
  await d.complete('grid-office', closed.id, 'dispatch', { responsibleUnit: '街道城管执法队', handleDueDate: '2026-03-06', dispatchNote: '请于期限内清运' });
  await d.complete('responsible-unit', closed.id, 'handle', { handlingResult: '已清运建筑垃圾', handledOn: '2026-03-02' });
  await d.setClock('2026-03-04T15:30:00+08:00');
  await d.complete('grid-worker', closed.id, 'verify', { decision: 'approve', opinion: '现场已清理干净' });
  await d.setClock('2026-03-05T09:00:00+08:00');
  open = await d.start('grid-worker', 'grid-event', event('幸福路 30 号'), 'WG-P-002');
});

afterAll(async () => {
  await d?.close();
});

/** A browser-like session signed in through the login form. */
async function signIn(username: string, app: express.Express = d.app) {
  const { agent, login: res } = await signedInAgent(app, username);
  expect(res.status).toBe(303);
  return { agent, csrf: csrfOf((await agent.get('/tasks')).text) };
}

/** The text of a page without its tags, spaces collapsed. */
const unescaped = (html: string) => html.replace(/&#x3D;/g, '=');
const text = (html: string) => unescaped(html).replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/\s+/g, ' ');

describe('附件 on the task and instance pages', () => {
  it('whoever may act on a task adds a file through the page; it shows in the case with its step, person and time', async () => {
    const dispatch = await d.task('grid-office', open.id, 'dispatch');
    const { agent, csrf } = await signIn('grid-office');
    const page = await agent.get(`/tasks/${encodeURIComponent(dispatch.id)}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<link rel="stylesheet" href="/assets/records.css">');
    expect(page.text).toContain(`action="/tasks/${encodeURIComponent(dispatch.id)}/attachments" enctype="multipart/form-data"`);
    expect(text(page.text)).toContain('暂无附件');

    const sent = await agent.post(`/tasks/${encodeURIComponent(dispatch.id)}/attachments`).field('_csrf', csrf).attach('file', PDF, '派遣通知单.pdf');
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe(`/tasks/${encodeURIComponent(dispatch.id)}#attachments`);
    const after = await agent.get(`/tasks/${encodeURIComponent(dispatch.id)}`);
    expect(text(after.text)).toContain('已上传附件：派遣通知单.pdf');
    expect(text(after.text)).toMatch(/派遣通知单\.pdf 15 字节 · 网格管理办公室派遣（拨） · 网格管理办公室（演示） · 2026-03-05 09:00/);

    // a refusal is shown beside the form, once
    const refused = await agent.post(`/tasks/${encodeURIComponent(dispatch.id)}/attachments`).field('_csrf', csrf).attach('file', Buffer.from('MZ\u0090'), 'tool.exe');
    expect(refused.status).toBe(303);
    const shown = await agent.get(`/tasks/${encodeURIComponent(dispatch.id)}`);
    expect(shown.text).toContain('<p class="alert" role="alert">附件未上传：不支持的文件类型（.exe）');
    expect((await agent.get(`/tasks/${encodeURIComponent(dispatch.id)}`)).text).not.toContain('附件未上传');
    const tooLarge = await agent
      .post(`/tasks/${encodeURIComponent(dispatch.id)}/attachments`)
      .field('_csrf', csrf)
      .attach('file', Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024)]), '扫描件.pdf');
    expect(tooLarge.status).toBe(303);
    expect(text((await agent.get(`/tasks/${encodeURIComponent(dispatch.id)}`)).text)).toContain('附件未上传：文件过大（最大 10 MB）');

    // without the page's token nothing is stored
    const forged = await agent.post(`/tasks/${encodeURIComponent(dispatch.id)}/attachments`).attach('file', PDF, '伪造.pdf');
    expect(forged.status).toBe(403);
    expect((await d.get('admin', `/api/instances/${open.id}/attachments`)).body.items.map((a: { name: string }) => a.name)).toEqual(['派遣通知单.pdf']);
  });

  it('the instance page lists the files to whoever may see the case, with the upload form only for the starter and actors', async () => {
    const reporter = await signIn('grid-worker');
    const mine = await reporter.agent.get(`/instances/${open.id}`);
    expect(mine.text).toContain(`action="/instances/${open.id}/attachments"`);
    const sent = await reporter.agent.post(`/instances/${open.id}/attachments`).field('_csrf', reporter.csrf).attach('file', PDF, '现场说明.pdf');
    expect(sent.headers.location).toBe(`/instances/${open.id}#attachments`);
    expect(text((await reporter.agent.get(`/instances/${open.id}`)).text)).toMatch(/现场说明\.pdf 15 字节 · 流程附件 · 网格员（演示）/);

    // the street office sees the community's case and its files, but adds none: it acts on none of its steps
    const street = await signIn('street-office');
    const seen = await street.agent.get(`/instances/${open.id}`);
    expect(text(seen.text)).toContain('派遣通知单.pdf');
    expect(seen.text).not.toContain('enctype="multipart/form-data"');
    const refused = await street.agent.post(`/instances/${open.id}/attachments`).field('_csrf', street.csrf).attach('file', PDF, '无权.pdf');
    expect(refused.status).toBe(303);
    expect((await street.agent.get(`/instances/${open.id}`)).text).toContain('附件未上传：只有发起人或当前步骤的办理人可以添加附件');

    // the page's download link serves the file to the session
    const link = /href="(\/api\/attachments\/[0-9a-f]{24})" class="attachment-link">现场说明\.pdf/.exec(seen.text)![1]!;
    const file = await street.agent.get(link);
    expect(file.status).toBe(200);
    expect(file.headers['content-disposition']).toBe(`attachment; filename="____.pdf"; filename*=UTF-8''${encodeURIComponent('现场说明.pdf')}`);
    expect((await (await signIn('hexie-grid')).agent.get(link)).status).toBe(403);
  });
});

describe('审批单 (GET /instances/:id/print)', () => {
  it('prints the whole case: every step with person, Beijing time, labelled values, decision, opinion and signature hash', async () => {
    const { agent } = await signIn('street-office');
    const res = await agent.get(`/instances/${closed.id}/print`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<link rel="stylesheet" href="/assets/records.css">');
    expect(res.text).toContain('<button type="button" class="primary" data-print>打印</button>');
    expect(res.text).not.toMatch(/<script>(?!<\/script>)|\son[a-z]+="/);
    const page = text(res.text);
    expect(page).toContain('网格事件（巡、拨、办、督） 审批单');
    expect(page).toMatch(/业务编号 WG-P-001 状态 已完成 所属单位 幸福社区（新华街道） 流程版本 第 1 版 发起人 网格员（演示） 发起时间 2026-03-02 09:00/);
    expect(page).toMatch(/网格管理办公室派遣（拨） 网格管理办公室（演示） 2026-03-02 09:00 .*责任单位 街道城管执法队 办理期限 2026-03-06/);
    const hash = (await d.database.db.collection('signoffs').findOne({ instanceId: closed.id }))!.valuesHash as string;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(page).toMatch(new RegExp(`网格员核查（谁上报、谁核查） 网格员（演示） 2026-03-04 15:30 .* 通过 意见：现场已清理干净 依据：《社会治理活动方案》篇四 第14项.+ 签署校验码： ${hash}`));
    expect(page).toContain('本案卷没有附件');
    expect(page).toMatch(/打印人：街道办事处（演示） 打印时间： 2026-03-05 09:00/);
  });

  it('lists the attachments, and is refused to another community and another street', async () => {
    const res = await (await signIn('grid-worker')).agent.get(`/instances/${open.id}/print`);
    expect(res.status).toBe(200);
    expect(text(res.text)).toMatch(/派遣通知单\.pdf 网格管理办公室派遣（拨） 网格管理办公室（演示） 2026-03-05 09:00 15 字节 [0-9a-f]{64}/);
    for (const outsider of ['hexie-grid', 'guangming-street']) {
      const denied = await (await signIn(outsider)).agent.get(`/instances/${open.id}/print`);
      expect([outsider, denied.status]).toEqual([outsider, 403]);
      expect(denied.text).not.toContain('WG-P-002');
    }
  });

  it('while an independent review is open, a reviewer prints neither the other reviewer\'s values nor files', async () => {
    const started = await d.start('street-office', 'page_panel', {}, 'PANEL-PRINT');
    const one = started.openTasks.find((t) => t.assignee === 'expert1')!;
    const two = started.openTasks.find((t) => t.assignee === 'expert2')!;
    const upload = async (user: string, taskId: string, name: string) =>
      request(d.app).post(`/api/instances/${started.id}/attachments`).set('Authorization', `Bearer ${await d.token(user)}`).field('taskId', taskId).attach('file', PDF, name);
    expect((await upload('expert2', two.id, '二号评分表.pdf')).status).toBe(201);
    await d.completeTask('expert2', two, { points: 77 });
    const printed = text((await (await signIn('expert1')).agent.get(`/instances/${started.id}/print`)).text);
    expect(printed).toContain('独立评审进行中，其他评审人提交的内容在本环节结束前不公开');
    expect(printed).not.toContain('77');
    expect(printed).not.toContain('二号评分表.pdf');
    const starter = text((await (await signIn('street-office')).agent.get(`/instances/${started.id}/print`)).text);
    expect(starter).toMatch(/专家评分 评审专家2（演示） .*得分 77/);
    expect(starter).toContain('二号评分表.pdf');
    await d.completeTask('expert1', one, { points: 80 });
  });
});

describe('search and export links of the lists', () => {
  it('我发起的, 已办 and 辖区案件 match a part of the business key or of the process name, and link their Excel export', async () => {
    const reporter = await signIn('grid-worker');
    const mine = await reporter.agent.get(`/mine?q=${encodeURIComponent('p-002')}`);
    expect(text(mine.text)).toContain('WG-P-002');
    expect(text(mine.text)).not.toContain('WG-P-001');
    expect(unescaped(mine.text)).toContain('href="/api/instances/export.xlsx?scope=mine&amp;q=p-002"');
    expect(unescaped(mine.text)).toContain('<a href="/done?q=p-002">已办</a>');
    expect(text((await reporter.agent.get(`/mine?q=${encodeURIComponent('网格事件')}`)).text)).toMatch(/WG-P-002.*WG-P-001/);
    expect(text((await reporter.agent.get('/mine?q=nothing-like-this')).text)).toContain('没有符合条件的流程');

    const done = await reporter.agent.get(`/done?q=${encodeURIComponent('核查')}`);
    expect(text(done.text)).toContain('网格员核查（谁上报、谁核查）');
    expect(unescaped(done.text)).toContain('href="/api/tasks/export.xlsx?scope=mine&amp;status=completed&amp;q=');
    expect(text((await reporter.agent.get('/done?q=WG-P-002')).text)).toContain('没有符合条件的已办事项');

    const street = await signIn('street-office');
    const cases = text((await street.agent.get(`/cases?q=${encodeURIComponent('网格')}`)).text);
    expect(cases).toContain('WG-P-001');
    expect(cases).toContain('WG-P-002');
    expect(cases).not.toContain('PANEL-PRINT');

    const inbox = await (await signIn('grid-office')).agent.get(`/tasks?q=${encodeURIComponent('派遣')}`);
    expect(text(inbox.text)).toContain('WG-P-002');
    expect(unescaped(inbox.text)).toContain('<a href="/tasks?q=%E6%B4%BE%E9%81%A3" aria-current="page">我的待办</a>');
    expect(unescaped(inbox.text)).toContain('href="/api/tasks/export.xlsx?scope=inbox&amp;q=%E6%B4%BE%E9%81%A3"');
  });

  it('the admin instance list takes q for the process name or the business key', async () => {
    const { agent } = await signIn('admin');
    const byName = text((await agent.get(`/admin/instances?q=${encodeURIComponent('独立评审')}`)).text);
    expect(byName).toContain('共 1 个实例');
    expect(byName).toContain('PANEL-PRINT');
    const byKey = await agent.get('/admin/instances?q=wg-p');
    expect(text(byKey.text)).toContain('共 2 个实例');
    expect(unescaped(byKey.text)).toContain('href="/api/instances/export.xlsx?scope=all&amp;q=wg-p"');
  });
});

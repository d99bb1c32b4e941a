import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type express from 'express';
import request from 'supertest';
import type { Database } from '../server/db/connect.js';
import { Runtime } from '../server/runtime/runtime.js';
import { RuleViolation } from '../server/services/types.js';
import { WEB_PROCESS_KEY, webProcessXml } from './browser/fixture.js';
import { testApp } from './support/app.js';
import { scopedReviewProcess } from './support/bpmn.js';
import { testDatabase } from './support/db.js';

/**
 * The admin console over HTTP (supertest against createApp): access (login redirect, 403 for everyone but the
 * admin group), every page, and the actions cancel / retry / reassign, each refusing without a reason or a CSRF token.
 */

const FLAKY_KEY = 'admin_flaky';
let failService = true;

const flakyXml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="defs_flaky" targetNamespace="http://example.org/test">
  <bpmn:process id="${FLAKY_KEY}" name="统计测试流程" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="tally" name="统计票数" camunda:type="external" camunda:topic="test-tally">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end" name="结束"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tally" />
    <bpmn:sequenceFlow id="f2" sourceRef="tally" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="${FLAKY_KEY}">
    <bpmndi:BPMNShape id="s_start" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_tally" bpmnElement="tally"><dc:Bounds x="200" y="78" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_end" bpmnElement="end"><dc:Bounds x="360" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e_f1" bpmnElement="f1"><di:waypoint x="136" y="118" /><di:waypoint x="200" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_f2" bpmnElement="f2"><di:waypoint x="300" y="118" /><di:waypoint x="360" y="118" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;

let database: Database;
let app: express.Express;
let runtime: Runtime;
const resident = { id: 'residents-committee', groups: ['residents-committee'] };

function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no _csrf field in page');
  return m[1]!;
}

async function signIn(username: string) {
  const agent = request.agent(app);
  const page = await agent.get('/login');
  const res = await agent.post('/login').type('form').send({ _csrf: csrfOf(page.text), username, password: 'demo', next: '/tasks' });
  expect(res.status).toBe(303);
  const inbox = await agent.get('/tasks');
  return { agent, csrf: csrfOf(inbox.text) };
}

async function startReview(businessKey: string) {
  return runtime.startInstance(WEB_PROCESS_KEY, { businessKey, variables: { topic: '加装电梯' } }, resident);
}

beforeAll(async () => {
  database = await testDatabase();
  ({ app, runtime } = await testApp(database, {
    at: new Date('2026-03-01T01:00:00Z'),
    http: { loginRateLimit: { windowMs: 60_000, limit: 1000 } },
    services: {
      'test-tally': () => {
        if (failService) throw new RuleViolation('统计失败：测试规则');
        return { tallied: true };
      },
      'test-score': () => ({ score: 1 }),
    },
  }));
  await runtime.deploy(webProcessXml, null);
  await runtime.deploy(flakyXml, null);
  await runtime.deploy(scopedReviewProcess(), null);
}, 60_000);

afterAll(async () => {
  await database?.close();
});

describe('access', () => {
  let id = '';
  let taskId = '';
  beforeAll(async () => {
    const view = await startReview('ACC-1');
    id = view.instance._id;
    taskId = view.openTasks[0]!._id;
  });

  const gets = () => ['/admin', '/admin/processes', '/admin/modeler', `/admin/modeler/${WEB_PROCESS_KEY}`, '/admin/instances', `/admin/instances/${encodeURIComponent(id)}`];

  it('sends visitors who are not signed in to the login form', async () => {
    for (const url of gets()) {
      const res = await request(app).get(url);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
    }
  });

  it('refuses every admin page and action to a signed-in non-admin with a Chinese 403 page', async () => {
    for (const user of ['street-office', 'residents-committee']) {
      const { agent, csrf } = await signIn(user);
      for (const url of gets()) {
        const res = await agent.get(url);
        expect(res.status).toBe(403);
        expect(res.text).toContain('<html lang="zh-CN">');
        expect(res.text).toContain('管理后台仅限系统管理员使用');
      }
      for (const url of [
        `/admin/instances/${encodeURIComponent(id)}/cancel`,
        `/admin/instances/${encodeURIComponent(id)}/retry`,
        `/admin/tasks/${encodeURIComponent(taskId)}/reassign`,
      ]) {
        const res = await agent.post(url).type('form').send({ _csrf: csrf, reason: '试图越权', assignee: user });
        expect(res.status).toBe(403);
        expect(res.text).toContain('无权访问');
      }
    }
    expect((await runtime.getInstance(id)).instance.status).toBe('running');
    expect((await runtime.getTask(taskId)).assignee).toBeNull();
  });

  it('answers an unknown admin page with a Chinese 404 page', async () => {
    const { agent } = await signIn('admin');
    const res = await agent.get('/admin/nothing-here');
    expect(res.status).toBe(404);
    expect(res.text).toContain('管理后台没有这个页面');
  });
});

describe('pages', () => {
  let id = '';
  beforeAll(async () => {
    id = (await startReview('PG-1')).instance._id;
    await runtime.deploy(webProcessXml.replace('填写议事记录', '填写议事会议记录'), null);
    await runtime.startInstance(WEB_PROCESS_KEY, { businessKey: 'PG-2', variables: { topic: '停车' } }, resident);
  });

  it('lists processes with versions and instance counts per version and status', async () => {
    const { agent } = await signIn('admin');
    const res = await agent.get('/admin/processes');
    expect(res.status).toBe(200);
    expect(res.text).toContain('流程管理');
    expect(res.text).toContain('社区议事测试流程');
    expect(res.text).toContain('统计测试流程');
    expect(res.text).toContain('第 2 版');
    expect(res.text).toContain('第 1 版');
    expect(res.text).toContain(`href="/admin/modeler/${WEB_PROCESS_KEY}"`);
    const section = res.text.slice(res.text.indexOf(`id="p_${WEB_PROCESS_KEY}"`));
    const v2 = /第 2 版[\s\S]*?<\/tr>/.exec(section)![0];
    // version 2 has one running instance (PG-2)
    expect(v2.replace(/\s+/g, '')).toContain('<td>1</td><td>0</td><td>0</td><td>0</td><td>1</td>');
    expect(res.text).toMatch(/进行中 \d+/);
  });

  it('renders the modeler page inside the layout with the process key, CSRF token and modeler assets', async () => {
    const { agent } = await signIn('admin');
    const res = await agent.get(`/admin/modeler/${WEB_PROCESS_KEY}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="zh-CN">');
    expect(res.text).toContain(`data-process-key="${WEB_PROCESS_KEY}"`);
    const token = /<meta name="csrf-token" content="([^"]+)">/.exec(res.text)![1]!;
    expect(res.text).toContain(`data-csrf-token="${token}"`);
    expect(res.text).toContain('<link rel="stylesheet" href="/assets/modeler/modeler.css">');
    expect(res.text).toContain('<script src="/assets/modeler/modeler.js" defer></script>');
    expect(res.text).toContain('部署');
    expect(res.text).not.toMatch(/<script>(?!<\/script>)|\son[a-z]+="/);
    const fresh = await agent.get('/admin/modeler');
    expect(fresh.status).toBe(200);
    expect(fresh.text).toContain('data-process-key=""');
    expect((await agent.get('/admin/modeler/..%2Fetc')).status).toBe(404);
    expect((await agent.get('/assets/admin/admin.css')).status).toBe(200);
  });

  it('lists instances with filters and paging', async () => {
    const { agent } = await signIn('admin');
    const all = await agent.get('/admin/instances');
    expect(all.status).toBe(200);
    expect(all.text).toContain('PG-1');
    expect(all.text).toContain('PG-2');
    const byKey = await agent.get('/admin/instances?businessKey=PG-2');
    expect(byKey.text).toContain('PG-2');
    expect(byKey.text).not.toContain('PG-1<');
    expect(byKey.text).toContain('共 1 个实例');
    // part of it is enough, in either case
    const byPart = await agent.get('/admin/instances?businessKey=g-2');
    expect(byPart.text).toContain('PG-2');
    expect(byPart.text).toContain('共 1 个实例');
    expect((await agent.get('/admin/instances?businessKey=PG-')).text).toContain('共 2 个实例');
    const byStatus = await agent.get(`/admin/instances?process=${WEB_PROCESS_KEY}&status=completed`);
    expect(byStatus.text).toContain('共 0 个实例');
    expect(byStatus.text).toContain('没有符合条件的流程实例');
    const inRange = await agent.get('/admin/instances?from=2026-03-01&to=2026-03-01');
    expect(inRange.text).toContain('PG-1');
    const before = await agent.get('/admin/instances?to=2026-02-28');
    expect(before.text).toContain('共 0 个实例');
    const bad = await agent.get('/admin/instances?from=2026-13-45');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('开始日期格式应为');
    for (let i = 0; i < 51; i++) await runtime.startInstance(WEB_PROCESS_KEY, { businessKey: `BULK-${i}`, variables: { topic: 't' } }, resident);
    const first = await agent.get('/admin/instances?businessKey=');
    expect(first.text).toContain('第 1 / 2 页');
    expect(first.text.replace(/&#x3D;/g, '=')).toContain('href="/admin/instances?page=2" rel="next"');
    const second = await agent.get('/admin/instances?page=2');
    expect(second.text).toContain('第 2 / 2 页');
    expect(second.text).toContain('上一页');
  });

  it('shows an instance: diagram with markers, variables, tasks and the audit trail', async () => {
    const { agent } = await signIn('admin');
    const res = await agent.get(`/admin/instances/${encodeURIComponent(id)}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('data-bpmn-viewer');
    expect(res.text).toContain(`data-xml-url="/api/processes/${WEB_PROCESS_KEY}/versions/1/xml"`);
    const markers = /data-markers="([^"]+)"/.exec(res.text)![1]!.replace(/&quot;/g, '"');
    expect(JSON.parse(markers)).toEqual({ completed: ['start'], active: ['fill'], incident: [] });
    expect(res.text).toContain('流程变量');
    expect(res.text).toContain('<code>topic</code>');
    expect(res.text).toContain('加装电梯');
    expect(res.text).toContain('填写议事记录');
    expect(res.text).toContain('审计记录');
    expect(res.text).toContain('发起流程');
    expect(res.text).toContain('<script src="/assets/modeler/viewer.js" defer></script>');
    expect((await agent.get('/admin/instances/no-such-instance')).status).toBe(404);
  });

  it('shows each running track of a multi-instance sub-process with its own variables', async () => {
    const teams = [{ name: '北区', due: '2026-03-10' }, { name: '南区', due: '2026-03-11' }];
    const started = await runtime.startInstance('scoped_review', { businessKey: 'A-scopes', variables: { teams } }, resident);
    const north = started.openTasks.find((t) => t.subject === '北区')!;
    await runtime.complete(north._id, { decision: 'reject', opinion: '<b>材料不全</b>' }, { id: 'admin', groups: ['reviewers'] });
    const { agent } = await signIn('admin');
    const res = await agent.get(`/admin/instances/${encodeURIComponent(started.instance._id)}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('进行中的分支（多实例子流程）');
    expect(res.text).toContain('<summary>每个小组一条线 · 第 2 条（南区）</summary>');
    expect(res.text).not.toContain('第 1 条（北区）'); // ended: its values are in trackResults
    expect(res.text).toContain('<code>trackResults</code>');
    expect(res.text).toContain('&lt;b&gt;材料不全&lt;/b&gt;');
  });
});

describe('actions', () => {
  it('cancels an instance only with a reason and the CSRF token; the runtime audits it', async () => {
    const id = (await startReview('ACT-1')).instance._id;
    const { agent, csrf } = await signIn('admin');
    const url = `/admin/instances/${encodeURIComponent(id)}/cancel`;
    const noToken = await agent.post(url).type('form').send({ reason: '重复发起' });
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain('页面已过期');
    const noReason = await agent.post(url).type('form').send({ _csrf: csrf, reason: '   ' });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('请填写操作原因');
    expect((await runtime.getInstance(id)).instance.status).toBe('running');
    const ok = await agent.post(url).type('form').send({ _csrf: csrf, reason: '重复发起' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`/admin/instances/${encodeURIComponent(id)}`);
    expect((await runtime.getInstance(id)).instance.status).toBe('cancelled');
    const audit = await runtime.getAudit(id);
    expect(audit.some((a) => a.type === 'admin.cancel' && a.actor === 'admin' && a.data.reason === '重复发起')).toBe(true);
    const page = await agent.get(ok.headers.location!);
    expect(page.text).toContain('流程已取消。');
    expect(page.text).toContain('管理员取消流程');
    expect(page.text).toContain('原因：重复发起');
    const again = await agent.post(url).type('form').send({ _csrf: csrf, reason: '再取消一次' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('流程已结束，不能取消');
  });

  it('retries an incident only with a reason', async () => {
    failService = true;
    const view = await runtime.startInstance(FLAKY_KEY, { businessKey: 'ACT-2' }, resident);
    const id = view.instance._id;
    expect(view.instance.status).toBe('incident');
    const { agent, csrf } = await signIn('admin');
    const page = await agent.get(`/admin/instances/${encodeURIComponent(id)}`);
    expect(page.text).toContain('统计失败：测试规则');
    expect(JSON.parse(/data-markers="([^"]+)"/.exec(page.text)![1]!.replace(/&quot;/g, '"')).incident).toEqual(['tally']);
    expect(page.text).toContain('id="retry-form"');
    const url = `/admin/instances/${encodeURIComponent(id)}/retry`;
    const noReason = await agent.post(url).type('form').send({ _csrf: csrf });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('请填写操作原因');
    const stillFailing = await agent.post(url).type('form').send({ _csrf: csrf, reason: '先试一次' });
    expect(stillFailing.status).toBe(303);
    expect((await agent.get(stillFailing.headers.location!)).text).toContain('仍然出现异常');
    failService = false;
    const ok = await agent.post(url).type('form').send({ _csrf: csrf, reason: '统计规则已修正' });
    expect(ok.status).toBe(303);
    expect((await runtime.getInstance(id)).instance.status).toBe('completed');
    expect((await runtime.getAudit(id)).some((a) => a.type === 'admin.retry' && a.data.reason === '统计规则已修正')).toBe(true);
    const after = await agent.post(url).type('form').send({ _csrf: csrf, reason: '再试' });
    expect(after.status).toBe(409);
    expect(after.text).toContain('没有待处理的异常');
  });

  it('reassigns a task only with a reason and to an existing user', async () => {
    const view = await startReview('ACT-3');
    const taskId = view.openTasks[0]!._id;
    const { agent, csrf } = await signIn('admin');
    const url = `/admin/tasks/${encodeURIComponent(taskId)}/reassign`;
    const noReason = await agent.post(url).type('form').send({ _csrf: csrf, assignee: 'street-office' });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('请填写操作原因');
    expect(noReason.text).toContain('value="street-office"');
    const unknown = await agent.post(url).type('form').send({ _csrf: csrf, assignee: 'nobody', reason: '人员调整' });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('用户“nobody”不存在');
    const ok = await agent.post(url).type('form').send({ _csrf: csrf, assignee: 'street-office', reason: '原办理人休假' });
    expect(ok.status).toBe(303);
    expect((await runtime.getTask(taskId)).assignee).toBe('street-office');
    const page = await agent.get(ok.headers.location!);
    expect(page.text).toContain('已改派给 street-office');
    expect(page.text).toContain('管理员改派任务');
    expect((await runtime.getAudit(view.instance._id)).some((a) => a.type === 'admin.reassign' && a.data.reason === '原办理人休假')).toBe(true);
    const back = await agent.post(url).type('form').send({ _csrf: csrf, assignee: '', reason: '退回重新签收' });
    expect(back.status).toBe(303);
    expect((await runtime.getTask(taskId)).assignee).toBeNull();
  });
});

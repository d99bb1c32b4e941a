import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type express from 'express';
import request from 'supertest';
import { createApp } from '../server/app.js';
import { SESSION_COOKIE } from '../server/http/settings.js';
import type { Database } from '../server/db/connect.js';
import { formatDateTime } from '../server/web/views.js';
import { insertNotice, WEB_PROCESS_KEY, webFixture, type WebFixture } from './browser/fixture.js';
import { linearProcess } from './support/bpmn.js';
import { testDatabase } from './support/db.js';

let database: Database;
let fx: WebFixture;

function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no _csrf field in page');
  return m[1]!;
}

async function signIn(username: string, password = 'demo', app: express.Express = fx.app) {
  const agent = request.agent(app);
  const page = await agent.get('/login');
  expect(page.status).toBe(200);
  const res = await agent.post('/login').type('form').send({ _csrf: csrfOf(page.text), username, password, next: '/tasks' });
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe('/tasks');
  const inbox = await agent.get('/tasks');
  return { agent, csrf: csrfOf(inbox.text) };
}

let instanceId = '';
let fillTaskId = '';

beforeAll(async () => {
  database = await testDatabase();
  fx = await webFixture(database);
  const view = await fx.runtime.startInstance(
    WEB_PROCESS_KEY,
    { businessKey: 'YS-2026-001', variables: { topic: '3 号楼加装电梯 <b>' } },
    { id: 'residents-committee', groups: ['residents-committee'] },
  );
  instanceId = view.instance._id;
  fillTaskId = view.openTasks[0]!._id;
});

afterAll(async () => {
  await database.close();
});

describe('dates', () => {
  it('are shown in Asia/Shanghai time as YYYY-MM-DD HH:mm', () => {
    expect(formatDateTime(new Date('2026-03-01T16:05:00Z'))).toBe('2026-03-02 00:05');
    expect(formatDateTime(null)).toBe('');
  });
});

describe('login', () => {
  it('shows the login page in Chinese with a CSRF field', async () => {
    const res = await request(fx.app).get('/login');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="zh-CN">');
    expect(res.text).toContain('用户名');
    expect(res.text).toMatch(/name="_csrf" value="[^"]+"/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.text).not.toMatch(/<script>(?!<\/script>)|\son[a-z]+="/);
  });

  it('refuses a bad password with a Chinese message and keeps the user name', async () => {
    const agent = request.agent(fx.app);
    const page = await agent.get('/login');
    const res = await agent.post('/login').type('form').send({ _csrf: csrfOf(page.text), username: 'street-office', password: 'wrong' });
    expect(res.status).toBe(401);
    expect(res.text).toContain('用户名或密码错误');
    expect(res.text).toContain('value="street-office"');
  });

  it('refuses a login post without the CSRF token', async () => {
    const agent = request.agent(fx.app);
    await agent.get('/login');
    const res = await agent.post('/login').type('form').send({ username: 'street-office', password: 'demo' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('页面已过期');
  });

  it('sends pages to the login form when nobody is signed in', async () => {
    const res = await request(fx.app).get('/tasks');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Ftasks');
  });

  it('only returns to local paths after login', async () => {
    const agent = request.agent(fx.app);
    const page = await agent.get('/login?next=//evil.example');
    expect(page.text).toContain('name="next" value="/tasks"');
  });

  it('shares the session with POST /api/auth/login', async () => {
    const agent = request.agent(fx.app);
    const res = await agent.post('/api/auth/login').send({ username: 'street-office', password: 'demo' });
    expect(res.status).toBe(200);
    const inbox = await agent.get('/tasks');
    expect(inbox.status).toBe(200);
    expect(inbox.text).toContain('我的待办');
  });

  it('logs out, clearing the session cookie', async () => {
    const { agent, csrf } = await signIn('street-office');
    const res = await agent.post('/logout').type('form').send({ _csrf: csrf });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login');
    expect(String(res.headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE.replace('.', '\\.')}=;.*Expires=Thu, 01 Jan 1970`));
    expect((await agent.get('/tasks')).status).toBe(303);
  });

  it('logs out under a renamed session cookie: the name comes from the session settings', async () => {
    const renamed = createApp({ ...fx.deps, http: { ...fx.deps.http, cookieName: 'gov.session' } });
    const { agent, csrf } = await signIn('street-office', 'demo', renamed);
    const res = await agent.post('/logout').type('form').send({ _csrf: csrf });
    expect(res.status).toBe(303);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^gov\.session=;.*Expires=Thu, 01 Jan 1970/);
    expect((await agent.get('/tasks')).status).toBe(303);
  });
});

describe('inbox and task', () => {
  it('lists the claimable task with process, business key and a 签收 button; counts in the navigation', async () => {
    const { agent } = await signIn('street-office');
    const res = await agent.get('/tasks');
    expect(res.status).toBe(200);
    expect(res.text).toContain('填写议事记录');
    expect(res.text).toContain('社区议事测试流程');
    expect(res.text).toContain('YS-2026-001');
    expect(res.text).toContain('签收');
    expect(res.text).toContain('2026-03-01 09:00');
    expect(res.text).toMatch(/我的待办 <span class="badge"[^>]*>1<\/span>/);
    expect(res.text).not.toContain('/admin/processes');
    // filters
    expect((await agent.get('/tasks?q=YS-2026')).text).toContain('填写议事记录');
    expect((await agent.get('/tasks?q=nothing')).text).toContain('没有符合条件的待办');
  });

  it('marks overdue tasks by the runtime clock', async () => {
    const { agent } = await signIn('street-office');
    expect((await agent.get('/tasks')).text).not.toContain('已逾期');
    fx.clock.advance('P2D');
    try {
      const res = await agent.get('/tasks');
      expect(res.text).toContain('已逾期');
      expect(res.text).toContain('class="overdue"');
    } finally {
      fx.clock.set(new Date('2026-03-01T01:00:00Z'));
    }
  });

  it('renders every field type as its control, with labels, required marks, help, sources and the policy', async () => {
    const { agent } = await signIn('street-office');
    const res = await agent.get(`/tasks/${encodeURIComponent(fillTaskId)}`);
    expect(res.status).toBe(200);
    const html = res.text;
    expect(html).toContain('《城乡社区协商议事规则》第五条');
    expect(html).toContain('议事会议应当有过半数成员到会');
    // readonly default resolved against the variables, escaped, and not submitted
    expect(html).toContain('3 号楼加装电梯 &lt;b&gt;');
    expect(html).not.toContain('name="topicShown"');
    expect(html).toMatch(/<label for="f_attendees">到会人数 <span class="req"/);
    expect(html).toMatch(/<input type="number"[^>]*id="f_attendees"/);
    expect(html).toMatch(/<input type="date" id="f_meetingDate"/);
    expect(html).toMatch(/<textarea id="f_summary" name="summary"/);
    expect(html).toMatch(/<input type="checkbox" id="f_publicized" name="publicized"/);
    expect(html).toMatch(/<select id="f_category" name="category"/);
    expect(html).toContain('<option value="facility">公共设施</option>');
    expect(html).toContain('按签到表填写');
    expect(html).toContain('依据：《议事规则》第五条');
    expect(html).toMatch(/name="_csrf" value="[^"]+"/);
  });

  it('says whose each parallel task is in the inbox: the member named by the loop, a user by name', async () => {
    const parallel = linearProcess('web_parallel', '并行会签', [
      { id: 'start', event: true, xml: '<bpmn:startEvent id="start" name="开始"><!--flows--></bpmn:startEvent>' },
      {
        id: 'sign',
        xml: `<bpmn:userTask id="sign" name="成员会签" camunda:candidateGroups="street-office">
          <bpmn:extensionElements><camunda:formData><camunda:formField id="note" label="意见" type="string" /></camunda:formData></bpmn:extensionElements>
          <!--flows-->
          <bpmn:multiInstanceLoopCharacteristics camunda:collection="\${[&quot;张三&quot;,&quot;street-office&quot;]}" camunda:elementVariable="member" />
        </bpmn:userTask>`,
      },
      { id: 'end', event: true, xml: '<bpmn:endEvent id="end" name="结束"><!--flows--></bpmn:endEvent>' },
    ]);
    await fx.runtime.deploy(parallel, null);
    await fx.runtime.startInstance('web_parallel', { businessKey: 'PAR-1' }, { id: 'street-office', groups: ['street-office'] });
    const { agent } = await signIn('street-office');
    const inbox = (await agent.get('/tasks?q=PAR-1')).text;
    expect(inbox).toContain('成员会签</a> <span class="subject">（张三）</span>');
    expect(inbox).toMatch(/成员会签<\/a> <span class="subject">（街道办事处（演示））<\/span>/);
  });

  it('shows a value of several lines as typed, without the template\u2019s indentation', async () => {
    const view = await fx.runtime.startInstance(
      WEB_PROCESS_KEY,
      { businessKey: 'YS-2026-LINES', variables: { topic: '第一行\n第二行\n第三行' } },
      { id: 'residents-committee', groups: ['residents-committee'] },
    );
    const { agent, csrf } = await signIn('street-office');
    const res = await agent.get(`/tasks/${encodeURIComponent(view.openTasks[0]!._id)}`);
    expect(res.text).toContain('第一行\n第二行\n第三行');
    // A form sent back keeps a textarea's lines exactly as posted.
    const refused = await agent
      .post(`/tasks/${encodeURIComponent(view.openTasks[0]!._id)}`)
      .type('form')
      .send({ _csrf: csrf, attendees: '0', meetingDate: '', summary: '甲\n乙\n丙', category: 'env' });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/<textarea id="f_summary" name="summary"[^>]*>甲\n乙\n丙<\/textarea>/);
  });

  it('shows Chinese messages at the fields and keeps the values when validation fails', async () => {
    const { agent, csrf } = await signIn('street-office');
    const res = await agent
      .post(`/tasks/${encodeURIComponent(fillTaskId)}`)
      .type('form')
      .send({ _csrf: csrf, attendees: '0', meetingDate: '', summary: '会议纪要内容<script>', publicized: 'true', category: 'env' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/id="f_attendees_error">“到会人数”不能小于 1</);
    expect(res.text).toMatch(/id="f_meetingDate_error">[^<]*会议日期[^<]*</);
    expect(res.text).toContain('value="0"');
    expect(res.text).toContain('会议纪要内容&lt;script&gt;</textarea>');
    expect(res.text).toMatch(/id="f_publicized" name="publicized" value="true" checked/);
    expect(res.text).toContain('<option value="env" selected>');
  });

  it('refuses a post without the CSRF token', async () => {
    const { agent } = await signIn('street-office');
    const res = await agent.post(`/tasks/${encodeURIComponent(fillTaskId)}`).type('form').send({ attendees: '5' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('页面已过期');
  });

  it('gives a Chinese 403 page, not the form, to someone else', async () => {
    const { agent } = await signIn('expert1');
    const res = await agent.get(`/tasks/${encodeURIComponent(fillTaskId)}`);
    expect(res.status).toBe(403);
    expect(res.text).toContain('无权办理');
    expect(res.text).not.toContain('name="attendees"');
  });

  it('404s an unknown task with a Chinese page', async () => {
    const { agent } = await signIn('street-office');
    const res = await agent.get('/tasks/nope');
    expect(res.status).toBe(404);
    expect(res.text).toContain('找不到');
  });

  it('claims, completes with a flash, then shows the task as done', async () => {
    const { agent, csrf } = await signIn('street-office');
    const claim = await agent.post(`/tasks/${encodeURIComponent(fillTaskId)}/claim`).type('form').send({ _csrf: csrf });
    expect(claim.status).toBe(303);
    const page = await agent.get(`/tasks/${encodeURIComponent(fillTaskId)}`);
    expect(page.text).toContain('已签收');
    expect(page.text).toContain('办理人：街道办事处（演示）');
    const res = await agent
      .post(`/tasks/${encodeURIComponent(fillTaskId)}`)
      .type('form')
      .send({ _csrf: csrf, attendees: '23', meetingDate: '2026-03-01', summary: '同意加装电梯', category: 'facility' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/tasks');
    const inbox = await agent.get('/tasks');
    expect(inbox.text).toContain('已提交');
    const done = await agent.get(`/tasks/${encodeURIComponent(fillTaskId)}`);
    expect(done.status).toBe(200);
    expect(done.text).toContain('已办理完成');
    expect(done.text).toContain(`/instances/${encodeURIComponent(instanceId)}`);
    const list = await agent.get('/done');
    expect(list.text).toContain('填写议事记录');
  });

  it('shows the approval step with decision radios and an opinion required unless 通过', async () => {
    const { agent, csrf } = await signIn('party-committee');
    const signTask = (await fx.runtime.getInstance(instanceId)).openTasks[0]!;
    const url = `/tasks/${encodeURIComponent(signTask._id)}`;
    const page = await agent.get(url);
    expect(page.text).toMatch(/<input type="radio" id="f_decision_approve" name="decision" value="approve"/);
    expect(page.text).toContain('退回修改');
    expect(page.text).toContain('（结论不是“通过”时必填）');
    const refused = await agent.post(url).type('form').send({ _csrf: csrf, decision: 'reject', opinion: '' });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/id="f_opinion_error">审核意见不能为空/);
    expect(refused.text).toMatch(/value="reject" checked/);
    const ok = await agent.post(url).type('form').send({ _csrf: csrf, decision: 'approve', opinion: '同意' });
    expect(ok.status).toBe(303);
  });
});

describe('instance, start and mine', () => {
  it('shows the timeline with who, decision and opinion, the diagram placeholder and notices', async () => {
    await insertNotice(database, fx.runtime, instanceId, fx.clock);
    const { agent } = await signIn('residents-committee');
    const res = await agent.get(`/instances/${encodeURIComponent(instanceId)}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('已完成');
    expect(res.text).toContain('党组织审核');
    expect(res.text).toContain('结论：<span class="tag d-approve">通过</span>');
    expect(res.text).toContain('意见：同意');
    expect(res.text).toContain(`data-xml-url="/api/processes/${WEB_PROCESS_KEY}/versions/1/xml"`);
    expect(res.text).toMatch(/data-completed="[^"]*fill[^"]*"/);
    expect(res.text).toContain('<script src="/assets/modeler/viewer.js" defer></script>');
    expect(res.text).toContain('关于加装电梯议题的协商结果公示');
    expect((await agent.get('/mine')).text).toContain('YS-2026-001');
  });

  it('refuses the instance page to an outsider', async () => {
    const { agent } = await signIn('expert2');
    const res = await agent.get(`/instances/${encodeURIComponent(instanceId)}`);
    expect(res.status).toBe(403);
    expect(res.text).toContain('无权查看');
  });

  it('starts a process from its start form, with errors at the fields', async () => {
    const { agent, csrf } = await signIn('street-office');
    const page = await agent.get('/start');
    expect(page.text).toContain('社区议事测试流程');
    expect(page.text).toMatch(/<label for="s_web_review_topic">议题名称 <span class="req"/);
    const refused = await agent.post(`/start/${WEB_PROCESS_KEY}`).type('form').send({ _csrf: csrf, businessKey: 'YS-2', topic: '' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('“议题名称”不能为空');
    expect(refused.text).toContain('value="YS-2"');
    const ok = await agent.post(`/start/${WEB_PROCESS_KEY}`).type('form').send({ _csrf: csrf, businessKey: 'YS-2', topic: '小区停车' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toMatch(/^\/instances\//);
    const instance = await agent.get(ok.headers.location!);
    expect(instance.text).toContain('已发起');
    expect(instance.text).toContain('填写议事记录');
  });
});

describe('public notice board', () => {
  it('lists current notices without login, with the publicity period', async () => {
    const res = await request(fx.app).get('/notices');
    expect(res.status).toBe(200);
    expect(res.text).toContain('关于加装电梯议题的协商结果公示');
    expect(res.text).toContain('公示期');
    expect(res.text).toContain('5 个工作日');
    expect(res.text).not.toContain('我的待办');
  });

  it('shows one notice, its body as published', async () => {
    const list = await request(fx.app).get('/notices');
    const href = /href="(\/notices\/[^"]+)"/.exec(list.text)![1]!;
    const res = await request(fx.app).get(href);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<p>经居民议事会协商，同意在 3 号楼加装电梯。</p>');
    expect(res.text).toContain('data-print');
  });

  it('serves the stylesheet with print rules', async () => {
    const res = await request(fx.app).get('/assets/web.css');
    expect(res.status).toBe(200);
    expect(res.text).toContain('@media print');
  });
});

describe('paging of 我的待办, 已办 and 我发起的', () => {
  // A one-step process for the county; small pages (4 rows) and small runtime batches (8 rows) so that little data
  // spans several pages and several batches.
  const PAGING_KEY = 'web_paging';
  const pagingXml = linearProcess(PAGING_KEY, '分页测试流程', [
    { id: 'start', event: true, xml: '<bpmn:startEvent id="start" name="开始"><!--flows--></bpmn:startEvent>' },
    {
      id: 'handle',
      xml: `<bpmn:userTask id="handle" name="县级办理" camunda:candidateGroups="county">
        <bpmn:extensionElements><camunda:formData><camunda:formField id="note" label="办理说明" type="string" /></camunda:formData></bpmn:extensionElements>
        <!--flows--></bpmn:userTask>`,
    },
    { id: 'end', event: true, xml: '<bpmn:endEvent id="end" name="结束"><!--flows--></bpmn:endEvent>' },
  ]);
  const county = { id: 'county', groups: ['county'] };
  let app: express.Express;
  /** Task id by business key: PG-01…PG-11 started by leading-office a minute apart, CT-1 and CT-2 by city in the minutes of PG-04 and PG-08, CT-3 last. */
  const taskOf = new Map<string, string>();

  interface Row {
    key: string;
    claimable: boolean;
  }

  function decode(href: string): string {
    return href.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
  }

  function rowsOf(html: string): Row[] {
    const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
    return tbody
      .split('<tr')
      .slice(1)
      .map((tr) => ({ key: /data-label="业务编号">([^<]+)</.exec(tr)?.[1] ?? '', claimable: tr.includes('>签收</button>') }));
  }

  /** Every page from `url` on, following 下一页. */
  async function walk(agent: ReturnType<typeof request.agent>, url: string) {
    const pages: { url: string; html: string; rows: Row[] }[] = [];
    let next: string | null = url;
    while (next) {
      const res = await agent.get(next);
      expect(res.status).toBe(200);
      pages.push({ url: next, html: res.text, rows: rowsOf(res.text) });
      const link = /<a href="([^"]+)" rel="next"/.exec(res.text);
      next = link ? decode(link[1]!) : null;
      expect(pages.length).toBeLessThan(20);
    }
    return pages;
  }

  beforeAll(async () => {
    app = createApp({ ...fx.deps, http: { ...fx.deps.http, webPaging: { pageSize: 4, batchSize: 8 } } });
    await fx.runtime.deploy(pagingXml, null);
    fx.clock.set(new Date('2026-04-01T01:00:00Z'));
    const start = async (key: string, by: string) => {
      const view = await fx.runtime.startInstance(PAGING_KEY, { businessKey: key }, { id: by, groups: [by] });
      taskOf.set(key, view.openTasks[0]!._id);
    };
    for (let i = 1; i <= 11; i++) {
      fx.clock.advance('PT1M');
      await start(`PG-${String(i).padStart(2, '0')}`, 'leading-office');
      // Two tasks created at the very same time as others (ties are ordered by id).
      if (i === 4 || i === 8) await start(`CT-${i / 4}`, 'city');
    }
    fx.clock.advance('PT1M');
    await start('CT-3', 'city');
    // County claims three, scattered through the list: its own tasks and its group's pool are merged page by page.
    for (const key of ['PG-02', 'PG-07', 'CT-2']) await fx.runtime.claim(taskOf.get(key)!, county);
  }, 120_000);

  afterAll(() => {
    fx.clock.set(new Date('2026-03-01T01:00:00Z'));
  });

  it('pages 我的待办 with 下一页 links, every task once, newest first, counts unchanged', async () => {
    const { agent } = await signIn('county', 'demo', app);
    const pages = await walk(agent, '/tasks');
    expect(pages.map((p) => p.rows.length)).toEqual([4, 4, 4, 2]);
    const keys = pages.flatMap((p) => p.rows.map((r) => r.key));
    expect(new Set(keys).size).toBe(14);
    expect([...keys].sort()).toEqual([...taskOf.keys()].sort());
    // Newest first: CT-3 was started last, PG-01 first.
    expect(keys[0]).toBe('CT-3');
    expect(keys[keys.length - 1]).toBe('PG-01');
    const created = await Promise.all(keys.map(async (k) => (await fx.runtime.getTask(taskOf.get(k)!)).createdAt.getTime()));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    // Claimed tasks have no 签收 button, the pool's have one, wherever they fall.
    const rows = pages.flatMap((p) => p.rows);
    expect(rows.filter((r) => !r.claimable).map((r) => r.key).sort()).toEqual(['CT-2', 'PG-02', 'PG-07']);
    for (const p of pages) {
      expect(p.html).toMatch(/我的待办 <span class="badge"[^>]*>14<\/span>/);
      expect(p.html).toContain('共 14 项（我签收的 3 项，待签收 11 项）');
    }
    expect(pages[0]!.html).not.toContain('第一页');
    expect(pages[1]!.html).toContain('第 2 页');
    expect(pages[1]!.html).toContain('<a href="/tasks" class="button small">第一页</a>');
    expect(pages[3]!.html).toContain('第 4 页');
    expect(pages[3]!.html).not.toContain('rel="next"');
  });

  it('keeps the filters on the next pages and searches past the first runtime batch', async () => {
    const { agent } = await signIn('county', 'demo', app);
    const pages = await walk(agent, '/tasks?q=pg');
    expect(pages.map((p) => p.rows.length)).toEqual([4, 4, 3]);
    expect(pages[1]!.url).toMatch(/^\/tasks\?q=pg&before=\d+\.[^&]+&page=2$/);
    expect(pages.flatMap((p) => p.rows.map((r) => r.key))).toEqual([
      'PG-11', 'PG-10', 'PG-09', 'PG-08', 'PG-07', 'PG-06', 'PG-05', 'PG-04', 'PG-03', 'PG-02', 'PG-01',
    ]);
    expect(pages[2]!.html).toContain('value="pg"');
    const ct = await walk(agent, `/tasks?process=${PAGING_KEY}&q=CT`);
    expect(ct.map((p) => p.rows.map((r) => r.key))).toEqual([['CT-3', 'CT-2', 'CT-1']]);
    expect(ct[0]!.html).not.toContain('class="pager"');
  });

  it('ignores a malformed cursor and starts at the first page', async () => {
    const { agent } = await signIn('county', 'demo', app);
    const res = await agent.get('/tasks?before=yesterday&page=3');
    expect(res.status).toBe(200);
    expect(rowsOf(res.text).map((r) => r.key)[0]).toBe('CT-3');
    expect(res.text).not.toContain('第一页');
  });

  it('pages 已办 in order of arrival, whether they fit in one runtime query or not', async () => {
    const { agent } = await signIn('county', 'demo', app);
    // Completed out of arrival order: later arrivals first, some older in between.
    const order = ['PG-09', 'PG-02', 'CT-1', 'PG-05', 'PG-11', 'PG-01'];
    for (const key of order) {
      fx.clock.advance('PT1M');
      await fx.runtime.complete(taskOf.get(key)!, { note: '已办理' }, county);
    }
    // 6 completed: fewer than one runtime batch (8).
    let pages = await walk(agent, '/done');
    expect(pages.map((p) => p.rows.map((r) => r.key))).toEqual([['PG-11', 'PG-09', 'PG-05', 'CT-1'], ['PG-02', 'PG-01']]);
    expect(pages[1]!.html).toContain('第 2 页');

    // 12 completed: more than a batch, read from all completed tasks in arrival order (street-office's and
    // party-committee's completed tasks from the tests above are passed over).
    for (const key of ['CT-3', 'PG-04', 'PG-10', 'CT-2', 'PG-07', 'PG-03']) {
      fx.clock.advance('PT1M');
      await fx.runtime.complete(taskOf.get(key)!, { note: '已办理' }, county);
    }
    pages = await walk(agent, '/done');
    expect(pages.map((p) => p.rows.length)).toEqual([4, 4, 4]);
    const keys = pages.flatMap((p) => p.rows.map((r) => r.key));
    expect(keys).toHaveLength(12);
    expect(new Set(keys).size).toBe(12);
    expect(keys).not.toContain('YS-2026-001');
    expect(keys.filter((k) => k === 'PG-06' || k === 'PG-08')).toEqual([]);
    const created = await Promise.all(keys.map(async (k) => (await fx.runtime.getTask(taskOf.get(k)!)).createdAt.getTime()));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(keys[0]).toBe('CT-3');
    expect(keys[11]).toBe('PG-01');
    // The inbox shows the two left, and the count follows.
    const inbox = await agent.get('/tasks');
    expect(rowsOf(inbox.text).map((r) => r.key)).toEqual(['PG-08', 'PG-06']);
    expect(inbox.text).toMatch(/我的待办 <span class="badge"[^>]*>2<\/span>/);
    expect(inbox.text).not.toContain('class="pager"');
  });

  it('pages 我发起的 by page number with 上一页 and 下一页', async () => {
    const { agent } = await signIn('leading-office', 'demo', app);
    const first = await agent.get('/mine');
    expect(first.text).toContain('共 11 个流程');
    expect(first.text).toContain('第 1 / 3 页');
    expect(first.text).not.toContain('rel="prev"');
    expect(rowsOf(first.text).map((r) => r.key)).toEqual(['PG-11', 'PG-10', 'PG-09', 'PG-08']);
    const second = await agent.get('/mine?page=2');
    expect(second.text).toContain('第 2 / 3 页');
    expect(second.text).toContain('<a href="/mine" rel="prev"');
    expect(second.text).toContain('<a href="/mine?page&#x3D;3" rel="next"');
    expect(rowsOf(second.text).map((r) => r.key)).toEqual(['PG-07', 'PG-06', 'PG-05', 'PG-04']);
    const third = await agent.get('/mine?page=3');
    expect(rowsOf(third.text).map((r) => r.key)).toEqual(['PG-03', 'PG-02', 'PG-01']);
    expect(third.text).not.toContain('rel="next"');
    expect(third.text).toContain('<a href="/mine?page&#x3D;2" rel="prev"');
    const beyond = await agent.get('/mine?page=9');
    expect(beyond.status).toBe(303);
    expect(beyond.headers.location).toBe('/mine?page=3');
  });
});

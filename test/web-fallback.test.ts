import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ProcessDriver } from './support/process-driver.js';
import { signedInAgent } from './support/web-session.js';

// The pages of last resort and the time they show: a Chinese 404 page in the layout, error pages stamped with the
// platform's (manual) clock in Beijing time, the favicon on every page, instants shown in Beijing time.

let d: ProcessDriver;

beforeAll(async () => {
  // 23:30 UTC on 1 March is 07:30 on 2 March in Beijing: a page in UTC would show the wrong day.
  d = await ProcessDriver.create('web_fallback', '2026-03-01T23:30:00Z');
});

afterAll(async () => {
  await d?.close();
});

async function signIn(username: string) {
  const { agent } = await signedInAgent(d.app, username);
  return agent;
}

const FAVICON = '<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">';

describe('the 404 page', () => {
  it('is a Chinese page in the layout with the navigation and a way home, for anyone', async () => {
    const res = await request(d.app).get('/no/such/page');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<html lang="zh-CN">');
    expect(res.text).toContain('<title>页面不存在 · 社区治理流程平台</title>');
    expect(res.text).toContain('<header class="top">');
    expect(res.text).toContain('<a href="/notices"');
    expect(res.text).toContain('<h1>页面不存在</h1>');
    expect(res.text).toContain('<a href="/">返回首页</a>');
    expect(res.text).toContain('错误代码 404 · 北京时间 <time>2026-03-02 07:30</time>');
    expect(res.text).toContain(FAVICON);
    // a missing asset is the same page, not a bare text
    expect((await request(d.app).get('/assets/nope.css')).text).toContain('<h1>页面不存在</h1>');
  });

  it('shows a signed-in user their navigation', async () => {
    const agent = await signIn('street-office');
    const res = await agent.get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.text).toContain('<a href="/tasks"');
    expect(res.text).toContain('街道办事处（演示）');
  });
});

describe('error pages tell the platform’s time in Beijing', () => {
  it('under the manual clock, on the staff pages and in the admin console', async () => {
    await d.setClock('2026-05-01T16:05:00Z');
    const staff = await signIn('street-office');
    const missingTask = await staff.get('/tasks/no-such-task');
    expect(missingTask.status).toBe(404);
    expect(missingTask.text).toContain('北京时间 <time>2026-05-02 00:05</time>');
    const admin = await signIn('admin');
    const missingAdmin = await admin.get('/admin/nothing-here');
    expect(missingAdmin.status).toBe(404);
    expect(missingAdmin.text).toContain('北京时间 <time>2026-05-02 00:05</time>');
    expect(missingAdmin.text).toContain('<a href="/">返回首页</a>');
    const forbidden = await staff.get('/admin/processes');
    expect(forbidden.status).toBe(403);
    expect(forbidden.text).toContain('北京时间 <time>2026-05-02 00:05</time>');
  });

  it('the admin reads a stored instant beside its Beijing time', async () => {
    await d.setClock('2026-03-02T09:00:00+08:00');
    const inst = await d.start('street-office', 'committee-election', { communityName: '翠湖', households: 1200, committeeSize: 5, sizeReason: '宜设 5 人' }, 'WF-P2');
    await d.complete('resident-reps', inst.id, 'sizeConsent', { repsMeetingDate: '2026-03-02', repsTotal: 40, repsConsenting: 30 });
    await d.complete('residents-committee', inst.id, 'registerVoters', { electorateType: 'all-voters', registeredVoters: 1000, electionDate: '2026-03-23' });
    const admin = await signIn('admin');
    const page = await admin.get(`/admin/instances/${encodeURIComponent(inst.id)}`);
    expect(page.text).toContain('2026-03-22T15:59:59.999Z（北京时间 2026-03-22 23:59）');
  });
});

describe('the favicon', () => {
  it('is served by the app, offline, and linked from every page', async () => {
    const ico = await request(d.app).get('/favicon.ico');
    expect(ico.status).toBe(200);
    expect(ico.headers['content-type']).toMatch(/icon/);
    expect(Buffer.from(ico.body as Buffer).subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));
    const svg = await request(d.app).get('/assets/favicon.svg');
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    const admin = await signIn('admin');
    for (const url of ['/login', '/notices']) expect(`${url}: ${(await request(d.app).get(url)).text.includes(FAVICON)}`).toBe(`${url}: true`);
    for (const url of ['/tasks', '/start', '/admin/processes', '/admin/instances', '/admin/modeler']) {
      expect(`${url}: ${(await admin.get(url)).text.includes(FAVICON)}`).toBe(`${url}: true`);
    }
  });
});

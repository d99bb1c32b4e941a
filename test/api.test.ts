import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type express from 'express';
import request from 'supertest';
import { createApp, sweepExpiredSessions } from '../server/app.js';
import { readHttpSettings, type AppDeps } from '../server/http/settings.js';
import { GROUPS } from '../server/auth/groups.js';
import { sweepExpiredTokens } from '../server/auth/tokens.js';
import { demoUserSpecs, seedDemoOrganisation } from '../server/org/demo.js';
import type { Database } from '../server/db/connect.js';
import { ManualClock, systemClock } from '../server/engine/clock.js';
import { createApiRouter, MAX_XML_BYTES } from '../server/http/api-router.js';
import { restoreManualClock } from '../server/runtime/clock-store.js';
import { testApp } from './support/app.js';
import { testDatabase } from './support/db.js';
import { startServer, uriForDatabase } from './support/server-process.js';
import { linearProcess, type Node } from './support/bpmn.js';

// ── fixtures ────────────────────────────────────────────────────────────────────


const startEvent: Node = { id: 'start', event: true, xml: '<bpmn:startEvent id="start" name="开始"><!--flows--></bpmn:startEvent>' };
const endEvent: Node = { id: 'end', event: true, xml: '<bpmn:endEvent id="end" name="结束"><!--flows--></bpmn:endEvent>' };

const checkTask: Node = {
  id: 'check',
  xml: `<bpmn:userTask id="check" name="初审" camunda:candidateGroups="street-office">
      <bpmn:documentation>《测试文件》一(1)
初审必须如实打分。</bpmn:documentation>
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="score" label="得分" type="long">
          <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="min" config="0" /><camunda:constraint name="max" config="100" /></camunda:validation>
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <!--flows-->
    </bpmn:userTask>`,
};

const signTask: Node = {
  id: 'sign',
  xml: `<bpmn:userTask id="sign" name="党组织审核" camunda:candidateGroups="party-committee">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="decision" label="审批结论" type="enum">
          <camunda:validation><camunda:constraint name="required" /></camunda:validation>
          <camunda:value id="approve" name="通过" /><camunda:value id="reject" name="不通过" />
        </camunda:formField>
        <camunda:formField id="opinion" label="审批意见" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <!--flows-->
    </bpmn:userTask>`,
};

const reviewXml = linearProcess('api_review', '接口测试审批', [startEvent, checkTask, signTask, endEvent]);

const timerXml = linearProcess('api_timer', '定时测试', [
  startEvent,
  {
    id: 'wait',
    event: true,
    xml: `<bpmn:intermediateCatchEvent id="wait" name="等待一天"><!--flows-->
      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P1D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>`,
  },
  {
    id: 'after',
    xml: `<bpmn:userTask id="after" name="到期处理" camunda:candidateGroups="street-office">
      <bpmn:extensionElements><camunda:formData><camunda:formField id="note" label="备注" type="string" /></camunda:formData></bpmn:extensionElements>
      <!--flows-->
    </bpmn:userTask>`,
  },
  endEvent,
]);

const scriptXml = linearProcess('api_script', '脚本测试', [
  startEvent,
  {
    id: 'script',
    xml: `<bpmn:scriptTask id="script" name="脚本" scriptFormat="javascript"><!--flows--><bpmn:script>next()</bpmn:script></bpmn:scriptTask>`,
  },
  endEvent,
]);

// ── set-up ──────────────────────────────────────────────────────────────────────

let database: Database;
let clock: ManualClock;
let deps: AppDeps;
let app: express.Express;
const tokens: Record<string, string> = {};

const RATE_LIMIT = 10;

async function login(username: string, password = 'demo', target: express.Express = app) {
  return request(target).post('/api/auth/login').send({ username, password });
}

function as(username: string) {
  const token = tokens[username];
  if (!token) throw new Error(`no token for ${username}`);
  return {
    get: (url: string) => request(app).get(url).set('Authorization', `Bearer ${token}`),
    post: (url: string) => request(app).post(url).set('Authorization', `Bearer ${token}`),
    put: (url: string) => request(app).put(url).set('Authorization', `Bearer ${token}`),
    patch: (url: string) => request(app).patch(url).set('Authorization', `Bearer ${token}`),
    delete: (url: string) => request(app).delete(url).set('Authorization', `Bearer ${token}`),
  };
}

async function startReview(businessKey: string, username = 'street-office') {
  const res = await as(username).post('/api/processes/api_review/instances').send({ businessKey });
  expect(res.status).toBe(201);
  return res.body as { id: string; openTasks: { id: string; elementId: string }[] };
}

beforeAll(async () => {
  database = await testDatabase();
  ({ app, clock, deps } = await testApp(database, { http: { loginRateLimit: { windowMs: 60_000, limit: RATE_LIMIT } } }));
  for (const user of ['admin', 'street-office', 'party-committee', 'provider', 'expert1']) {
    const res = await login(user);
    expect(res.status).toBe(200);
    tokens[user] = res.body.token;
  }
});

afterAll(async () => {
  await database.close();
});

// ── routes and their documentation ──────────────────────────────────────────────

interface RouteInfo {
  method: string;
  path: string;
}

function apiRoutes(): RouteInfo[] {
  const router = createApiRouter(deps, readHttpSettings({})) as unknown as {
    stack: { route?: { path: string; methods: Record<string, boolean> } }[];
  };
  const routes: RouteInfo[] = [];
  for (const layer of router.stack) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') routes.push({ method, path: `/api${layer.route.path}`.replace(/:(\w+)/g, '{$1}') });
    }
  }
  return routes;
}

async function openapi() {
  const res = await request(app).get('/api/openapi.json');
  expect(res.status).toBe(200);
  return res.body as { openapi: string; paths: Record<string, Record<string, { 'x-access': string }>> };
}

describe('openapi.json', () => {
  it('describes every route of the API router, and nothing else', async () => {
    const doc = await openapi();
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    const routed = apiRoutes().map((r) => `${r.method} ${r.path}`);
    expect(routed.length).toBeGreaterThan(25);
    expect(documented.sort()).toEqual(routed.sort());
    for (const required of [
      'get /api/health',
      'post /api/auth/login',
      'get /api/processes',
      'post /api/processes',
      'get /api/processes/{key}',
      'post /api/processes/{key}/instances',
      'get /api/instances',
      'get /api/instances/{id}',
      'get /api/instances/{id}/audit',
      'get /api/tasks',
      'get /api/tasks/{id}',
      'post /api/tasks/{id}/claim',
      'post /api/tasks/{id}/unclaim',
      'post /api/tasks/{id}/complete',
      'get /api/openapi.json',
      'post /api/admin/clock',
    ]) {
      expect(routed).toContain(required);
    }
  });

  it('refers only to schemas it defines', async () => {
    const res = await request(app).get('/api/openapi.json');
    const refs = [...JSON.stringify(res.body).matchAll(/"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    for (const name of new Set(refs)) expect(Object.keys(res.body.components.schemas)).toContain(name);
  });
});

describe('who is asking', () => {
  const sample = (path: string) => path.replace('{key}', 'api_review').replace('{version}', '1').replace('{id}', 'nope');

  it('answers 401 without login on every non-public route, and public routes work without login', async () => {
    const doc = await openapi();
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const res = await (request(app) as unknown as Record<string, (url: string) => request.Test>)[method]!(sample(path));
        if (op['x-access'] === 'public') {
          if (method === 'get' && !path.includes('{id}')) expect(res.status).toBe(200);
        } else {
          expect([method, path, res.status]).toEqual([method, path, 401]);
          expect(res.body.error.code).toBe('unauthorized');
          expect(res.body.error.message).toBe('请先登录');
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('answers 403 to a signed-in non-administrator on every administrator route', async () => {
    const doc = await openapi();
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op['x-access'] !== 'admin') continue;
        const res = await (as('street-office') as unknown as Record<string, (url: string) => request.Test>)[method]!(sample(path)).send({
          reason: '测试',
        });
        expect([method, path, res.status]).toEqual([method, path, 403]);
        expect(res.body.error.code).toBe('forbidden');
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(7);
  });

  it('answers JSON 404 for unknown API paths', async () => {
    const res = await request(app).get('/api/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

// ── authentication ──────────────────────────────────────────────────────────────

describe('login', () => {
  it('signs in with a session cookie (http-only, SameSite=Lax) and a bearer token', async () => {
    const res = await login('street-office');
    expect(res.status).toBe(200);
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.tokenType).toBe('Bearer');
    expect(res.body.user).toEqual({
      id: 'street-office',
      username: 'street-office',
      displayName: '街道办事处（演示）',
      groups: ['street-office'],
      unitId: 'demo-street-1',
      disabled: false,
      mustChangePassword: false,
    });
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).join('; ');
    expect(cookie).toMatch(/cg\.sid=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/);
    // Only the token's hash is stored.
    expect(await database.db.collection('tokens').countDocuments({ _id: res.body.token })).toBe(0);
  });

  it('marks the cookie Secure with COOKIE_SECURE (behind an HTTPS proxy)', async () => {
    const secureApp = createApp({ ...deps, http: { ...deps.http, cookieSecure: true, trustProxy: 1 } });
    const res = await request(secureApp)
      .post('/api/auth/login')
      .set('X-Forwarded-Proto', 'https')
      .send({ username: 'provider', password: 'demo' });
    expect(res.status).toBe(200);
    expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).join('; ')).toMatch(/; Secure/);
  });

  it('refuses a wrong password, an unknown user and a missing field', async () => {
    const wrong = await login('street-office', 'wrong');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toEqual({ code: 'invalid_credentials', message: '用户名或密码错误' });
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect((await login('nobody-here', 'demo')).status).toBe(401);
    const missing = await request(app).post('/api/auth/login').send({ username: 'admin' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields).toEqual({ password: '请输入密码' });
  });

  it('limits failed attempts per client and user name (429 with a Chinese message)', async () => {
    for (let i = 0; i < RATE_LIMIT; i++) expect((await login('expert5', `bad-${i}`)).status).toBe(401);
    const limited = await login('expert5', 'bad-again');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(limited.body.error.message).toMatch(/登录失败次数过多/);
    // Even the right password is refused while limited…
    expect((await login('expert5', 'demo')).status).toBe(429);
    // …but other users at the same address are not affected.
    expect((await login('expert4', 'demo')).status).toBe(200);
  });

  it('seeds the demo users once: one per group plus expert1…expert5', async () => {
    expect(await seedDemoOrganisation(database.db)).toEqual([]);
    const users = await database.db.collection<{ _id: string; groups: string[]; passwordHash: string }>('users').find({}).toArray();
    expect(users.map((u) => u._id).sort()).toEqual(demoUserSpecs().map((s) => s.username).sort());
    for (const group of GROUPS) expect(users.find((u) => u._id === group.id)?.groups).toEqual([group.id]);
    expect(users.find((u) => u._id === 'expert3')?.groups).toEqual(['expert']);
    expect(String(users[0]!.passwordHash)).toMatch(/^scrypt\$/);
  });
});

describe('bearer tokens and sessions', () => {
  it('authenticates with a bearer token; unsafe requests need no CSRF token', async () => {
    const me = await as('street-office').get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { id: 'street-office' }, authMethod: 'bearer' });
    expect(me.body.csrfToken).toBeUndefined();
  });

  it('refuses an unknown token even with a valid session cookie', async () => {
    const agent = request.agent(app);
    expect((await agent.post('/api/auth/login').send({ username: 'provider', password: 'demo' })).status).toBe(200);
    expect((await agent.get('/api/auth/me')).status).toBe(200);
    const res = await agent.get('/api/auth/me').set('Authorization', `Bearer ${'x'.repeat(43)}`);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/令牌无效或已过期/);
  });

  it('needs the CSRF token for unsafe requests authenticated by the session cookie', async () => {
    const agent = request.agent(app);
    const loggedIn = await agent.post('/api/auth/login').send({ username: 'admin', password: 'demo' });
    const csrf = loggedIn.body.csrfToken as string;
    expect(csrf).toBeTruthy();
    const me = await agent.get('/api/auth/me');
    expect(me.body).toMatchObject({ authMethod: 'session', csrfToken: csrf });

    const refused = await agent.put('/api/drafts/api_review').type('application/xml').send(reviewXml);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('csrf_failed');
    const wrong = await agent.put('/api/drafts/api_review').set('X-CSRF-Token', 'wrong').type('application/xml').send(reviewXml);
    expect(wrong.status).toBe(403);
    const ok = await agent.put('/api/drafts/api_review').set('X-CSRF-Token', csrf).type('application/xml').send(reviewXml);
    expect(ok.status).toBe(200);
    const viaField = await agent.post('/api/auth/logout').send({ _csrf: csrf });
    expect(viaField.status).toBe(204);
    expect((await agent.get('/api/auth/me')).status).toBe(401);
  });

  it('logout revokes the bearer token', async () => {
    const token = (await login('expert1')).body.token as string;
    expect((await request(app).get('/api/auth/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await request(app).post('/api/auth/logout').set('Authorization', `Bearer ${token}`)).status).toBe(204);
    expect((await request(app).get('/api/auth/me').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it('sweeps expired tokens and sessions (no TTL index on FerretDB)', async () => {
    const tokensCol = database.db.collection<{ _id: string; expiresAt: Date; userId: string; createdAt: Date }>('tokens');
    await tokensCol.insertOne({ _id: 'expired-token', userId: 'admin', createdAt: new Date(0), expiresAt: new Date(1000) });
    const sessions = database.db.collection<{ _id: string; expires: Date; session: string }>('sessions');
    await sessions.insertOne({ _id: 'expired-session', expires: new Date(1000), session: '{}' });
    expect(await sweepExpiredTokens(database.db)).toBeGreaterThanOrEqual(1);
    expect(await sweepExpiredSessions(database.db)).toBeGreaterThanOrEqual(1);
    expect(await tokensCol.countDocuments({ _id: 'expired-token' })).toBe(0);
    expect(await sessions.countDocuments({ _id: 'expired-session' })).toBe(0);
    // Live credentials survive the sweep.
    expect((await as('admin').get('/api/auth/me')).status).toBe(200);
  });

  it('lists the groups with their Chinese names', async () => {
    const res = await as('expert1').get('/api/groups');
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual({ id: 'residents-committee', name: '社区居民委员会' });
    expect(res.body.map((g: { id: string }) => g.id)).toEqual(GROUPS.map((g) => g.id));
  });
});

// ── processes ───────────────────────────────────────────────────────────────────

describe('processes', () => {
  it('deploys BPMN XML: 201, identical XML again → created:false, a non-admin → 403', async () => {
    const first = await as('admin').post('/api/processes').type('application/xml').send(reviewXml);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ key: 'api_review', version: 1, created: true, name: '接口测试审批', deployedBy: 'admin' });
    expect(first.headers.location).toBe('/api/processes/api_review');
    const again = await as('admin').post('/api/processes').type('application/xml').send(reviewXml);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ key: 'api_review', version: 1, created: false });
    const timer = await as('admin').post('/api/processes').send({ xml: timerXml });
    expect(timer.status).toBe(201);
    expect((await as('street-office').post('/api/processes').type('application/xml').send(reviewXml)).status).toBe(403);
  });

  it('refuses invalid BPMN with 400 and the problems found', async () => {
    const broken = await as('admin').post('/api/processes').type('application/xml').send('<bpmn:definitions');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_bpmn');
    expect(broken.body.error.problems.length).toBeGreaterThan(0);
    const script = await as('admin').post('/api/processes').type('application/xml').send(scriptXml);
    expect(script.status).toBe(400);
    expect(script.body.error.problems.some((p: { elementId?: string }) => p.elementId === 'script')).toBe(true);
    const empty = await as('admin').post('/api/processes').type('application/xml').send('');
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/BPMN XML/);
  });

  it('answers 413 (JSON) to a body over the limit', async () => {
    const huge = `<x>${'a'.repeat(MAX_XML_BYTES)}</x>`;
    const res = await as('admin').post('/api/processes').type('application/xml').send(huge);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    const json = await as('admin').post('/api/processes/api_review/instances').send({ variables: { big: 'a'.repeat(1024 * 1024) } });
    expect(json.status).toBe(413);
    const malformed = await as('admin').post('/api/processes/api_review/instances').type('application/json').send('{"x":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toBe('请求体不是合法的 JSON');
  });

  it('lists processes, their versions and a version’s XML', async () => {
    const list = await as('expert1').get('/api/processes');
    expect(list.status).toBe(200);
    expect(list.body.map((p: { key: string }) => p.key)).toEqual(expect.arrayContaining(['api_review', 'api_timer']));
    expect(list.body.find((p: { key: string }) => p.key === 'api_review')).toMatchObject({ latestVersion: 1, canStart: true });

    const versions = await as('expert1').get('/api/processes/api_review');
    expect(versions.status).toBe(200);
    expect(versions.body).toMatchObject({ key: 'api_review', name: '接口测试审批', latestVersion: 1 });
    expect(versions.body.versions).toHaveLength(1);
    expect(versions.body.versions[0].xml).toBeUndefined();
    expect((await as('expert1').get('/api/processes/unknown_process')).status).toBe(404);

    const xml = await as('admin').get('/api/processes/api_review/versions/1/xml');
    expect(xml.status).toBe(200);
    expect(xml.headers['content-type']).toMatch(/application\/xml/);
    expect(xml.headers['content-security-policy']).toMatch(/sandbox/);
    expect(xml.text).toBe(reviewXml);
    expect((await as('admin').get('/api/processes/api_review/versions/latest/xml')).text).toBe(reviewXml);
    expect((await as('admin').get('/api/processes/api_review/versions/9/xml')).status).toBe(404);
    expect((await as('admin').get('/api/processes/api_review/versions/x/xml')).status).toBe(400);
  });
});

// ── instances and tasks ─────────────────────────────────────────────────────────

describe('instances and tasks', () => {
  it('starts an instance: 201 with status, variables, active elements and open tasks', async () => {
    const res = await as('street-office').post('/api/processes/api_review/instances').send({ businessKey: 'R-1', variables: { applicant: '张三' } });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/instances/${res.body.id}`);
    expect(res.body).toMatchObject({
      processKey: 'api_review',
      businessKey: 'R-1',
      status: 'running',
      startedBy: 'street-office',
      variables: { applicant: '张三' },
      activeElements: ['check'],
      incidents: [],
    });
    expect(res.body.openTasks).toHaveLength(1);
    expect(res.body.openTasks[0]).toMatchObject({ elementId: 'check', name: '初审', candidateGroups: ['street-office@demo-street-1'], assignee: null });
    expect(res.body.engineState).toBeUndefined();

    const bad = await as('street-office').post('/api/processes/api_review/instances').send({ variables: [1] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.variables).toBeTruthy();
    expect((await as('street-office').post('/api/processes/nope/instances').send({})).status).toBe(404);
  });

  it('lists tasks by scope, claims and unclaims them', async () => {
    const instance = await startReview('R-2');
    const taskId = instance.openTasks[0]!.id;
    const candidate = await as('street-office').get('/api/tasks?scope=candidate');
    expect(candidate.status).toBe(200);
    expect(candidate.body.map((t: { id: string }) => t.id)).toContain(taskId);
    expect((await as('street-office').get('/api/tasks?scope=mine')).body.map((t: { id: string }) => t.id)).not.toContain(taskId);
    expect((await as('provider').get('/api/tasks?scope=candidate')).body.map((t: { id: string }) => t.id)).not.toContain(taskId);
    expect((await as('street-office').get('/api/tasks?scope=bogus')).status).toBe(400);
    // Operator and object syntax in the query string is refused, not ignored.
    for (const hostile of ['/api/tasks?scope[$ne]=x', '/api/tasks?scope[]=mine', '/api/instances?$where=1', '/api/tasks?status[$gt]=']) {
      const refused = await as('street-office').get(hostile);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('bad_request');
    }
    expect((await as('street-office').get('/api/tasks?scope=all')).status).toBe(403);
    expect((await as('admin').get('/api/tasks?scope=all')).status).toBe(200);

    // Not a candidate: cannot claim.
    expect((await as('party-committee').post(`/api/tasks/${taskId}/claim`)).status).toBe(403);

    const claimed = await as('street-office').post(`/api/tasks/${taskId}/claim`);
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ id: taskId, assignee: 'street-office' });
    expect((await as('street-office').get('/api/tasks?scope=mine')).body.map((t: { id: string }) => t.id)).toContain(taskId);
    expect((await as('street-office').get('/api/tasks?scope=candidate')).body.map((t: { id: string }) => t.id)).not.toContain(taskId);

    const released = await as('street-office').post(`/api/tasks/${taskId}/unclaim`);
    expect(released.status).toBe(200);
    expect(released.body.assignee).toBeNull();
    expect((await as('street-office').get('/api/tasks?scope=candidate')).body.map((t: { id: string }) => t.id)).toContain(taskId);
  });

  it('shows a task with its form schema to those who may see it', async () => {
    const instance = await startReview('R-3');
    const taskId = instance.openTasks[0]!.id;
    const res = await as('street-office').get(`/api/tasks/${taskId}`);
    expect(res.status).toBe(200);
    expect(res.body.form.fields.map((f: { id: string }) => f.id)).toEqual(['score']);
    expect(res.body.documentation).toMatch(/《测试文件》/);
    expect(res.body.actions).toEqual({ claim: true, unclaim: false, complete: true, transfer: true, delegate: true, addSigners: true, cosign: false, cc: true, remind: false, draft: true });
    expect((await as('provider').get(`/api/tasks/${taskId}`)).status).toBe(403);
    expect((await as('admin').get(`/api/tasks/${taskId}`)).status).toBe(200);
    expect((await as('admin').get('/api/tasks/none:here')).status).toBe(404);
  });

  it('completes a task: 400 with field errors, 403 not yours, 200, then 409 already done', async () => {
    const instance = await startReview('R-4');
    const taskId = instance.openTasks[0]!.id;

    const invalid = await as('street-office').post(`/api/tasks/${taskId}/complete`).send({ variables: { score: 200 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
    expect(Object.keys(invalid.body.error.fields)).toEqual(['score']);
    const missing = await as('street-office').post(`/api/tasks/${taskId}/complete`).send({ variables: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields.score).toBeTruthy();
    // Unknown and prototype keys are refused, not silently dropped; nothing is stored.
    for (const raw of ['{"variables":{"score":50,"approvedBy":"x"}}', '{"variables":{"score":50,"__proto__":{"admin":true}}}']) {
      const hostile = await as('street-office').post(`/api/tasks/${taskId}/complete`).set('content-type', 'application/json').send(raw);
      expect(hostile.status).toBe(400);
      expect(hostile.body.error.code).toBe('validation_failed');
    }
    expect((await as('street-office').get(`/api/tasks/${taskId}`)).body.status).toBe('open');

    const notYours = await as('provider').post(`/api/tasks/${taskId}/complete`).send({ variables: { score: 50 } });
    expect(notYours.status).toBe(403);

    const done = await as('street-office').post(`/api/tasks/${taskId}/complete`).send({ variables: { score: 80 } });
    expect(done.status).toBe(200);
    expect(done.body.task).toMatchObject({ id: taskId, status: 'completed', completedBy: 'street-office' });
    expect(done.body.instance).toMatchObject({ status: 'running', activeElements: ['sign'], variables: { score: 80 } });
    expect(done.body.instance.openTasks[0]).toMatchObject({ elementId: 'sign' });

    const again = await as('street-office').post(`/api/tasks/${taskId}/complete`).send({ variables: { score: 80 } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');

    // The approval step: the opinion is required when the decision is not approve.
    const signId = done.body.instance.openTasks[0].id as string;
    const noOpinion = await as('party-committee').post(`/api/tasks/${signId}/complete`).send({ variables: { decision: 'reject' } });
    expect(noOpinion.status).toBe(400);
    expect(noOpinion.body.error.fields.opinion).toBeTruthy();
    const approved = await as('party-committee').post(`/api/tasks/${signId}/complete`).send({ variables: { decision: 'approve' } });
    expect(approved.status).toBe(200);
    expect(approved.body.instance.status).toBe('completed');
  });

  it('two simultaneous completions: exactly one 200 and one 409', async () => {
    const instance = await startReview('R-5');
    const taskId = instance.openTasks[0]!.id;
    const results = await Promise.all([
      as('street-office').post(`/api/tasks/${taskId}/complete`).send({ variables: { score: 10 } }),
      as('street-office').post(`/api/tasks/${taskId}/complete`).send({ variables: { score: 20 } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const view = await as('street-office').get(`/api/instances/${instance.id}`);
    expect(view.body.openTasks.map((t: { elementId: string }) => t.elementId)).toEqual(['sign']);
    const audit = await as('street-office').get(`/api/instances/${instance.id}/audit`);
    expect(audit.body.filter((a: { type: string }) => a.type === 'task.completed')).toHaveLength(1);
  });

  it('shows an instance and its audit trail to participants only', async () => {
    const instance = await startReview('R-6');
    const taskId = instance.openTasks[0]!.id;
    await as('street-office').post(`/api/tasks/${taskId}/complete`).send({ variables: { score: 66 } });

    const view = await as('street-office').get(`/api/instances/${instance.id}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: instance.id, status: 'running', variables: { score: 66 }, activeElements: ['sign'], incidents: [] });
    // A candidate of the open task may look; an unrelated user may not.
    expect((await as('party-committee').get(`/api/instances/${instance.id}`)).status).toBe(200);
    expect((await as('provider').get(`/api/instances/${instance.id}`)).status).toBe(403);
    expect((await as('provider').get(`/api/instances/${instance.id}/audit`)).status).toBe(403);
    expect((await as('admin').get('/api/instances/no-such-instance')).status).toBe(404);

    const audit = await as('street-office').get(`/api/instances/${instance.id}/audit`);
    expect(audit.status).toBe(200);
    const types = audit.body.map((a: { type: string }) => a.type);
    expect(types).toEqual(expect.arrayContaining(['instance.started', 'task.created', 'task.completed']));
    expect(audit.body.find((a: { type: string }) => a.type === 'task.completed')).toMatchObject({ actor: 'street-office', taskId });
  });

  it('lists instances: administrators all, others their own; filters by status and process', async () => {
    const all = await as('admin').get('/api/instances?process=api_review');
    expect(all.status).toBe(200);
    expect(all.body.total).toBeGreaterThanOrEqual(6);
    const completed = await as('admin').get('/api/instances?status=completed');
    expect(completed.body.items.every((i: { status: string }) => i.status === 'completed')).toBe(true);
    expect(completed.body.total).toBeGreaterThanOrEqual(1);

    await startReview('R-7', 'expert1');
    const own = await as('expert1').get('/api/instances');
    expect(own.body.items.map((i: { businessKey: string }) => i.businessKey)).toEqual(['R-7']);
    expect(own.body.items[0].variables).toBeUndefined();
    expect((await as('expert1').get('/api/instances?startedBy=street-office')).status).toBe(403);
    expect((await as('admin').get('/api/instances?status=bogus')).status).toBe(400);
    expect((await as('admin').get('/api/instances?limit=0')).status).toBe(400);
  });
});

// ── administration ──────────────────────────────────────────────────────────────

describe('administration', () => {
  it('requires a reason for retry, cancel and reassign', async () => {
    const instance = await startReview('R-8');
    for (const path of [`/api/instances/${instance.id}/retry`, `/api/instances/${instance.id}/cancel`, `/api/tasks/${instance.openTasks[0]!.id}/reassign`]) {
      const res = await as('admin').post(path).send({ assignee: 'expert1' });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe('请填写操作原因');
      expect(res.body.error.fields.reason).toBe('请填写操作原因');
    }
  });

  it('reassigns a task and cancels an instance', async () => {
    const instance = await startReview('R-9');
    const taskId = instance.openTasks[0]!.id;
    const unknown = await as('admin').post(`/api/tasks/${taskId}/reassign`).send({ assignee: 'ghost', reason: '测试' });
    expect(unknown.status).toBe(400);
    const reassigned = await as('admin').post(`/api/tasks/${taskId}/reassign`).send({ assignee: 'expert2', reason: '原办理人休假' });
    expect(reassigned.status).toBe(200);
    expect(reassigned.body.assignee).toBe('expert2');

    const retry = await as('admin').post(`/api/instances/${instance.id}/retry`).send({ reason: '重试' });
    expect(retry.status).toBe(409);

    const cancelled = await as('admin').post(`/api/instances/${instance.id}/cancel`).send({ reason: '申请人撤回' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const again = await as('admin').post(`/api/instances/${instance.id}/cancel`).send({ reason: '再次' });
    expect(again.status).toBe(409);
  });

  it('keeps one modeler draft per process and user', async () => {
    expect((await as('admin').get('/api/drafts/never_saved')).status).toBe(404);
    const saved = await as('admin').put('/api/drafts/api_draft').type('application/xml').send('<draft/>');
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ key: 'api_draft', bytes: 8 });
    await as('admin').put('/api/drafts/api_draft').send({ xml: '<draft v="2"/>' });
    const loaded = await as('admin').get('/api/drafts/api_draft');
    expect(loaded.body).toMatchObject({ key: 'api_draft', xml: '<draft v="2"/>' });
    expect(await database.db.collection('drafts').countDocuments({ key: 'api_draft' })).toBe(1);
  });
});

describe('manual clock', () => {
  it('moves only through POST /api/admin/clock, fires due timers and is persisted', async () => {
    const started = await as('street-office').post('/api/processes/api_timer/instances').send({});
    expect(started.status).toBe(201);
    expect(started.body.activeElements).toEqual(['wait']);
    expect(started.body.openTasks).toEqual([]);

    const before = clock.now().getTime();
    expect((await as('street-office').post('/api/admin/clock').send({ advance: 'P2D' })).status).toBe(403);
    expect((await as('admin').post('/api/admin/clock').send({ advance: 'two days' })).status).toBe(400);
    expect((await as('admin').post('/api/admin/clock').send({ advance: 'P1D', set: '2030-01-01' })).status).toBe(400);
    expect((await as('admin').post('/api/admin/clock').send({})).status).toBe(400);
    expect(clock.now().getTime()).toBe(before);

    const moved = await as('admin').post('/api/admin/clock').send({ advance: 'P2D' });
    expect(moved.status).toBe(200);
    expect(new Date(moved.body.now).getTime()).toBe(before + 2 * 24 * 3600 * 1000);
    expect(moved.body.fired).toBeGreaterThanOrEqual(1);
    const after = await as('street-office').get(`/api/instances/${started.body.id}`);
    expect(after.body.openTasks.map((t: { elementId: string }) => t.elementId)).toEqual(['after']);

    const set = await as('admin').post('/api/admin/clock').send({ set: '2027-01-01T08:00:00+08:00' });
    expect(set.status).toBe(200);
    expect(set.body.now).toBe('2027-01-01T00:00:00.000Z');
    expect((await as('admin').get('/api/admin/clock')).body).toEqual({ now: '2027-01-01T00:00:00.000Z', manual: true });
    expect((await restoreManualClock(database.db)).now().toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('does not exist with the system clock', async () => {
    const systemApp = createApp({ ...deps, clock: systemClock, config: { ...deps.config, manualClock: false } });
    const token = (await login('admin', 'demo', systemApp)).body.token as string;
    const res = await request(systemApp).post('/api/admin/clock').set('Authorization', `Bearer ${token}`).send({ advance: 'P1Y' });
    expect(res.status).toBe(404);
    const doc = (await request(systemApp).get('/api/openapi.json')).body;
    expect(doc.paths['/api/admin/clock']).toBeUndefined();
  });
});

describe('public notices and health', () => {
  it('lists notices without login', async () => {
    await database.db.collection('notices').insertOne({
      _id: 'notice-1' as never,
      instanceId: 'i-1',
      processKey: 'api_review',
      businessKey: 'R-1',
      template: 'test',
      title: '测试公示',
      kind: 'resolution',
      html: '<p>公示内容</p>',
      days: 5,
      workingDays: true,
      publishedAt: new Date('2026-03-01T00:00:00Z'),
      endAt: new Date('2026-03-08T00:00:00Z'),
      elementId: null,
    });
    const list = await request(app).get('/api/notices');
    expect(list.status).toBe(200);
    expect(list.body).toContainEqual(expect.objectContaining({ id: 'notice-1', title: '测试公示', html: '<p>公示内容</p>' }));
    expect(list.body[0].instanceId).toBeUndefined();
    const one = await request(app).get('/api/notices/notice-1');
    expect(one.status).toBe(200);
    expect(one.body.title).toBe('测试公示');
    expect((await request(app).get('/api/notices/none')).status).toBe(404);
    expect((await request(app).get('/api/notices?current=maybe')).status).toBe(400);
  });

  it('reports health and sends security headers', async () => {
    const res = await request(app).get('/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', manualClock: true });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

// ── the server process ──────────────────────────────────────────────────────────

function emptyDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'cg-api-processes-'));
}

describe('server entry point', () => {
  it('production: no demo users, an administrator from ADMIN_USERNAME / ADMIN_PASSWORD', async () => {
    const env = {
      MONGODB_URI: uriForDatabase('test_api_production'),
      NODE_ENV: 'production',
      SESSION_SECRET: 's'.repeat(40),
      PROCESSES_DIR: emptyDir(),
    };
    const { MongoClient } = await import('mongodb');
    const client = await MongoClient.connect(process.env.MONGODB_URI!, { directConnection: true, retryWrites: false });
    await client.db('test_api_production').dropDatabase();
    await client.close();

    // Without an administrator the server refuses to start.
    await expect(startServer(env)).rejects.toThrow(/ADMIN_USERNAME/);

    const server = await startServer({ ...env, ADMIN_USERNAME: 'chief', ADMIN_PASSWORD: 'correct horse battery' });
    try {
      const denied = await request(server.url).post('/api/auth/login').send({ username: 'admin', password: 'demo' });
      expect(denied.status).toBe(401);
      const ok = await request(server.url).post('/api/auth/login').send({ username: 'chief', password: 'correct horse battery' });
      expect(ok.status).toBe(200);
      expect(ok.body.user.groups).toEqual(['admin']);
      const clockRoute = await request(server.url).get('/api/admin/clock').set('Authorization', `Bearer ${ok.body.token}`);
      expect(clockRoute.status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  it('CLOCK=manual: the clock survives a restart', async () => {
    const env = { MONGODB_URI: uriForDatabase('test_api_manual'), NODE_ENV: 'development', CLOCK: 'manual', PROCESSES_DIR: emptyDir() };
    const { MongoClient } = await import('mongodb');
    const client = await MongoClient.connect(process.env.MONGODB_URI!, { directConnection: true, retryWrites: false });
    await client.db('test_api_manual').dropDatabase();
    await client.close();

    let server = await startServer(env);
    let now: string;
    try {
      const token = (await request(server.url).post('/api/auth/login').send({ username: 'admin', password: 'demo' })).body.token;
      const moved = await request(server.url).post('/api/admin/clock').set('Authorization', `Bearer ${token}`).send({ set: '2031-06-01' });
      expect(moved.status).toBe(200);
      now = moved.body.now;
      expect(server.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await server.stop();
    }
    server = await startServer(env);
    try {
      const health = await request(server.url).get('/api/health');
      expect(health.body).toMatchObject({ now, manualClock: true });
    } finally {
      await server.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type express from 'express';
import { BSON } from 'mongodb';
import request from 'supertest';
import { gzipSync } from 'node:zlib';
import { verifyPassword, hashPassword, MAX_CONCURRENT_HASHES, hashesInFlight } from '../server/auth/passwords.js';
import { readFile } from 'node:fs/promises';
import { createApp } from '../server/app.js';
import { validateDeployment } from '../server/bpmn/validate.js';
import { readConfig } from '../server/config.js';
import type { FormSchema } from '../server/forms/schema.js';
import { validateFormValues } from '../server/forms/validate.js';
import type { Database } from '../server/db/connect.js';
import { evaluateFeel, MAX_EVALUATION_MS } from '../server/expressions/feel.js';
import { readHttpSettings } from '../server/http/settings.js';
import { pack } from '../server/runtime/packed.js';
import { Runtime } from '../server/runtime/runtime.js';
import { linearProcess, type Node } from './support/bpmn.js';
import { testDatabase } from './support/db.js';
import { testApp, type TestApp } from './support/app.js';

/** The outside review's findings (issue 17), each as the attack that worked before the fix. */

const RATE_LIMIT = 4;
let database: Database;
let t: TestApp;
let app: express.Express;
const tokens: Record<string, string> = {};

const startEvent: Node = { id: 'start', event: true, xml: '<bpmn:startEvent id="start" name="开始"><!--flows--></bpmn:startEvent>' };
const endEvent: Node = { id: 'end', event: true, xml: '<bpmn:endEvent id="end" name="结束"><!--flows--></bpmn:endEvent>' };
const freeXml = linearProcess('sec_free', '无表单', [
  startEvent,
  { id: 'work', xml: '<bpmn:userTask id="work" name="办理" camunda:candidateGroups="street-office"><bpmn:extensionElements><camunda:formData><camunda:formField id="note" label="备注" type="string" /></camunda:formData></bpmn:extensionElements><!--flows--></bpmn:userTask>' },
  endEvent,
]);
/** Three experts score independently (a parallel multi-instance task), then the office closes the case. */
const panelXml = linearProcess('sec_panel', '独立评审', [
  startEvent,
  {
    id: 'score',
    xml: `<bpmn:userTask id="score" name="专家评分" camunda:assignee="\${expert}">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="points" label="得分" type="long"><camunda:validation><camunda:constraint name="required" /></camunda:validation></camunda:formField>
        <camunda:formField id="decision" label="结论" type="enum"><camunda:validation><camunda:constraint name="required" /></camunda:validation><camunda:value id="approve" name="通过" /><camunda:value id="reject" name="不通过" /></camunda:formField>
        <camunda:formField id="opinion" label="意见" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <!--flows-->
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="\${[&quot;expert1&quot;,&quot;expert2&quot;,&quot;expert3&quot;]}" camunda:elementVariable="expert" />
    </bpmn:userTask>`,
  },
  { id: 'close', xml: '<bpmn:userTask id="close" name="归档" camunda:candidateGroups="street-office"><bpmn:extensionElements><camunda:formData><camunda:formField id="note" label="备注" type="string" /></camunda:formData></bpmn:extensionElements><!--flows--></bpmn:userTask>' },
  endEvent,
]);
const timerXml = (cycle: string) =>
  linearProcess(`sec_timer`, '周期提醒', [
    startEvent,
    {
      id: 'wait',
      event: true,
      xml: `<bpmn:intermediateCatchEvent id="wait" name="等待"><!--flows--><bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">${cycle}</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>`,
    },
    endEvent,
  ]);

const login = (username: string, password = 'demo') => request(app).post('/api/auth/login').send({ username, password });
const as = (username: string) => ({
  get: (url: string) => request(app).get(url).set('Authorization', `Bearer ${tokens[username]}`),
  post: (url: string) => request(app).post(url).set('Authorization', `Bearer ${tokens[username]}`),
});

beforeAll(async () => {
  database = await testDatabase();
  t = await testApp(database, { http: { loginRateLimit: { windowMs: 60_000, limit: RATE_LIMIT } } });
  app = t.app;
  for (const user of ['admin', 'street-office', 'expert1', 'expert2', 'expert3']) tokens[user] = (await login(user)).body.token;
  for (const xml of [freeXml, panelXml]) expect((await as('admin').post('/api/processes').type('application/xml').send(xml)).status).toBe(201);
});

afterAll(async () => {
  await database.close();
});

describe('1, 10: what cannot be stored is refused up front, and a bad record never stops a start-up', () => {
  it.each([
    [{ 'a.b': 1 }, 'a.b'],
    [{ $where: 'x' }, '$where'],
    [{ a: { $ne: 1 } }, '$ne'],
    [{ 'nul\u0000key': 1 }, 'nul\\0key'],
    [{ text: 'a\u0000b' }, '空字符'],
  ])('start with %j: 400 naming it, nothing stored', async (variables, named) => {
    const before = await database.db.collection('commits').countDocuments({});
    const instances = await database.db.collection('instances').countDocuments({});
    const res = await as('street-office').post('/api/processes/sec_free/instances').send({ variables });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(named);
    expect(await database.db.collection('commits').countDocuments({})).toBe(before);
    expect(await database.db.collection('instances').countDocuments({})).toBe(instances);
  });

  it('refuses values nested too deeply (400, not a stack overflow)', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { inner: deep };
    const res = await as('street-office').post('/api/processes/sec_free/instances').send({ variables: { deep } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('嵌套层次过深');
    // Far deeper than any parser keeps: refused as malformed, still a 400.
    const deeper = `{"variables":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const refused = await as('street-office').post('/api/processes/sec_free/instances').set('Content-Type', 'application/json').send(deeper);
    expect(refused.status).toBe(400);
  });

  it('starts even when a stored commit cannot be applied, and sets that instance aside as an incident', async () => {
    // A start written by who knows what: its instance document has a variable name the database refuses.
    const id = 'bad-record-1';
    const fields = { processKey: 'sec_free', processName: '无表单', version: 1, definitionId: 'sec_free:1', businessKey: 'BAD-1', status: 'running', variables: { 'a.b': 1 }, startedBy: 'street-office', startedAt: new Date() };
    const payload = pack(BSON.serialize({ fields, outbox: [] }));
    await database.db.collection('commits').insertOne({ _id: `${id}:1`, instanceId: id, rev: 1, at: new Date(), payload } as never);
    const restarted = await Runtime.create({ db: database.db, clock: t.clock, services: {} });
    const view = await restarted.getInstance(id);
    expect(view.instance).toMatchObject({ status: 'incident', businessKey: 'BAD-1', variables: {} });
    expect(view.instance.incident?.message).toContain('无法恢复');
    // The others run on.
    expect((await restarted.startInstance('sec_free', {}, { id: 'street-office', groups: ['street-office'] })).instance.status).toBe('running');
    await database.db.collection('commits').deleteOne({ _id: `${id}:1` as never });
  });
});

describe('2, 5, 11: logins', () => {
  it('one limit for both doors: failed web logins count against the API login of the same user', async () => {
    const app = createApp(t.deps); // counts of its own
    const page = await request(app).get('/login');
    const cookie = page.headers['set-cookie'] as unknown as string[];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    for (let i = 0; i < RATE_LIMIT; i++) {
      const res = await request(app).post('/login').set('Cookie', cookie).type('form').send({ _csrf: csrf, username: 'expert5', password: `bad-${i}` });
      expect(res.status).toBe(401);
    }
    const web = await request(app).post('/login').set('Cookie', cookie).type('form').send({ _csrf: csrf, username: 'expert5', password: 'bad' });
    expect(web.status).toBe(429);
    expect(web.text).toContain('登录失败次数过多');
    const api = await request(app).post('/api/auth/login').send({ username: 'expert5', password: 'demo' });
    expect(api.status).toBe(429);
  });

  it('made-up user names from one address are limited too', async () => {
    const app = createApp(t.deps);
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT * 5 + 1; i++) statuses.push((await request(app).post('/api/auth/login').send({ username: `ghost-${i}`, password: 'x' })).status);
    expect(statuses.slice(0, RATE_LIMIT * 5 - 1).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });

  it(`hashes at most ${MAX_CONCURRENT_HASHES} passwords at once, however many logins arrive`, async () => {
    const hash = await hashPassword('correct horse');
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, hashesInFlight())), 1);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => verifyPassword(i % 2 ? 'correct horse' : 'wrong', hash)));
    clearInterval(sampler);
    expect(results.filter(Boolean)).toHaveLength(6);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(MAX_CONCURRENT_HASHES);
  });

  it('trusts no forwarding header and listens on loopback unless told', () => {
    expect(readHttpSettings({ COOKIE_SECURE: '1' }).trustProxy).toBe(false);
    expect(readHttpSettings({ COOKIE_SECURE: '1', TRUST_PROXY: '10.0.0.2' }).trustProxy).toBe('10.0.0.2');
    expect(readConfig({}).host).toBe('127.0.0.1');
    expect(readConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });
});

describe('3, 6: no expression holds the server', () => {
  it('a 600-line community list is checked in linear time: duplicates found, distinct lines accepted', async () => {
    const xml = await readFile(new URL('../../processes/pilot-campaign.bpmn', import.meta.url), 'utf8');
    const checked = await validateDeployment(xml);
    if (!checked.ok) throw new Error('pilot-campaign.bpmn does not validate');
    const form = checked.model.startForm as FormSchema;
    const lines = Array.from({ length: 600 }, (_, i) => `社区${i}，区${i % 7}`);
    const errorOf = (communityList: string) => {
      const result = validateFormValues(form, { communityList }, {});
      return result.ok ? undefined : result.fields.communityList;
    };
    expect(errorOf([...lines, '社区7，区3'].join('\n'))).toContain('同一社区只能申报一次');
    expect(errorOf(lines.join('\n'))).toBeUndefined();
  });

  it('refuses nested constant ranges by their product, and stops an evaluation that would run for long', async () => {
    expect(() => evaluateFeel('count(for a in 1..3000, b in 1..3000 return 1)', {})).toThrow(/范围过大/);
    expect(() => evaluateFeel('count(for a in 1..n, b in 1..n return 1)', { n: 3000 })).toThrow(`表达式计算超过 ${MAX_EVALUATION_MS} 毫秒`);
    expect(evaluateFeel('count(for a in 1..30 return a)', {})).toBe(30);
    // A form default that would loop is refused at deploy.
    const xml = linearProcess('sec_loop', '循环默认值', [
      startEvent,
      {
        id: 'work',
        xml: `<bpmn:userTask id="work" name="办理" camunda:candidateGroups="street-office"><bpmn:extensionElements><camunda:formData><camunda:formField id="n" label="数" type="long" defaultValue="\${count(for a in 1..3000, b in 1..3000 return 1)}" /></camunda:formData></bpmn:extensionElements><!--flows--></bpmn:userTask>`,
      },
      endEvent,
    ]);
    const res = await as('admin').post('/api/processes').type('application/xml').send(xml);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('范围过大');
  });
});

describe('4: independent review', () => {
  it('hides the other experts\u2019 scores from an expert until the step closes; the starter and admins see them', async () => {
    const started = await as('street-office').post('/api/processes/sec_panel/instances').send({});
    const id = started.body.id as string;
    const mine = (who: string) => (started.body.openTasks as { id: string; assignee: string }[]).find((x) => x.assignee === who)!.id;
    expect((await as('expert1').post(`/api/tasks/${encodeURIComponent(mine('expert1'))}/complete`).send({ variables: { points: 91, decision: 'approve', opinion: '很好' } })).status).toBe(200);

    const seenBy = async (who: string) => ({
      variables: (await as(who).get(`/api/instances/${id}`)).body.variables,
      audit: JSON.stringify((await as(who).get(`/api/instances/${id}/audit`)).body),
      signoffs: (await as(who).get(`/api/instances/${id}/signoffs`)).body as { by: string }[],
    });
    const expert2 = await seenBy('expert2');
    expect(expert2.variables.scoreResults ?? []).toEqual([]);
    expect(expert2.audit).not.toContain('"points"');
    expect(expert2.audit).not.toContain('很好');
    expect(expert2.signoffs).toEqual([]);
    const page = await request(app).get(`/instances/${id}`).set('Authorization', `Bearer ${tokens.expert2}`);
    // …nor in the case shown with the expert's own task
    const ownTask = await as('expert2').get(`/api/tasks/${encodeURIComponent(mine('expert2'))}`);
    expect(JSON.stringify(ownTask.body.case)).not.toContain('很好');
    expect((ownTask.body.case as { hidden?: boolean }[]).filter((c) => c.hidden)).toHaveLength(1);
    expect(page.text).not.toContain('很好');

    for (const who of ['street-office', 'admin', 'expert1']) {
      const seen = await seenBy(who);
      expect(seen.variables.scoreResults.map((r: { points: number }) => r.points)).toEqual([91]);
      expect(seen.signoffs.map((s) => s.by)).toEqual(['expert1']);
    }
    // Once all three have scored, everyone taking part sees the whole review.
    for (const who of ['expert2', 'expert3']) {
      expect((await as(who).post(`/api/tasks/${encodeURIComponent(mine(who))}/complete`).send({ variables: { points: 80, decision: 'approve' } })).status).toBe(200);
    }
    expect((await seenBy('expert2')).variables.scoreResults).toHaveLength(3);
  });
});

describe('7: repeating timers', () => {
  it.each([
    ['R/PT0.001S', '须写明重复次数'],
    ['R5/PT0.001S', '间隔过短'],
    ['R5/PT30S', '间隔过短'],
    ['R5000/PT1H', '重复次数过多'],
  ])('refuses %s at deploy', async (cycle, message) => {
    const res = await as('admin').post('/api/processes').type('application/xml').send(timerXml(cycle));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(message);
  });

  it('deploys a bounded cycle of at least a minute', async () => {
    expect((await as('admin').post('/api/processes').type('application/xml').send(timerXml('R3/PT10M'))).status).toBe(201);
  });
});

describe('8, 9: sessions, logout and passwords', () => {
  it('stores no session for anonymous views of the notice board and the login page', async () => {
    const sessions = database.db.collection('sessions');
    const before = await sessions.countDocuments({});
    for (let i = 0; i < 5; i++) {
      expect((await request(app).get('/notices')).status).toBe(200);
      expect((await request(app).get('/login')).status).toBe(200);
    }
    expect(await sessions.countDocuments({})).toBe(before);
  });

  it('logging out of a session revokes the token issued with it', async () => {
    const agent = request.agent(app);
    const loggedIn = await agent.post('/api/auth/login').send({ username: 'expert3', password: 'demo' });
    const token = loggedIn.body.token as string;
    expect((await request(app).get('/api/auth/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await agent.post('/api/auth/logout').set('X-CSRF-Token', loggedIn.body.csrfToken)).status).toBe(204);
    expect((await request(app).get('/api/auth/me').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it('a user changes their own password: the old one and every token stop working', async () => {
    const first = (await login('expert4')).body.token as string;
    const change = (body: object) => request(app).post('/api/auth/password').set('Authorization', `Bearer ${first}`).send(body);
    const wrong = await change({ currentPassword: 'nope', newPassword: 'a-longer-secret' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.fields.currentPassword).toBe('当前密码不正确');
    expect((await change({ currentPassword: 'demo', newPassword: 'short' })).body.error.fields.newPassword).toMatch(/至少需要 8 个字符/);
    expect((await change({ currentPassword: 'demo', newPassword: 'a-longer-secret' })).status).toBe(204);
    expect((await request(app).get('/api/auth/me').set('Authorization', `Bearer ${first}`)).status).toBe(401);
    expect((await login('expert4', 'demo')).status).toBe(401);
    expect((await login('expert4', 'a-longer-secret')).status).toBe(200);
  });

  it('the same on the 修改密码 page', async () => {
    const agent = request.agent(app);
    const page = await agent.get('/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    expect((await agent.post('/login').type('form').send({ _csrf: csrf, username: 'county', password: 'demo', next: '/tasks' })).status).toBe(303);
    const form = await agent.get('/account/password');
    expect(form.text).toContain('修改密码');
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const refused = await agent.post('/account/password').type('form').send({ _csrf: token, currentPassword: 'x', newPassword: 'another-secret' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('当前密码不正确');
    const done = await agent.post('/account/password').type('form').send({ _csrf: token, currentPassword: 'demo', newPassword: 'another-secret' });
    expect(done.status).toBe(303);
    expect((await login('county', 'another-secret')).status).toBe(200);
  });
});

describe('also: errors in the caller\u2019s terms', () => {
  it('an empty definitions document and a broken gzip body get messages about the input, not the code', async () => {
    const empty = await as('admin').post('/api/processes').type('application/xml').send('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>');
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.body)).not.toMatch(/Cannot read properties|undefined/);
    const gz = await as('admin')
      .post('/api/processes/sec_free/instances')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send(Buffer.concat([gzipSync(Buffer.from('{"variables":{}}')).subarray(0, 12), Buffer.from('garbage')]));
    expect(gz.status).toBe(400);
    expect(JSON.stringify(gz.body)).not.toMatch(/incorrect header|zlib|unexpected end/i);
  });
});

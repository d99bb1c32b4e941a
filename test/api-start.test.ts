import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type express from 'express';
import request from 'supertest';
import type { Database } from '../server/db/connect.js';
import { testApp } from './support/app.js';
import { linearProcess } from './support/bpmn.js';
import { testDatabase } from './support/db.js';

/**
 * `POST /api/processes/:key/instances` leaves "which process, and may this user start it" to the runtime (no listing
 * of every process per start): the answers stay 404 for an unknown process and 403 outside
 * camunda:candidateStarterGroups, with the same messages, and the request's own checks (400) still come first.
 */

let database: Database;
let app: express.Express;
const tokens: Record<string, string> = {};

const xml = (starters: string | null) =>
  linearProcess('start_rules', '发起测试', [
    { id: 'start', event: true, xml: '<bpmn:startEvent id="start" name="开始"><!--flows--></bpmn:startEvent>' },
    {
      id: 'work',
      xml: `<bpmn:userTask id="work" name="办理" camunda:candidateGroups="street-office">
        <bpmn:extensionElements><camunda:formData><camunda:formField id="note" label="备注" type="string" /></camunda:formData></bpmn:extensionElements>
        <!--flows-->
      </bpmn:userTask>`,
    },
    { id: 'end', event: true, xml: '<bpmn:endEvent id="end" name="结束"><!--flows--></bpmn:endEvent>' },
  ]).replace('isExecutable="true"', `isExecutable="true"${starters ? ` camunda:candidateStarterGroups="${starters}"` : ''}`);

async function deploy(bpmn: string) {
  const res = await request(app).post('/api/processes').set('Authorization', `Bearer ${tokens.admin}`).type('application/xml').send(bpmn);
  expect([res.status, res.body]).toMatchObject([201, { key: 'start_rules', created: true }]);
}

const start = (username: string, body: unknown = {}) =>
  request(app).post('/api/processes/start_rules/instances').set('Authorization', `Bearer ${tokens[username]}`).send(body as object);

beforeAll(async () => {
  database = await testDatabase();
  ({ app } = await testApp(database));
  for (const user of ['admin', 'street-office', 'provider']) {
    const res = await request(app).post('/api/auth/login').send({ username: user, password: 'demo' });
    expect(res.status).toBe(200);
    tokens[user] = res.body.token;
  }
});

afterAll(async () => {
  await database.close();
});

describe('starting an instance over HTTP', () => {
  it('answers 404 for an unknown process', async () => {
    const res = await start('street-office');
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'not_found', message: '流程不存在：start_rules' });
  });

  it('answers 403 outside the starter groups (admins may always start), 201 inside', async () => {
    await deploy(xml('street-office'));
    const refused = await start('provider');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ code: 'forbidden', message: '您所在的用户组不能发起该流程' });
    expect((await start('street-office')).status).toBe(201);
    expect((await start('admin')).status).toBe(201);
  });

  it('checks the request itself first (400), and follows the latest version’s starter groups', async () => {
    const bad = await start('provider', { variables: [1] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.variables).toBeTruthy();
    await deploy(xml(null));
    expect((await start('provider')).status).toBe(201);
  });
});

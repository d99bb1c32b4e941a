import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type express from 'express';
import request from 'supertest';
import type { Database } from '../server/db/connect.js';
import type { Runtime } from '../server/runtime/runtime.js';
import { testApp } from './support/app.js';
import { testDatabase } from './support/db.js';

/**
 * Diagrams made elsewhere through the API: POST /api/bpmn/import converts and checks without deploying,
 * POST /api/processes converts and deploys, answering errors (what blocks execution) apart from warnings (style)
 * and the conversion report; once the missing assignee is filled in, the Camunda 8 and the Flowable (GBK) fixtures
 * deploy and run to their end.
 */

const FIXTURES = path.resolve('test/fixtures');
const camunda8 = readFileSync(path.join(FIXTURES, 'camunda8-resident-help.bpmn'));
const flowableGbk = readFileSync(path.join(FIXTURES, 'flowable-venue-gbk.bpmn'));

let database: Database;
let app: express.Express;
let runtime: Runtime;
const tokens: Record<string, string> = {};

function as(username: string) {
  const auth = (r: request.Test) => r.set('Authorization', `Bearer ${tokens[username]}`);
  return {
    get: (url: string) => auth(request(app).get(url)),
    post: (url: string) => auth(request(app).post(url)),
    put: (url: string) => auth(request(app).put(url)),
  };
}

interface Problem {
  code: string;
  elementId?: string;
  severity?: string;
  message: string;
}
const summary = (problems: Problem[]) => problems.map((p) => `${p.code} ${p.elementId ?? ''}`.trim()).sort();

/** Completes the instance's only open task as `user` and returns the instance after it. */
async function complete(instanceId: string, user: string, elementId: string, variables: Record<string, unknown>) {
  const instance = await as('admin').get(`/api/instances/${encodeURIComponent(instanceId)}`);
  const task = (instance.body.openTasks as { id: string; elementId: string }[]).find((t) => t.elementId === elementId);
  expect(task).toBeDefined();
  const res = await as(user).post(`/api/tasks/${encodeURIComponent(task!.id)}/complete`).send({ variables });
  expect([res.status, res.body.error?.message]).toEqual([200, undefined]);
  return res.body.instance as { status: string; variables: Record<string, unknown>; openTasks: { elementId: string }[] };
}

beforeAll(async () => {
  database = await testDatabase();
  ({ app, runtime } = await testApp(database, { http: { loginRateLimit: { windowMs: 60_000, limit: 100 } } }));
  for (const user of ['admin', 'grid-worker', 'residents-committee', 'street-office']) {
    const res = await request(app).post('/api/auth/login').send({ username: user, password: 'demo' });
    expect(res.status).toBe(200);
    tokens[user] = res.body.token;
  }
});

afterAll(async () => {
  await database.close();
});

describe('POST /api/processes with a Camunda 8 diagram', () => {
  it('refuses it only for the missing assignee, lists the labels as warnings apart, and says what it converted', async () => {
    const res = await as('admin').post('/api/processes').type('application/xml').send(camunda8);
    expect(res.status).toBe(400);
    const error = res.body.error;
    expect(error.code).toBe('invalid_bpmn');
    expect(error.message).toBe('流程文件未通过校验（1 个错误，2 个警告）');
    expect(summary(error.errors)).toEqual(['lint/platform/user-task-assignment handle']);
    expect(summary(error.warnings)).toEqual(['lint/label-required declined', 'lint/label-required fNo']);
    expect(error.warnings.every((w: Problem) => w.severity === 'warning')).toBe(true);
    expect(error.problems).toEqual([...error.errors, ...error.warnings]);
    expect(error.conversion.converted.map((c: { elementId: string; to: string }) => `${c.elementId} ${c.to}`)).toEqual(
      expect.arrayContaining(['verify camunda:candidateGroups="grid-worker"', 'fYes ${verified}']),
    );
    expect(error.conversion.dropped.length).toBeGreaterThan(0);
  });

  it('deploys it once the assignee is filled in, answering the warnings and the conversion, and it runs', async () => {
    const filled = camunda8.toString('utf8').replace('<bpmn:userTask id="handle" name="社区居委会办理">', '<bpmn:userTask id="handle" name="社区居委会办理" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" camunda:candidateGroups="residents-committee">');
    const res = await as('admin').post('/api/processes').type('application/xml').send(Buffer.from(filled));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ key: 'resident-help', version: 1, created: true, encoding: 'UTF-8' });
    expect(summary(res.body.warnings)).toEqual(['lint/label-required declined', 'lint/label-required fNo']);
    expect(res.body.conversion.converted.length).toBeGreaterThan(0);
    const stored = await as('admin').get('/api/processes/resident-help/versions/1/xml');
    expect(stored.text).not.toContain('zeebe');
    expect(stored.text).toContain('${not(verified)}');

    const started = await as('grid-worker').post('/api/processes/resident-help/instances').send({ businessKey: 'QZ-2026-001' });
    expect(started.status).toBe(201);
    let instance = await complete(started.body.id, 'grid-worker', 'verify', { verifyNote: '已到现场核实，楼道灯损坏', verified: true, urgency: 'urgent' });
    expect(instance.openTasks.map((t) => t.elementId)).toEqual(['handle']);
    instance = await complete(started.body.id, 'residents-committee', 'handle', { result: '已联系物业更换', visits: 1 });
    expect(instance.status).toBe('completed');
  });
});

describe('a Flowable diagram saved in GBK', () => {
  let converted = '';

  it('imports without deploying: the converted text in Chinese, the encoding, and what would block its deployment', async () => {
    const res = await as('admin').post('/api/bpmn/import').type('application/xml').send(flowableGbk);
    expect(res.status).toBe(200);
    expect(res.body.encoding).toBe('GBK');
    expect(res.body.xml).toContain('name="社区活动场地申请"');
    expect(res.body.xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(summary(res.body.errors)).toEqual(['lint/platform/user-task-assignment record']);
    expect(res.body.warnings).toEqual([]);
    expect(res.body.conversion.converted[0]).toMatchObject({ from: 'encoding="GBK"', to: 'encoding="UTF-8"' });
    expect((await as('admin').get('/api/processes/venue-booking')).status).toBe(404);
    converted = res.body.xml;
  });

  it('deploys the converted text with the assignee filled in, and runs with the initiator and the rewritten conditions', async () => {
    const filled = converted.replace('<userTask id="record" name="街道办备案">', '<userTask id="record" name="街道办备案" camunda:candidateGroups="street-office">');
    const res = await as('admin').post('/api/processes').send({ xml: filled });
    expect(res.status).toBe(201);
    expect(res.body.conversion).toEqual({ converted: [], dropped: [] });

    const started = await as('street-office').post('/api/processes/venue-booking/instances').send({
      businessKey: 'CD-2026-007',
      variables: { activity: '重阳节敬老茶话会', participants: 80, activityDate: '2026-10-18' },
    });
    expect([started.status, started.body.error?.message]).toEqual([201, undefined]);
    expect(started.body.variables.applicant).toBe('street-office');
    await complete(started.body.id, 'residents-committee', 'review', { decision: 'approve', opinion: '同意，注意安全' });
    const instance = await complete(started.body.id, 'street-office', 'record', { recordNo: 'BA-2026-031' });
    expect(instance.status).toBe('completed');
    expect(instance.variables.recordNo).toBe('BA-2026-031');
  });
});

describe('one evaluator for both expression forms', () => {
  it('runs =FEEL conditions as written, when a diagram reaches the runtime without the import', async () => {
    const imported = (await as('admin').post('/api/bpmn/import').type('application/xml').send(camunda8)).body.xml as string;
    const raw = imported
      .replace('id="resident-help"', 'id="resident-help-raw"')
      .replace('bpmnElement="resident-help"', 'bpmnElement="resident-help-raw"')
      .replace('<bpmn:userTask id="handle" name="社区居委会办理">', '<bpmn:userTask id="handle" name="社区居委会办理" camunda:candidateGroups="residents-committee">')
      .replace('${verified}', '= verified')
      .replace('${not(verified)}', '=not(verified)');
    expect(raw).toContain('>= verified<');
    const deployed = await runtime.deploy(raw, null);
    expect(deployed.definition.xml).toContain('=not(verified)');
    const started = await as('grid-worker').post('/api/processes/resident-help-raw/instances').send({ businessKey: 'QZ-RAW-1' });
    const instance = await complete(started.body.id, 'grid-worker', 'verify', { verifyNote: '不属实', verified: false, urgency: 'normal' });
    // `= verified` taken as a literal would have led to the 社区居委会办理 task instead of the end
    expect(instance.status).toBe('completed');
  });
});

describe('what the import refuses or points out', () => {
  it('refuses unreadable files with their reason, whatever the encoding', async () => {
    const doctype = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "a">]><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doctype, 'utf16le')]);
    for (const url of ['/api/processes', '/api/bpmn/import']) {
      const res = await as('admin').post(url).type('application/xml').send(utf16);
      expect(res.status).toBe(400);
      expect(summary(res.body.error.errors)).toEqual(['xml/doctype', 'xml/entity']);
    }
    const unknown = Buffer.from('<?xml version="1.0" encoding="KOI8-XYZ"?><a/>');
    const res = await as('admin').post('/api/bpmn/import').type('application/xml').send(unknown);
    expect(res.body.error.errors[0].code).toBe('xml/unsupported-encoding');
  });

  it('points out candidate groups the platform does not have', async () => {
    const clerks = camunda8.toString('utf8').replace('candidateGroups="grid-worker"', 'candidateGroups="grid-worker,clerks"');
    const res = await as('admin').post('/api/bpmn/import').type('application/xml').send(clerks);
    const unknown = res.body.warnings.filter((w: Problem) => w.code === 'import/unknown-group');
    expect(unknown).toEqual([expect.objectContaining({ elementId: 'verify', severity: 'warning' })]);
    expect(unknown[0].message).toContain('clerks');
  });

  it('is for administrators only', async () => {
    expect((await as('street-office').post('/api/bpmn/import').type('application/xml').send(camunda8)).status).toBe(403);
  });

  it('keeps drafts as UTF-8 whatever encoding they were sent in', async () => {
    const latin = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" name="Prüfung"/>', 'latin1');
    expect((await as('admin').put('/api/drafts/draft_latin').type('application/xml').send(latin)).status).toBe(200);
    const draft = await as('admin').get('/api/drafts/draft_latin');
    expect(draft.body.xml).toBe('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" name="Prüfung"/>');
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startServer, uriForDatabase, type ServerProcess } from './support/server-process.js';

/**
 * Exactly-once under SIGKILL: clients complete tasks while the server is killed at random moments and restarted.
 * Every completion acknowledged with 200 must be recorded exactly once; nothing is lost or applied twice; every
 * instance still has exactly one open task and keeps running.
 */

const KILLS = Number(process.env.CRASH_KILLS ?? 12);
const INSTANCES = 4;

const loopXml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="crash-defs" targetNamespace="http://example.org/crash">
  <bpmn:process id="crash-loop" name="反复办理" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:userTask id="work" name="办理" camunda:candidateGroups="street-office">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="round" label="轮次" type="long"><camunda:validation><camunda:constraint name="required" /></camunda:validation></camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>again</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" name="继续？" default="done"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>done</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="again" name="继续" sourceRef="gw" targetRef="work"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\${round &lt; 1000000}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="done" name="结束" sourceRef="gw" targetRef="end" />
    <bpmn:endEvent id="end" name="结束"><bpmn:incoming>done</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="crash-loop">
    <bpmndi:BPMNShape id="s1" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s2" bpmnElement="work"><dc:Bounds x="180" y="78" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s3" bpmnElement="gw" isMarkerVisible="true"><dc:Bounds x="330" y="93" width="50" height="50" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s4" bpmnElement="end"><dc:Bounds x="430" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e1" bpmnElement="f1"><di:waypoint x="136" y="118" /><di:waypoint x="180" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e2" bpmnElement="f2"><di:waypoint x="280" y="118" /><di:waypoint x="330" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e3" bpmnElement="again"><di:waypoint x="355" y="93" /><di:waypoint x="355" y="40" /><di:waypoint x="230" y="40" /><di:waypoint x="230" y="78" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e4" bpmnElement="done"><di:waypoint x="380" y="118" /><di:waypoint x="430" y="118" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;

let server: ServerProcess | null = null;
const dbName = 'test_crash';
// The loop process is deployed by the test; the policy processes are tested elsewhere.
const env = { MONGODB_URI: uriForDatabase(dbName), STORAGE_STRATEGY: 'embedded', NODE_ENV: 'development', PROCESSES_DIR: mkdtempSync(path.join(os.tmpdir(), 'cg-no-processes-')) };

afterAll(async () => {
  await server?.stop().catch(() => {});
});

async function login(url: string, username: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'demo' }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token?: string; accessToken?: string };
  return (body.token ?? body.accessToken)!;
}

async function api(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(typeof body === 'string' ? { 'content-type': 'application/xml' } : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('crash safety', () => {
  it(`never loses or repeats an acknowledged completion across ${KILLS} SIGKILLs`, async () => {
    const client = new MongoClient(process.env.MONGODB_URI!);
    await client.connect();
    await client.db(dbName).dropDatabase();

    server = await startServer(env);
    const admin = await login(server.url, 'admin');
    const deployed = await api(server.url, admin, 'POST', '/api/processes', loopXml);
    expect(deployed.status).toBe(201);
    const staff = await login(server.url, 'street-office');
    const instanceIds: string[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const started = await api(server.url, staff, 'POST', '/api/processes/crash-loop/instances', { businessKey: `C-${i}` });
      expect(started.status).toBe(201);
      instanceIds.push(started.body.instance?._id ?? started.body.id ?? started.body._id);
    }

    const acknowledged: string[] = [];
    const conflicts: string[] = [];
    const serverErrors: string[] = [];
    let running = true;
    let current = server;

    const worker = async (instanceId: string) => {
      let round = 0;
      while (running) {
        try {
          const view = await api(current.url, staff, 'GET', `/api/instances/${instanceId}`);
          if (view.status !== 200) continue;
          const task = (view.body.openTasks ?? [])[0];
          if (!task) continue;
          const done = await api(current.url, staff, 'POST', `/api/tasks/${encodeURIComponent(task._id ?? task.id)}/complete`, {
            variables: { round: ++round },
          });
          if (done.status === 200) acknowledged.push(task._id ?? task.id);
          else if (done.status === 409) conflicts.push(task._id ?? task.id);
          else if (done.status >= 500) serverErrors.push(`${done.status} ${JSON.stringify(done.body)}`);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50)); // server down: try again shortly
        }
      }
    };

    const workers = instanceIds.map((id) => worker(id));
    for (let kill = 0; kill < KILLS; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 700));
      await current.kill();
      current = await startServer(env);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    running = false;
    await Promise.all(workers);
    server = current;

    // Let the restarted server finish any pending derived writes, then look at the database itself.
    await api(current.url, staff, 'GET', `/api/instances/${instanceIds[0]}`);
    for (const id of instanceIds) await api(current.url, staff, 'GET', `/api/instances/${id}`);
    const db = client.db(dbName);
    const completions = await db.collection('audit').find({ type: 'task.completed' }).toArray();
    const completedCount = new Map<string, number>();
    for (const entry of completions) completedCount.set(entry.taskId, (completedCount.get(entry.taskId) ?? 0) + 1);

    const lost = acknowledged.filter((taskId) => completedCount.get(taskId) !== 1);
    const duplicated = [...completedCount.entries()].filter(([, n]) => n > 1);
    const ackedTwice = acknowledged.filter((taskId, i) => acknowledged.indexOf(taskId) !== i);
    console.log(
      `crash test: kills=${KILLS} acknowledged=${acknowledged.length} conflicts=${conflicts.length} ` +
        `lost=${lost.length} duplicated=${duplicated.length} 5xx=${serverErrors.length}`,
    );
    expect(acknowledged.length).toBeGreaterThan(KILLS);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(ackedTwice).toEqual([]);
    expect(serverErrors).toEqual([]);

    for (const id of instanceIds) {
      const instance = await db.collection('instances').findOne({ _id: id as never });
      expect(instance!.status).toBe('running');
      const open = await db.collection('tasks').find({ instanceId: id, status: 'open' }).toArray();
      expect(open).toHaveLength(1);
      const closed = await db.collection('tasks').countDocuments({ instanceId: id, status: 'completed' });
      const audited = completions.filter((c) => c.instanceId === id).length;
      expect(closed).toBe(audited);
    }
    // Every instance is still runnable.
    const view = await api(current.url, staff, 'GET', `/api/instances/${instanceIds[0]}`);
    const nextTask = view.body.openTasks[0];
    const next = await api(current.url, staff, 'POST', `/api/tasks/${encodeURIComponent(nextTask._id ?? nextTask.id)}/complete`, {
      variables: { round: 1 },
    });
    expect(next.status).toBe(200);
    await client.close();
  }, 600_000);
});

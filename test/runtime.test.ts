import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { BSON } from 'mongodb';
import type { Database } from '../server/db/connect.js';
import { ensureIndexes } from '../server/db/collections.js';
import { ManualClock } from '../server/engine/clock.js';
import { setEngineClock } from '../server/engine/clock-timer.js';
import { liveEngines } from '../server/engine/run-step.js';
import { RuntimeError, type Actor } from '../server/runtime/api.js';
import { Runtime, type Strategy } from '../server/runtime/runtime.js';
import { isPacked, pack, unpack } from '../server/runtime/packed.js';
import { RuleViolation, type ServiceHandler } from '../server/services/types.js';
import { testDatabase } from './support/db.js';

const officer: Actor = { id: 'street-office', groups: ['street-office'] };
const stranger: Actor = { id: 'provider', groups: ['provider'] };
const experts: Actor[] = [1, 2, 3].map((n) => ({ id: `expert${n}`, groups: ['expert'] }));

/** A small review process: a form, a three-expert panel (two approvals suffice), a tally service, a deadline. */
const reviewXml = (label = '初审') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="defs" targetNamespace="http://example.org/test">
  <bpmn:process id="review" name="评审" isExecutable="true">
    <bpmn:startEvent id="start" name="开始">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="experts" label="专家" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:userTask id="check" name="${label}" camunda:candidateGroups="street-office" camunda:dueDate="P10D">
      <bpmn:documentation>《测试文件》一(1)
初审必须在十日内完成。</bpmn:documentation>
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="score" label="得分" type="long">
          <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="min" config="0" /><camunda:constraint name="max" config="100" /></camunda:validation>
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="panel" />
    <bpmn:userTask id="panel" name="专家评审" camunda:assignee="\${expert}">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="decision" label="审批结论" type="enum">
          <camunda:validation><camunda:constraint name="required" /></camunda:validation>
          <camunda:value id="approve" name="通过" /><camunda:value id="reject" name="不通过" /><camunda:value id="return" name="退回修改" />
        </camunda:formField>
        <camunda:formField id="opinion" label="审批意见" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="\${split(experts, &quot;,&quot;)}" camunda:elementVariable="expert">
        <bpmn:completionCondition xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\${count(loopOutput[decision = "approve"]) >= 2}</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="panel" targetRef="tally" />
    <bpmn:serviceTask id="tally" name="统计" camunda:type="external" camunda:topic="test-tally">
      <bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f4" sourceRef="tally" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait" name="公示三年">
      <bpmn:incoming>f4</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">P3Y</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end" name="结束"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="review">
    <bpmndi:BPMNShape id="s_start" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_check" bpmnElement="check"><dc:Bounds x="180" y="78" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_panel" bpmnElement="panel"><dc:Bounds x="330" y="78" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_tally" bpmnElement="tally"><dc:Bounds x="480" y="78" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_wait" bpmnElement="wait"><dc:Bounds x="630" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_end" bpmnElement="end"><dc:Bounds x="720" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e_f1" bpmnElement="f1"><di:waypoint x="136" y="118" /><di:waypoint x="180" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_f2" bpmnElement="f2"><di:waypoint x="280" y="118" /><di:waypoint x="330" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_f3" bpmnElement="f3"><di:waypoint x="430" y="118" /><di:waypoint x="480" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_f4" bpmnElement="f4"><di:waypoint x="580" y="118" /><di:waypoint x="630" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_f5" bpmnElement="f5"><di:waypoint x="666" y="118" /><di:waypoint x="720" y="118" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;

let database: Database;
let clock: ManualClock;
let failTally = false;
const services: Record<string, ServiceHandler> = {
  'test-tally': ({ variables }) => {
    if (failTally) throw new RuleViolation('统计失败：测试规则');
    const results = (variables.panelResults as { decision: string }[]) ?? [];
    return { approvals: results.filter((r) => r.decision === 'approve').length };
  },
};

/** A runtime on the test database; `shared` for tests where several act on it at once, as servers would. */
async function newRuntime(strategy: Strategy = 'embedded') {
  return Runtime.create({ db: database.db, clock, services, strategy });
}

async function startReview(runtime: Runtime, businessKey: string) {
  // The panel is named on the start form; the multi-instance collection splits the list.
  return runtime.startInstance('review', { businessKey, variables: { experts: experts.map((e) => e.id).join(',') } }, officer);
}

async function openTasks(runtime: Runtime, instanceId: string) {
  return (await runtime.getInstance(instanceId)).openTasks;
}

beforeAll(async () => {
  database = await testDatabase();
  await ensureIndexes(database.db);
  clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
  setEngineClock(clock);
});

afterAll(async () => {
  await database.close();
});

describe('deployment', () => {
  it('versions by content: identical XML creates nothing new, a change makes version 2', async () => {
    const runtime = await newRuntime();
    const first = await runtime.deploy(reviewXml(), null);
    expect(first).toMatchObject({ key: 'review', version: 1, created: true });
    expect(await runtime.deploy(reviewXml(), null)).toMatchObject({ version: 1, created: false });
    expect((await runtime.getProcessVersions('review')).map((d) => d.version)).toEqual([1]);
  });

  it('refuses invalid BPMN with a list of problems and stores nothing', async () => {
    const runtime = await newRuntime();
    const error = await runtime.deploy('<not-bpmn', null).catch((e) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error.code).toBe('invalid_bpmn');
    expect(error.details.problems.length).toBeGreaterThan(0);
    expect(await database.db.collection('definitions').countDocuments({})).toBe(1);
  });
});

describe('instances and tasks', () => {
  it('runs a task with its due date, form validation, an expert panel and a tally', async () => {
    const runtime = await newRuntime();
    const { instance } = await startReview(runtime, 'R-1');
    let tasks = await openTasks(runtime, instance._id);
    expect(tasks).toHaveLength(1);
    const check = tasks[0];
    expect(check).toMatchObject({ name: '初审', candidateGroups: ['street-office'], assignee: null, status: 'open' });
    expect(check.dueAt?.toISOString()).toBe('2026-03-11T00:00:00.000Z');
    expect(check.documentation).toContain('《测试文件》一(1)');

    // Not a candidate: refused, nothing changes.
    await expect(runtime.complete(check._id, { score: 50 }, stranger)).rejects.toMatchObject({ code: 'forbidden' });
    // Above the maximum: a Chinese message at the field.
    const invalid = await runtime.complete(check._id, { score: 101 }, officer).catch((e) => e);
    expect(invalid.code).toBe('validation_failed');
    expect(invalid.details.fields.score).toMatch(/得分/);

    await runtime.complete(check._id, { score: 88, injected: 'x' }, officer);
    const after = await runtime.getInstance(instance._id);
    expect(after.instance.variables).toMatchObject({ score: 88 });
    expect(after.instance.variables).not.toHaveProperty('injected');
    tasks = after.openTasks;
    expect(tasks.map((t) => t.assignee).sort()).toEqual(['expert1', 'expert2', 'expert3']);

    // An opinion is required when the decision is not 通过.
    const panelTask = (id: string) => tasks.find((t) => t.assignee === id)!;
    const noOpinion = await runtime.complete(panelTask('expert1')._id, { decision: 'reject' }, experts[0]).catch((e) => e);
    expect(noOpinion.details.fields.opinion).toBeTruthy();
    await runtime.complete(panelTask('expert1')._id, { decision: 'reject', opinion: '材料不全' }, experts[0]);
    await runtime.complete(panelTask('expert2')._id, { decision: 'approve' }, experts[1]);
    expect((await openTasks(runtime, instance._id)).map((t) => t.assignee)).toEqual(['expert3']);
    await runtime.complete(panelTask('expert3')._id, { decision: 'approve' }, experts[2]);

    const waiting = await runtime.getInstance(instance._id);
    expect(waiting.openTasks).toHaveLength(0);
    expect(waiting.instance.variables.approvals).toBe(2);
    expect(waiting.instance.activeElements).toEqual(['wait']);
    expect(waiting.instance.nextTimerAt?.toISOString()).toBe('2029-03-01T00:00:00.000Z');

    const signoffs = await runtime.getSignoffs(instance._id);
    expect(signoffs.map((s) => [s.by, s.decision, s.opinion])).toEqual([
      ['expert1', 'reject', '材料不全'],
      ['expert2', 'approve', null],
      ['expert3', 'approve', null],
    ]);
    expect(signoffs[0].valuesHash).toMatch(/^[0-9a-f]{64}$/);
    const audit = await runtime.getAudit(instance._id);
    const completedCheck = audit.find((a) => a.type === 'task.completed' && a.elementId === 'check');
    expect(completedCheck).toMatchObject({ actor: 'street-office' });
    expect((completedCheck!.data.changes as Record<string, unknown>).score).toEqual({ from: null, to: 88 });
    // On FerretDB the history and sign-offs are read by `_id`; they must be exactly what the queries find.
    const queried = await database.db.collection('audit').find({ instanceId: instance._id }).sort({ at: 1, rev: 1, n: 1 }).toArray();
    expect(audit.map((a) => a._id)).toEqual(queried.map((a) => a._id));
    expect(audit.length).toBeGreaterThan(8);
    const queriedSignoffs = await database.db.collection('signoffs').find({ instanceId: instance._id }).sort({ at: 1 }).toArray();
    expect(signoffs.map((x) => x._id)).toEqual(queriedSignoffs.map((x) => x._id));
  });

  it('gives one success and one conflict to two simultaneous completions', async () => {
    const runtime = await newRuntime('shared');
    const other = await newRuntime('shared');
    const { instance } = await startReview(runtime, 'R-2');
    const [task] = await openTasks(runtime, instance._id);
    const outcomes = await Promise.allSettled([
      runtime.complete(task._id, { score: 1 }, officer),
      other.complete(task._id, { score: 2 }, officer),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.code).toBe('conflict');
    const audit = await runtime.getAudit(instance._id);
    expect(audit.filter((a) => a.type === 'task.completed')).toHaveLength(1);
    await expect(runtime.complete(task._id, { score: 3 }, officer)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('claims atomically and keeps the claim when the task record is rebuilt', async () => {
    const runtime = await newRuntime();
    const { instance } = await startReview(runtime, 'R-3');
    const [task] = await openTasks(runtime, instance._id);
    const other = { id: 'street-office-2', groups: ['street-office'] };
    const claims = await Promise.allSettled([runtime.claim(task._id, officer), runtime.claim(task._id, other)]);
    expect(claims.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
    const winner = (await runtime.getTask(task._id)).assignee!;
    const loser = winner === officer.id ? other : officer;
    await expect(runtime.complete(task._id, { score: 5 }, loser)).rejects.toMatchObject({ code: 'forbidden' });
    expect((await runtime.listTasks({ id: winner, groups: ['street-office'] }, { scope: 'mine' })).map((t) => t._id)).toContain(task._id);
  });
});

describe('incidents', () => {
  it('parks a failing service with the completed work kept, and an admin retry continues', async () => {
    const runtime = await newRuntime();
    const { instance } = await startReview(runtime, 'R-4');
    const [check] = await openTasks(runtime, instance._id);
    await runtime.complete(check._id, { score: 70 }, officer);
    failTally = true;
    for (const [index, task] of (await openTasks(runtime, instance._id)).slice(0, 2).entries()) {
      await runtime.complete(task._id, { decision: 'approve' }, experts.find((e) => e.id === task.assignee) ?? experts[index]);
    }
    const broken = await runtime.getInstance(instance._id);
    expect(broken.instance.status).toBe('incident');
    expect(broken.instance.incident).toMatchObject({ elementId: 'tally', message: '统计失败：测试规则' });
    expect(broken.instance.variables.panelResults).toHaveLength(2);

    await expect(runtime.retry(instance._id, { id: 'admin', groups: ['admin'] }, '')).rejects.toMatchObject({ code: 'bad_request' });
    failTally = false;
    const fixed = await runtime.retry(instance._id, { id: 'admin', groups: ['admin'] }, '统计规则已修正');
    expect(fixed.instance.status).toBe('running');
    expect(fixed.instance.variables.approvals).toBe(2);
    expect((await runtime.getAudit(instance._id)).some((a) => a.type === 'admin.retry' && a.data.reason === '统计规则已修正')).toBe(true);
  });
});

describe('durable timers', () => {
  it('fires a three-year timer once, after a restart, with two runtimes sharing the database', async () => {
    const runtime = await newRuntime();
    const { instance } = await startReview(runtime, 'R-5');
    const [check] = await openTasks(runtime, instance._id);
    await runtime.complete(check._id, { score: 90 }, officer);
    for (const task of (await openTasks(runtime, instance._id)).slice(0, 2)) {
      await runtime.complete(task._id, { decision: 'approve' }, experts.find((e) => e.id === task.assignee)!);
    }
    expect((await runtime.getInstance(instance._id)).instance.activeElements).toEqual(['wait']);

    clock.advance('P2Y11M');
    expect(await runtime.fireDueTimers()).toBe(0);

    clock.advance('P1M');
    // A "restart": fresh runtimes on the same database, racing for the same due timer.
    const [a, b] = [await newRuntime('shared'), await newRuntime('shared')];
    const fired = await Promise.all([a.fireDueTimers(), b.fireDueTimers()]);
    const done = await a.getInstance(instance._id);
    expect(done.instance.status).toBe('completed');
    const audit = await a.getAudit(instance._id);
    expect(audit.filter((e) => e.type === 'timer.fired' && e.elementId === 'wait')).toHaveLength(1);
    expect(fired.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(1);
  });
});

describe('versions and recovery', () => {
  it('lists instances newest first, filtered, kept through status changes and read again at start-up', async () => {
    const runtime = await newRuntime();
    const a = await startReview(runtime, 'L-1');
    const b = await startReview(runtime, 'L-2');
    await runtime.cancel(b.instance._id, { id: 'admin', groups: ['admin'] }, '重复发起');
    for (const strategy of ['embedded', 'shared'] as const) {
      // A later server (embedded: filled by its start-up scan; shared: queries) answers the same.
      const reader = strategy === 'embedded' ? runtime : await newRuntime(strategy);
      const keys = async (query: Parameters<Runtime['listInstances']>[0]) =>
        (await reader.listInstances(query)).items.map((i) => i.businessKey).filter((k) => k?.startsWith('L-'));
      expect(await keys({ status: 'cancelled' })).toEqual(['L-2']);
      expect(await keys({ status: 'running', businessKey: 'L-1' })).toEqual(['L-1']);
      expect(await keys({ businessKeyContains: 'l-2' })).toEqual(['L-2']);
      expect(await keys({ businessKeyContains: '.*' })).toEqual([]); // a part, not a pattern
      const page = await reader.listInstances({ businessKey: 'L-2' });
      expect(page.total).toBe(1);
      expect(page.items[0]).toMatchObject({ _id: b.instance._id, status: 'cancelled' });
      expect(page.items[0]).not.toHaveProperty('engineState');
    }
    const later = await newRuntime();
    expect((await later.listInstances({ businessKey: 'L-1' })).items.map((i) => i._id)).toEqual([a.instance._id]);
    expect((await later.listInstances({ businessKey: 'L-2', status: 'cancelled' })).total).toBe(1);
  });

  it('finds the tasks waiting for a signer (加签) on either read side, and after a restart', async () => {
    const runtime = await newRuntime();
    await database.db.collection<{ _id: string }>('users').updateOne({ _id: 'signer-1' }, { $set: { displayName: '会签人', groups: [], disabled: false } }, { upsert: true });
    const { instance } = await startReview(runtime, 'SIGN-1');
    const [task] = await openTasks(runtime, instance._id);
    await runtime.addSigners(task!._id, { users: ['signer-1'], reason: '请会签' }, officer);
    const signer: Actor = { id: 'signer-1', groups: [] };
    for (const reader of [runtime, await newRuntime('shared'), await newRuntime()]) {
      expect((await reader.listTasks(signer, { scope: 'signer' })).map((t) => t._id)).toEqual([task!._id]);
      expect((await reader.countTasks(signer)).signer).toBe(1);
    }
    await runtime.cosign(task!._id, { decision: 'approve' }, { ...signer, displayName: '会签人' });
    expect(await runtime.listTasks(signer, { scope: 'signer' })).toEqual([]);
    expect((await runtime.countTasks(signer)).signer).toBe(0);
  });

  it('a shared server starting finds a 后加签 submission whose last signature was cut off from its completion', async () => {
    const runtime = await newRuntime('shared');
    await database.db.collection<{ _id: string }>('users').updateOne({ _id: 'signer-2' }, { $set: { displayName: '会签人二', groups: [], disabled: false } }, { upsert: true });
    await database.db.collection<{ _id: string }>('users').updateOne({ _id: officer.id }, { $set: { displayName: '街道', groups: officer.groups, disabled: false } }, { upsert: true });
    const { instance } = await startReview(runtime, 'HELD-1');
    const [task] = await openTasks(runtime, instance._id);
    const { task: held } = await runtime.addSigners(task!._id, { users: ['signer-2'], reason: '请会签', position: 'after', values: { score: 70 } }, officer);
    await database.db.collection('signoffs').insertOne({ _id: `${task!._id}:cosign:signer-2:${held.held!.round}`, taskId: task!._id, by: 'signer-2', decision: 'approve' } as never);
    await newRuntime('shared');
    expect((await runtime.getTask(task!._id)).status).toBe('completed');
    expect((await openTasks(runtime, instance._id)).map((t) => t.elementId)).toEqual(['panel', 'panel', 'panel']);
  });

  it('finishes in the background a step whose writes failed after its commit', async () => {
    let failViews = 0;
    const flaky = await Runtime.create({
      db: database.db,
      clock,
      services,
      faults: {
        beforeView: () => {
          if (failViews-- > 0) throw new Error('database unavailable');
        },
      },
    });
    try {
      const { instance } = await startReview(flaky, 'F-1');
      const [task] = await openTasks(flaky, instance._id);
      failViews = 1;
      // The person is told the completion is recorded (503, not a failure to redo), the operator the cause.
      const failure = await flaky.complete(task!._id, { score: 70 }, officer).catch((err: unknown) => err);
      expect(failure).toMatchObject({ code: 'unavailable', message: expect.stringContaining('办理已记录') });
      expect((failure as Error).cause).toMatchObject({ message: 'database unavailable' });
      // Committed (the step stands) but not finished: the view is one step behind, the commit is still there.
      const instances = database.db.collection('instances');
      const commits = database.db.collection('commits');
      const commitId = `${instance._id}:2`;
      expect(await commits.countDocuments({ _id: commitId as never })).toBe(1);
      expect((await instances.findOne({ _id: instance._id as never }))!.rev).toBe(1);

      // Nobody reads the instance; the runtime finishes the step itself and the commit goes.
      const deadline = Date.now() + 20_000;
      while ((await instances.findOne({ _id: instance._id as never }))!.rev < 2 && Date.now() < deadline) await sleep(50);
      const view = (await instances.findOne({ _id: instance._id as never }))!;
      expect(view.rev).toBe(2);
      expect(view.variables.score).toBe(70);
      expect((await database.db.collection('tasks').findOne({ _id: task!._id as never }))!.status).toBe('completed');
      expect((await flaky.getAudit(instance._id)).filter((a) => a.type === 'task.completed')).toHaveLength(1);
      while ((await commits.countDocuments({ _id: commitId as never })) > 0 && Date.now() < deadline) await sleep(50);
      expect(await commits.countDocuments({ _id: commitId as never })).toBe(0);
      // And the instance runs on: the expert panel is open; the client's retry of its completion finds it recorded.
      expect((await openTasks(flaky, instance._id)).map((t) => t.elementId)).toEqual(['panel', 'panel', 'panel']);
      expect((await flaky.listTasks(experts[0]!, { scope: 'mine' })).map((t) => t.instanceId)).toContain(instance._id);
      await expect(flaky.complete(task!._id, { score: 70 }, officer)).rejects.toMatchObject({ code: 'conflict' });
    } finally {
      flaky.stop();
    }
  });

  it('stores task records without their form, which comes from their version', async () => {
    const runtime = await newRuntime();
    const { instance } = await startReview(runtime, 'T-1');
    const [task] = await openTasks(runtime, instance._id);
    const tasks = database.db.collection('tasks');
    expect(await tasks.findOne({ _id: task!._id as never })).not.toHaveProperty('formSchema');
    expect(task!.formSchema).toMatchObject({ fields: [expect.objectContaining({ id: 'score', type: 'long' })] });

    const fresh = await newRuntime(); // nothing kept: the form is read from the definition of the task's version
    expect((await fresh.getTask(task!._id)).formSchema).toEqual(task!.formSchema);
    await expect(fresh.complete(task!._id, { score: '六十' }, officer)).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('stores the engine state deflated, keeps no applied commit (embedded) and a marker per step (shared)', async () => {
    const runtime = await newRuntime();
    const { instance } = await startReview(runtime, 'Z-1');
    await runtime.flush();
    const instances = database.db.collection('instances');
    const commits = database.db.collection('commits');
    const stored = (await instances.findOne({ _id: instance._id as never }))!;
    expect(isPacked(stored.engineState)).toBe(true);
    const text = unpack(stored.engineState).toString('utf8');
    expect(JSON.parse(text)).toHaveProperty('definitions');
    expect(stored.engineState.length()).toBeLessThan(text.length / 3);
    expect(await commits.countDocuments({ instanceId: instance._id })).toBe(0);

    liveEngines.clear();
    const later = await newRuntime('shared'); // no live engine or kept view: the step recovers from what is stored
    const [task] = await openTasks(later, instance._id);
    const done = await later.complete(task!._id, { score: 80 }, officer);
    await later.flush();
    expect(done.instance.instance.variables.score).toBe(80);
    expect((await openTasks(later, instance._id)).map((t) => t.elementId)).toEqual(['panel', 'panel', 'panel']);
    expect(isPacked((await instances.findOne({ _id: instance._id as never }))!.engineState)).toBe(true);
    // The shared strategy keeps the step's marker (the guard of its revision), no longer open, with its payload.
    const marker = (await commits.findOne({ _id: `${instance._id}:2` as never }))!;
    expect(marker).not.toHaveProperty('open');
    expect(isPacked(marker.payload)).toBe(true);
  });

  it('keeps running instances on the version they started on', async () => {
    const runtime = await newRuntime();
    const { instance } = await startReview(runtime, 'R-6');
    const v2 = await runtime.deploy(reviewXml('复核'), null);
    expect(v2).toMatchObject({ version: 2, created: true });
    expect((await openTasks(runtime, instance._id))[0].name).toBe('初审');
    const fresh = await runtime.startInstance('review', { businessKey: 'R-7' }, officer);
    expect(fresh.instance.version).toBe(2);
    expect(fresh.openTasks[0].name).toBe('复核');
    // Another server (several servers share a database only with the shared strategy) that started the process
    // before knows of a version deployed here without being told.
    const other = await newRuntime('shared');
    expect((await other.startInstance('review', { businessKey: 'R-7b' }, officer)).instance.version).toBe(2);
    expect((await runtime.deploy(reviewXml('复查'), null)).version).toBe(3);
    const onOther = await other.startInstance('review', { businessKey: 'R-7c' }, officer);
    expect([onOther.instance.version, onOther.openTasks[0].name]).toEqual([3, '复查']);

    // camunda:candidateStarterGroups decides who may start a version.
    await runtime.deploy(reviewXml('复核').replace('isExecutable="true"', 'isExecutable="true" camunda:candidateStarterGroups="county"'), null);
    await expect(runtime.startInstance('review', {}, officer)).rejects.toMatchObject({ code: 'forbidden' });
    expect((await runtime.startInstance('review', {}, { id: 'county', groups: ['county'] })).instance.version).toBe(4);
    expect((await runtime.listProcesses()).find((p) => p.key === 'review')!.starterGroups).toEqual(['county']);
    await runtime.deploy(reviewXml('复审'), null); // open to everyone again for the tests below
  });

  it('finishes the derived writes of a step whose server died right after the commit', async () => {
    const runtime = await newRuntime();
    const { instance } = await startReview(runtime, 'R-8');
    const [task] = await openTasks(runtime, instance._id);
    const crashing = await Runtime.create({
      db: database.db,
      clock,
      services,
      faults: {
        afterCommit: () => {
          throw new Error('simulated crash');
        },
      },
    });
    await expect(crashing.complete(task._id, { score: 60 }, officer)).rejects.toThrow('simulated crash');
    // The step is committed in the log; the instance view and the derived records are not written yet.
    const commit = await database.db.collection('commits').findOne({ _id: `${instance._id}:2` as never });
    expect(isPacked(commit!.payload)).toBe(true);
    expect((await database.db.collection('instances').findOne({ _id: instance._id as never }))!.variables.score).toBeUndefined();
    expect((await runtime.getTask(task._id)).status).toBe('open');

    const restarted = await newRuntime(); // start-up finishes every step whose commit is still in the log
    expect((await restarted.getTask(task._id)).status).toBe('completed');
    await expect(crashing.complete(task._id, { score: 61 }, officer)).rejects.toMatchObject({ code: 'conflict' });
    const after = await database.db.collection('instances').findOne({ _id: instance._id as never });
    expect(after!.variables.score).toBe(60);
    expect((await openTasks(restarted, instance._id)).map((t) => t.elementId)).toEqual(['panel', 'panel', 'panel']);
    const completions = (await restarted.getAudit(instance._id)).filter((a) => a.type === 'task.completed');
    expect(completions).toHaveLength(1);
  });
});

describe('read side strategies', () => {
  it('shared: an inbox and its counts show the steps another server ran, at once', async () => {
    const [a, b] = [await newRuntime('shared'), await newRuntime('shared')];
    const { instance } = await startReview(a, 'S-1');
    const onB = await b.listTasks(officer, { scope: 'candidate', businessKey: 'S-1' });
    expect(onB.map((t) => t.instanceId)).toEqual([instance._id]);
    expect((await b.countTasks(officer)).candidate).toBeGreaterThanOrEqual(1);
    await a.claim(onB[0]!._id, officer);
    expect(await b.listTasks(officer, { scope: 'candidate', businessKey: 'S-1' })).toEqual([]);
    expect((await b.listTasks(officer, { scope: 'mine', businessKey: 'S-1' })).map((t) => t._id)).toEqual([onB[0]!._id]);
    await b.complete(onB[0]!._id, { score: 75 }, officer);
    expect(await a.listTasks(officer, { scope: 'mine', businessKey: 'S-1' })).toEqual([]);
    const panel = await a.listTasks(experts[1]!, { scope: 'mine', businessKey: 'S-1' });
    expect(panel.map((t) => t.elementId)).toEqual(['panel']);
  });

  it('embedded: the inbox, counts, lists and timers come from memory and match a fresh start-up scan', async () => {
    const runtime = await newRuntime();
    const { instance } = await startReview(runtime, 'M-1');
    const [task] = await runtime.listTasks(officer, { scope: 'candidate', businessKey: 'M-1' });
    expect(task!.instanceId).toBe(instance._id);
    await runtime.claim(task!._id, officer);
    const fresh = await newRuntime();
    for (const r of [runtime, fresh]) {
      expect((await r.listTasks(officer, { scope: 'mine', businessKey: 'M-1' })).map((t) => [t._id, t.assignee])).toEqual([[task!._id, officer.id]]);
      expect(await r.listTasks(officer, { scope: 'candidate', businessKey: 'M-1' })).toEqual([]);
      expect((await r.listInstances({ businessKey: 'M-1' })).items.map((i) => i.status)).toEqual(['running']);
    }
    expect((await runtime.countInstances()).filter((c) => c.processKey === 'review').reduce((n, c) => n + c.count, 0)).toBe(
      (await fresh.countInstances()).filter((c) => c.processKey === 'review').reduce((n, c) => n + c.count, 0),
    );
  });

  it('recovering an older commit after a newer one landed never undoes the newer claim', async () => {
    const runtime = await newRuntime();
    const { instance } = await startReview(runtime, 'C-1');
    const [task] = await openTasks(runtime, instance._id);
    await runtime.claim(task!._id, officer); // revision 2: claimed
    await runtime.unclaim(task!._id, officer); // revision 3: back in the pool
    await runtime.flush();
    // As if the delete of commit 2 had been lost while commit 3's landed: start-up applies commit 2 again.
    const claimed = (await runtime.getAudit(instance._id)).find((e) => e.type === 'task.claimed')!;
    const commits = database.db.collection('commits');
    expect(await commits.countDocuments({ instanceId: instance._id })).toBe(0);
    // Commit 2 exists again, as the claim wrote it.
    const outbox = [{ op: 'assignTask', taskId: task!._id, assignee: officer.id, rev: 2 }];
    await commits.insertOne({ _id: `${instance._id}:2`, instanceId: instance._id, rev: 2, at: claimed.at, payload: pack(BSON.serialize({ fields: {}, outbox })) } as never);
    const later = await newRuntime();
    expect(await commits.countDocuments({ instanceId: instance._id })).toBe(0);
    expect((await later.getTask(task!._id)).assignee).toBeNull();
    expect((await database.db.collection('instances').findOne({ _id: instance._id as never }))!.rev).toBe(3);
  });
});

import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../server/engine/clock.js';
import { setEngineClock } from '../server/engine/clock-timer.js';
import { compileSource } from '../server/engine/compile.js';
import { IterationNotAdded, runStep, TaskNotWaiting, type StepResult } from '../server/engine/run-step.js';

/** The engine adapter alone: one step at a time from stored state, no database. */
const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d1" targetNamespace="x">
<process id="p" isExecutable="true">
 <startEvent id="s"/>
 <sequenceFlow id="f1" sourceRef="s" targetRef="split"/>
 <parallelGateway id="split"/>
 <sequenceFlow id="f2" sourceRef="split" targetRef="training"/>
 <sequenceFlow id="f3" sourceRef="split" targetRef="other"/>
 <userTask id="training" camunda:assignee="\${member}">
   <multiInstanceLoopCharacteristics camunda:collection="\${members}" camunda:elementVariable="member" />
 </userTask>
 <userTask id="other"/>
 <boundaryEvent id="late" attachedToRef="other" cancelActivity="true"><timerEventDefinition><timeDuration>P45D</timeDuration></timerEventDefinition></boundaryEvent>
 <sequenceFlow id="f7" sourceRef="late" targetRef="join"/>
 <sequenceFlow id="f4" sourceRef="training" targetRef="join"/>
 <sequenceFlow id="f5" sourceRef="other" targetRef="join"/>
 <parallelGateway id="join"/>
 <sequenceFlow id="f6" sourceRef="join" targetRef="e"/>
 <endEvent id="e"/>
</process></definitions>`;

/** A process compiled and a manual clock set for the engine, and the step input every step of one instance shares. */
async function setUp(source: string, startAt: string, instanceId: string, key: string) {
  const compiled = await compileSource(source);
  const clock = new ManualClock(new Date(startAt));
  setEngineClock(clock);
  const base = {
    sourceContext: compiled.sourceContext,
    model: { key, name: key.toUpperCase(), userTasks: new Map(), serviceTasks: new Map(), elementVariables: compiled.elementVariables },
    clock,
    services: {},
    incidents: [],
    instance: { id: instanceId, processKey: key, processName: key.toUpperCase(), businessKey: null },
  };
  return { clock, base };
}

describe('engine step', () => {
  it('tracks parallel multi-instance iterations, element values and a clock-driven boundary timer', async () => {
    const { clock, base } = await setUp(xml, '2026-01-01T00:00:00Z', 'i', 'p');
    const step = (prev: StepResult, action: Parameters<typeof runStep>[0]['action']) =>
      runStep({ ...base, state: prev.state, variables: prev.variables, action });
    let r = await runStep({ ...base, state: null, variables: { members: ['a', 'b', 'c'] }, action: { type: 'start' } });
    const members = () => r.tasks.filter((t) => t.elementId === 'training').map((t) => t.elementValue);
    expect(members()).toEqual(['a', 'b', 'c']);
    expect(r.timers.map((t) => [t.elementId, t.dueAt])).toEqual([['late', '2026-02-15T00:00:00.000Z']]);

    const taskOf = (value: string) => r.tasks.find((t) => t.elementValue === value)!.executionId;
    r = await step(r, { type: 'complete', executionId: taskOf('a'), values: { done: true }, user: 'a' });
    expect(members()).toEqual(['b', 'c']);
    expect(r.variables.trainingResults).toEqual([{ done: true, by: 'a', at: '2026-01-01T00:00:00.000Z', index: 0 }]);
    await expect(step(r, { type: 'complete', executionId: `${taskOf('b').slice(0, -2)}_0`, values: {}, user: 'a' })).rejects.toBeInstanceOf(
      TaskNotWaiting,
    );

    clock.advance('P44D');
    r = await step(r, { type: 'resume' });
    expect(r.tasks.some((t) => t.elementId === 'other')).toBe(true);
    clock.advance('P1D');
    r = await step(r, { type: 'resume' });
    expect(r.tasks.some((t) => t.elementId === 'other')).toBe(false);
    expect(r.events.some((e) => e.type === 'timer.fired' && e.elementId === 'late')).toBe(true);

    r = await step(r, { type: 'complete', executionId: taskOf('b'), values: {}, user: 'b' });
    r = await step(r, { type: 'complete', executionId: taskOf('c'), values: {}, user: 'c' });
    expect(r.status).toBe('completed');
  });

  it('runs a non-interrupting cycle timer (a reminder) without cancelling the task it is attached to', async () => {
    const reminderXml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d2" targetNamespace="x">
<process id="r" isExecutable="true">
 <startEvent id="s"/>
 <sequenceFlow id="f1" sourceRef="s" targetRef="inspect"/>
 <userTask id="inspect"/>
 <boundaryEvent id="remind" attachedToRef="inspect" cancelActivity="false"><timerEventDefinition><timeCycle>R2/P30D</timeCycle></timerEventDefinition></boundaryEvent>
 <sequenceFlow id="f2" sourceRef="remind" targetRef="chase"/>
 <userTask id="chase"/>
 <sequenceFlow id="f3" sourceRef="chase" targetRef="e2"/>
 <endEvent id="e2"/>
 <sequenceFlow id="f4" sourceRef="inspect" targetRef="e"/>
 <endEvent id="e"/>
</process></definitions>`;
    const { clock, base } = await setUp(reminderXml, '2026-06-01T00:00:00Z', 'j', 'r');
    let r = await runStep({ ...base, state: null, variables: {}, action: { type: 'start' } });
    expect(r.timers.map((t) => t.dueAt)).toEqual(['2026-07-01T00:00:00.000Z']);
    clock.advance('P30D');
    r = await runStep({ ...base, state: r.state, variables: r.variables, action: { type: 'resume' } });
    const open = () => r.tasks.map((t) => t.elementId).sort();
    expect(open()).toEqual(['chase', 'inspect']);
    expect(r.timers.map((t) => t.dueAt)).toEqual(['2026-07-31T00:00:00.000Z']);
    const inspect = r.tasks.find((t) => t.elementId === 'inspect')!.executionId;
    r = await runStep({ ...base, state: r.state, variables: r.variables, action: { type: 'complete', executionId: inspect, values: {}, user: 'u' } });
    expect(open()).toEqual(['chase']);
    expect(r.timers).toEqual([]);
  });

  it('measures a timer from the runtime clock alone: its calendar, to the millisecond, however the wall clock moves', async () => {
    // P1M from 1 February is 28 days on the runtime clock's calendar, whatever month the wall clock is in; and the
    // wall clock here moves by a millisecond at every reading, which once shifted the expiry by that millisecond.
    const { base } = await setUp(xml.replace('P45D', 'P1M'), '2026-02-01T00:00:00Z', 'k', 'p');
    const RealDate = Date;
    let tick = 0;
    class TickingDate extends RealDate {
      constructor(...args: unknown[]) {
        if (args.length === 0) super(RealDate.now() + ++tick);
        else super(...(args as [string]));
      }
      static override now() {
        return RealDate.now() + ++tick;
      }
    }
    globalThis.Date = TickingDate as DateConstructor;
    try {
      const r = await runStep({ ...base, state: null, variables: { members: ['a'] }, action: { type: 'start' } });
      expect(r.timers.map((t) => [t.elementId, t.dueAt])).toEqual([['late', '2026-03-01T00:00:00.000Z']]);
    } finally {
      globalThis.Date = RealDate;
    }
    expect(tick).toBeGreaterThan(0); // the wall clock was read, and moved, during the step
  });
});

/** A multi-instance task `review` of the given loop, between a start and a closing task `after`. */
const loopXml = (loop: string, attrs = '') => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d2" targetNamespace="x">
<process id="loop" isExecutable="true">
 <startEvent id="s"/>
 <sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
 <userTask id="review" ${attrs}>${loop}</userTask>
 <sequenceFlow id="f2" sourceRef="review" targetRef="after"/>
 <userTask id="after"/>
 <sequenceFlow id="f3" sourceRef="after" targetRef="e"/>
 <endEvent id="e"/>
</process></definitions>`;

describe('加签 of one more iteration (addIterations)', () => {
  it('starts it beside the open iterations of a parallel loop, and the loop waits for it, live or recovered', async () => {
    const source = loopXml('<multiInstanceLoopCharacteristics camunda:collection="${members}" camunda:elementVariable="member" />', 'camunda:assignee="${member}"');
    const { base } = await setUp(source, '2026-01-01T00:00:00Z', 'add-1', 'loop');
    const step = (prev: StepResult, action: Parameters<typeof runStep>[0]['action']) => runStep({ ...base, state: prev.state, variables: prev.variables, action });
    let r = await runStep({ ...base, state: null, variables: { members: ['a', 'b'] }, action: { type: 'start' } });
    const open = () => r.tasks.map((t) => [t.elementId, t.elementValue, t.loopIndex]);
    r = await step(r, { type: 'complete', executionId: r.tasks[0]!.executionId, values: {}, user: 'a' });
    r = await step(r, { type: 'addIterations', executionId: r.tasks[0]!.executionId, elementValues: ['c', 'd'] });
    expect(open()).toEqual([
      ['review', 'b', 1],
      ['review', 'c', 2],
      ['review', 'd', 3],
    ]);
    expect(r.variables.members).toEqual(['a', 'b', 'c', 'd']);
    const byValue = (v: string) => r.tasks.find((t) => t.elementValue === v)!.executionId;
    r = await step(r, { type: 'complete', executionId: byValue('c'), values: {}, user: 'c' });
    r = await step(r, { type: 'complete', executionId: byValue('b'), values: {}, user: 'b' });
    expect(open()).toEqual([['review', 'd', 3]]);
    // recovered from the stored text rather than continued live: the loop still counts the added iterations
    r = await runStep({ ...base, state: null, stateText: JSON.stringify(r.state), variables: r.variables, liveEngines: null, action: { type: 'complete', executionId: byValue('d'), values: {}, user: 'd' } });
    expect(open()).toEqual([['after', null, null]]);
    expect((r.variables.reviewResults as { by: string }[]).map((x) => x.by)).toEqual(['a', 'c', 'b', 'd']);
  });

  it('runs it after the others in a sequential loop of a counted size', async () => {
    const { base } = await setUp(loopXml('<multiInstanceLoopCharacteristics isSequential="true"><loopCardinality>${n}</loopCardinality></multiInstanceLoopCharacteristics>'), '2026-01-01T00:00:00Z', 'add-2', 'loop');
    const step = (prev: StepResult, action: Parameters<typeof runStep>[0]['action']) => runStep({ ...base, state: prev.state, variables: prev.variables, action });
    let r = await runStep({ ...base, state: null, variables: { n: 1 }, action: { type: 'start' } });
    r = await step(r, { type: 'addIterations', executionId: r.tasks[0]!.executionId, elementValues: [null] });
    expect(r.variables.n).toBe(2);
    r = await step(r, { type: 'complete', executionId: r.tasks[0]!.executionId, values: {}, user: 'x' });
    expect(r.tasks.map((t) => [t.elementId, t.loopIndex])).toEqual([['review', 1]]);
    r = await step(r, { type: 'complete', executionId: r.tasks[0]!.executionId, values: {}, user: 'y' });
    expect(r.tasks.map((t) => t.elementId)).toEqual(['after']);
  });

  it('is refused where the size is not a variable, or the loop may end early', async () => {
    for (const loop of [
      '<multiInstanceLoopCharacteristics><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics>',
      '<multiInstanceLoopCharacteristics><loopCardinality>${n + 1}</loopCardinality></multiInstanceLoopCharacteristics>',
      '<multiInstanceLoopCharacteristics><loopCardinality>${n}</loopCardinality><completionCondition xsi:type="tFormalExpression">${nrOfCompletedInstances >= 1}</completionCondition></multiInstanceLoopCharacteristics>',
    ]) {
      const { base } = await setUp(loopXml(loop), '2026-01-01T00:00:00Z', 'add-3', 'loop');
      const r = await runStep({ ...base, state: null, variables: { n: 2 }, action: { type: 'start' } });
      await expect(runStep({ ...base, state: r.state, variables: r.variables, action: { type: 'addIterations', executionId: r.tasks[0]!.executionId, elementValues: [null] } })).rejects.toBeInstanceOf(IterationNotAdded);
    }
  });
});

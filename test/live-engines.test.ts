import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Engine } from 'bpmn-engine';
import { loopXml, workloadXml } from '../bench/workload.js';
import { validateDeployment } from '../server/bpmn/validate.js';
import { ManualClock } from '../server/engine/clock.js';
import { getEngineClock, setEngineClock } from '../server/engine/clock-timer.js';
import { compileSource, type SourceContext } from '../server/engine/compile.js';
import { LiveEngines } from '../server/engine/live-engines.js';
import type { ProcessModelInfo } from '../server/engine/model.js';
import {
  EngineFailure,
  LIVE_STEPS,
  runStep,
  TaskNotWaiting,
  type LiveEngine,
  type StepAction,
  type StepInput,
  type StepResult,
} from '../server/engine/run-step.js';
import { resolve as resolveFeel } from '../server/expressions/feel.js';
import type { FormField, FormSchema } from '../server/forms/schema.js';
import { validateFormValues } from '../server/forms/validate.js';
import { serviceHandlers } from '../server/services/registry.js';
import { rng } from '../bench/common.js';

/**
 * runStep continues an instance on a live engine when the step starts from the state the previous step returned.
 * Every step here runs twice, on a live-engine cache and on a freshly recovered engine, and the results must be
 * identical, over every process in processes/ and the benchmark workload, driven with generated form values.
 */

interface Definition {
  file: string;
  sourceContext: SourceContext;
  model: ProcessModelInfo & { elementVariables: Map<string, string>; startForm: FormSchema | null };
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const clock = new ManualClock(new Date('2026-03-02T01:00:00Z'));
let previousClock: ReturnType<typeof getEngineClock>;
const definitions: Definition[] = [];

/** Counts recoveries, to tell a live step (none) from a recovered one. */
let recovers = 0;
const originalRecover = (Engine as any).prototype.recover;

beforeAll(async () => {
  previousClock = getEngineClock();
  setEngineClock(clock);
  (Engine as any).prototype.recover = function (this: unknown, ...args: unknown[]) {
    recovers++;
    return originalRecover.apply(this, args);
  };
  const dir = path.join(root, 'processes');
  const sources: [string, string][] = [['bench/workload.ts', workloadXml]];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.bpmn')).sort()) {
    sources.push([file, await readFile(path.join(dir, file), 'utf8')]);
  }
  for (const [file, xml] of sources) definitions.push(await compile(file, xml));
  definitions.push(await compileBare('timers', timersXml));
  for (const d of definitions) for (const name of d.model.elementVariables.values()) elementVariableNames.add(name);
});

afterAll(() => {
  (Engine as any).prototype.recover = originalRecover;
  setEngineClock(previousClock);
});

/** As server/runtime/definitions.ts compiles a deployed version. */
async function compile(file: string, xml: string): Promise<Definition> {
  const checked = await validateDeployment(xml);
  if (!checked.ok) throw new Error(`${file}: ${checked.problems[0]?.message}`);
  const compiled = await compileSource(xml);
  const m = checked.model as any;
  const toMap = (v: unknown) => (v instanceof Map ? v : new Map(Object.entries((v ?? {}) as Record<string, string>)));
  return {
    file,
    sourceContext: compiled.sourceContext,
    model: {
      key: m.key,
      name: m.name ?? m.key,
      userTasks: m.userTasks,
      serviceTasks: m.serviceTasks,
      documentation: toMap(m.documentation),
      elementNames: toMap(m.elementNames),
      elementVariables: compiled.elementVariables,
      startForm: m.startForm ?? null,
    },
  };
}

/**
 * Tasks waiting next to timers (none of the policy processes has both at once): a parallel multi-instance task,
 * a task with an interrupting boundary timer, and one with a non-interrupting reminder cycle.
 */
const timersXml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="dt" targetNamespace="x">
<process id="timers" isExecutable="true">
 <startEvent id="s"/>
 <sequenceFlow id="f1" sourceRef="s" targetRef="split"/>
 <parallelGateway id="split"/>
 <sequenceFlow id="f2" sourceRef="split" targetRef="training"/>
 <sequenceFlow id="f3" sourceRef="split" targetRef="other"/>
 <sequenceFlow id="f8" sourceRef="split" targetRef="remind"/>
 <userTask id="training" camunda:assignee="\${member}">
   <multiInstanceLoopCharacteristics camunda:collection="\${members}" camunda:elementVariable="member" />
 </userTask>
 <userTask id="other"/>
 <boundaryEvent id="late" attachedToRef="other" cancelActivity="true"><timerEventDefinition><timeDuration>PT5H</timeDuration></timerEventDefinition></boundaryEvent>
 <userTask id="remind"/>
 <boundaryEvent id="nag" attachedToRef="remind" cancelActivity="false"><timerEventDefinition><timeCycle>R3/PT2H</timeCycle></timerEventDefinition></boundaryEvent>
 <sequenceFlow id="f10" sourceRef="nag" targetRef="nagged"/>
 <endEvent id="nagged"/>
 <sequenceFlow id="f7" sourceRef="late" targetRef="join"/>
 <sequenceFlow id="f4" sourceRef="training" targetRef="join"/>
 <sequenceFlow id="f5" sourceRef="other" targetRef="join"/>
 <sequenceFlow id="f9" sourceRef="remind" targetRef="join"/>
 <parallelGateway id="join"/>
 <sequenceFlow id="f6" sourceRef="join" targetRef="e"/>
 <endEvent id="e"/>
</process></definitions>`;

/** A diagram without DI, which validateDeployment refuses: compiled alone, with an empty model. */
async function compileBare(file: string, xml: string): Promise<Definition> {
  const compiled = await compileSource(xml);
  return {
    file,
    sourceContext: compiled.sourceContext,
    model: { key: file, name: file, userTasks: new Map(), serviceTasks: new Map(), elementVariables: compiled.elementVariables, startForm: null },
  };
}


/** Values that keep the policy processes moving (their services check them), others generated from the form. */
const known: Record<string, unknown> = {
  communityName: '幸福', households: 1200, committeeSize: 5, sizeReason: '工作任务适中', repsTotal: 40, repsConsenting: 30,
  registeredVoters: 1000, ballotsCast: 800, validBallots: 780, invalidBallots: 20, candidateList: '张伟\n李娜\n王芳\n刘洋\n陈静\n杨帆',
  subject: '加装电梯', content: '3栋加装电梯', budget: 120000, reasons: '老年住户多', partyMembersTotal: 30, partyMembersPresent: 22,
  repsPresent: 30, votesFor: 25, votesAgainst: 3, abstentions: 2, actualSpending: 100000,
  centreName: '康园工疗站', district: 'tianhe', siteStreet: '石牌街', siteAddress: '石牌东路 1 号', siteReason: '需求急', venueIndependent: true,
  venueArea: 300, designatedProviders: '康馨社工服务中心\n启智社工服务社', providerName: '康馨社工服务中心', staffCount: 8, relatedStaff: 6,
  socialWorkStaff: 4, qualifications: '社会工作师 4 人', plannedClients: 150, clientsServed: 150, monthsServed: 12, midYearClients: 150,
  communityList: '翠湖社区，五华区\n金碧社区，西山区', applicationDueDate: '2026-09-30', selfCheckDueDate: '2026-10-31',
  evaluationDueDate: '2026-11-30', namingDueDate: '2026-12-31', surveyRespondents: 100, satisfiedRespondents: 90,
  title: '项目', amount: 1000, candidateVotes: '张伟：700\n李娜：650\n王芳：600\n刘洋：560\n陈静：520\n杨帆：30',
};

function generate(form: FormSchema | null, context: Record<string, unknown>, rand: () => number): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of form?.fields ?? []) {
    if (field.constraints.readonly) continue;
    const value = fieldValue(field, context, rand);
    if (value !== undefined) values[field.id] = value;
  }
  const checked = validateFormValues(form ?? { fields: [], approval: false }, values, context);
  return checked.ok ? checked.values : values; // refused values still run: services then raise incidents
}

function fieldValue(field: FormField, context: Record<string, unknown>, rand: () => number): unknown {
  if (field.id in known && rand() < 0.97) return known[field.id];
  if (field.id === 'selfCheckScores' && typeof context.scoreSheetTemplate === 'string') {
    return context.scoreSheetTemplate.replace(/：/g, () => `：${Math.floor(rand() * 10)}`);
  }
  const feel = typeof field.defaultValue === 'string' && field.defaultValue.startsWith('${');
  const fallback = feel ? resolveFeel(field.defaultValue, context) : field.defaultValue;
  if (fallback !== undefined && fallback !== null && rand() < (feel ? 0.6 : 0.95)) return fallback;
  switch (field.type) {
    case 'enum': {
      const ids = (field.values ?? []).map((v) => v.id);
      if (ids.includes('approve') && rand() < 0.75) return 'approve';
      return ids[Math.floor(rand() * ids.length)];
    }
    case 'boolean':
      return rand() < 0.85;
    case 'long': {
      const min = field.constraints.min ?? 0;
      const max = field.constraints.max ?? min + 200;
      return min + Math.floor(rand() * (max - min + 1));
    }
    case 'date':
      return new Date(clock.now().getTime() + Math.floor(rand() * 30) * 86_400_000).toISOString().slice(0, 10);
    default:
      return `文本${Math.floor(rand() * 100)}`;
  }
}

type Outcome = { result: StepResult } | { error: { name: string; message: string } };

/**
 * Two engines never produce the same ids: bpmn-elements and smqp draw execution and message ids from Math.random
 * (`<element>_<10 hex>`, `smq.mid-<10 hex>`) and stamp messages and timer starts with the wall clock. Results are compared with each
 * id replaced by the order it first appears in (keys sorted), and the wall-clock stamps zeroed; everything else,
 * including the order of arrays, must be identical.
 */
function canonical(value: unknown): unknown {
  const ids = new Map<string, string>();
  const text = (s: string) => s.replace(/(_|mid-)([0-9a-f]{8,10})(?![0-9a-f])/g, (_m, sep: string, id: string) => {
    if (!ids.has(id)) ids.set(id, `#${ids.size}`);
    return sep + ids.get(id);
  });
  const walk = (v: unknown, key?: string): unknown => {
    if (key === 'timestamp' || key === 'startedAt') return 0; // wall clock: message stamps, timer starts
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.filter((x) => !resumeMessage(x)).map((x) => walk(iterationMessage(x)));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        let x = (v as Record<string, unknown>)[k];
        if (k === 'messages' && activityQueue(v)) x = [...(x as any[])].sort(byElement);
        if (k === 'redelivered' || k === 'isRecovered' || k === 'isResumed' || (k === 'stopped' && !x)) continue;
        if (k === 'stateText') continue; // `state` as JSON: compared as `state`, checked against it separately
        if (k === 'timeout' && (v as { type?: unknown }).type === 'bpmn:TimerEventDefinition') continue;
        out[text(k)] = walk(x, k);
      }
      return out;
    }
    return v;
  };
  // As stored: JSON text, where an undefined property is no property.
  return walk(value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
}

/**
 * What `recover` + `resume` leave in a state and a live engine, never resumed, does not: the `run.resume` and
 * `execute.resume.execution` messages queued, `redelivered` on the messages taken back, `isRecovered` and
 * `isResumed` in their content, `stopped: false` on activities, and a timer's `timeout` recomputed as what is left
 * until its `expireAt` (which is compared). The live engine's state is the one `execute` leaves, which is what a second step always recovered.
 */
function resumeMessage(x: any): boolean {
  const fields = x?.fields;
  return (
    (fields?.exchange === 'run' && fields.routingKey === 'run.resume') ||
    (fields?.exchange === 'execution' && fields.routingKey === 'execute.resume.execution')
  );
}

/**
 * A parallel multi-instance activity keeps one `execute.iteration.completed` message, whose content carries the
 * element variable of an iteration that completed: on a live engine the latest, on a recovered one the first after
 * recovery. Nothing reads it (the adapter reads element values from the iterations' own wait events, and the
 * loop's outputs, which are the same); the rest of the message is compared.
 */
const elementVariableNames = new Set<string>();

function iterationMessage(x: any): unknown {
  if (x?.fields?.routingKey !== 'execute.iteration.completed' || !x.content?.isRootScope) return x;
  const content = { ...x.content };
  for (const name of elementVariableNames) delete content[name];
  return { ...x, content };
}

/**
 * A process keeps one message per active child in its `execute-<executionId>-q`, latest change last; `resume`
 * re-sends each, so after it they stand in the order the children resumed. Compared by element instead.
 */
function activityQueue(queue: any): boolean {
  return typeof queue?.name === 'string' && /^execute-.+-q$/.test(queue.name);
}

function byElement(a: any, b: any): number {
  const key = (m: any) => `${m?.content?.id ?? ''} ${m?.fields?.routingKey ?? ''} ${m?.content?.index ?? ''}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

function expectSame(a: unknown, b: unknown, eventsInAnyOrder = false) {
  for (const outcome of [a, b]) {
    const result = (outcome as { result?: StepResult } | null)?.result;
    if (result) expect(result.stateText).toBe(JSON.stringify(result.state)); // what the runtime stores
  }
  expect(canonical(eventsInAnyOrder ? sortEvents(a) : a)).toStrictEqual(canonical(eventsInAnyOrder ? sortEvents(b) : b));
}

/**
 * For two recoveries from states a live and a resumed engine left: they list the process's active children in a
 * different order (see `activityQueue`), and `resume` resumes them in that order, so what fires on resume (two
 * timers due at once) reports its events in a different order. The same happens today between a state `execute`
 * left (the first step) and a later one. Everything else, and the events themselves, must still be the same.
 */
function sortEvents(outcome: unknown): unknown {
  const result = (outcome as { result?: StepResult }).result;
  if (!result) return outcome;
  const key = (e: unknown) => JSON.stringify(canonical(e));
  return { result: { ...result, events: [...result.events].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0)) } };
}

/**
 * One instance driven as two chains from the same start: `live` continues on the given cache, `fresh` recovers
 * every step. Each chain feeds its own previous result back, so any difference would carry on and show.
 */
class Twin {
  live: StepResult | null = null;
  fresh: StepResult | null = null;
  liveSteps = 0;
  completes = 0;
  /** Task completions with a timer already due: a recovered engine fires it first, so no live engine. */
  dueCompletes = 0;
  done = false;

  constructor(
    readonly def: Definition,
    readonly id: string,
    readonly cache: LiveEngines<LiveEngine>,
    /** Pass state as the runtime does (parsed from stored text, with the text) instead of the same object. */
    readonly asText: boolean,
  ) {}

  base(): Omit<StepInput, 'state' | 'variables' | 'action' | 'incidents'> {
    const { def } = this;
    return {
      sourceContext: def.sourceContext,
      model: def.model,
      clock,
      services: serviceHandlers,
      instance: { id: this.id, processKey: def.model.key, processName: def.model.name, businessKey: this.id },
    };
  }

  /** `action` is given each chain's previous result: their execution ids differ (see `canonical`). */
  async step(action: StepAction | ((r: StepResult) => StepAction), variables?: Record<string, unknown>): Promise<Outcome> {
    const live = this.live;
    const fresh = this.fresh;
    const actionOf = (r: StepResult | null) => (typeof action === 'function' ? action(r!) : action);
    const text = live ? JSON.stringify(live.state) : undefined;
    const before = recovers;
    const a = await outcome(
      runStep({
        ...this.base(),
        state: live ? (this.asText ? JSON.parse(text!) : live.state) : null,
        stateText: this.asText ? text : undefined,
        variables: live?.variables ?? variables!,
        scopes: live?.scopes,
        incidents: live?.incidents ?? [],
        action: actionOf(live),
        liveEngines: this.cache,
      }),
    );
    const reused = live !== null && recovers === before;
    // Recovered from a state a live engine left (any state after the first is one, on the live chain).
    const fromLiveState = live !== null && !reused;
    const b = await outcome(
      runStep({
        ...this.base(),
        state: fresh ? structuredClone(fresh.state) : null,
        variables: fresh?.variables ?? variables!,
        scopes: fresh?.scopes,
        incidents: fresh?.incidents ?? [],
        action: actionOf(fresh),
        liveEngines: null,
      }),
    );
    expectSame(a, b, fromLiveState);
    if (live) {
      // What the live chain stored must recover to the same as well (another server, or after eviction).
      const c = await outcome(
        runStep({
          ...this.base(),
          state: structuredClone(live.state),
          variables: live.variables,
          scopes: live.scopes,
          incidents: live.incidents,
          action: actionOf(live),
          liveEngines: null,
        }),
      );
      expectSame(c, b, true);
    }
    if ('result' in a) {
      this.live = a.result;
      this.fresh = (b as { result: StepResult }).result;
      // Only a running instance keeps its engine.
      if (a.result.status !== 'running') expect(this.cache.has(this.id)).toBe(false);
    } else {
      expect(this.cache.has(this.id)).toBe(false);
    }
    if (reused) this.liveSteps++;
    if (actionOf(live).type === 'complete') this.completes++;
    return a;
  }
}

async function outcome(run: Promise<StepResult>): Promise<Outcome> {
  try {
    return { result: await run };
  } catch (err) {
    const e = err as Error;
    return { error: { name: e.name, message: e.message } };
  }
}

/** One move of a twin: complete a waiting task, or fire the next timer, or retry an incident. */
async function move(twin: Twin, rand: () => number): Promise<void> {
  const r = twin.live!;
  if (r.status !== 'running') {
    if (r.status === 'incident' && rand() < 0.5) {
      await twin.step({ type: 'retry' });
      if (twin.live!.status !== 'incident') return;
    }
    twin.done = true;
    return;
  }
  const nextTimer = [...r.timers].sort((x, y) => x.dueAt.localeCompare(y.dueAt))[0];
  if (r.tasks.length && !(nextTimer && rand() < 0.15)) {
    const index = Math.floor(rand() * r.tasks.length);
    const task = r.tasks[index]!;
    // Now and then a timer falls due before the task is completed: a recovered engine fires it first.
    if (nextTimer && rand() < 0.2) {
      clock.set(new Date(Date.parse(nextTimer.dueAt) + 1000));
      twin.dueCompletes++;
    } else clock.set(new Date(clock.now().getTime() + Math.floor(rand() * 3) * 3_600_000));
    const form = twin.def.model.userTasks.get(task.elementId)?.form as FormSchema | null;
    const values = generate(form, { ...r.variables, ...(task.scopeVariables ?? {}) }, rand);
    const user = typeof task.elementValue === 'string' ? task.elementValue : `user${task.loopIndex ?? ''}`;
    await twin.step((chain) => ({ type: 'complete', executionId: chain.tasks[index]!.executionId, values, user }));
    return;
  }
  if (nextTimer) {
    clock.set(new Date(Math.max(clock.now().getTime(), Date.parse(nextTimer.dueAt))));
    await twin.step({ type: 'resume' });
    return;
  }
  twin.done = true;
}

describe('live engines', () => {
  it('gives the same results as recovering, step by step, for every process and the bench workload', async () => {
    const cache = new LiveEngines<LiveEngine>(200);
    const summary: Record<string, { instances: number; steps: number; completes: number; live: number; dueCompletes: number; ended: Record<string, number> }> = {};
    for (const [d, def] of definitions.entries()) {
      const rand = rng(Number(process.env.LIVE_ENGINES_SEED ?? 1000) + d);
      // A few instances at once, stepped in turn: the cache is keyed by instance.
      const twins = Array.from({ length: 8 }, (_, i) => new Twin(def, `${def.model.key}-${i}`, cache, i % 2 === 1));
      let steps = 0;
      for (const twin of twins) {
        const start = generate(def.model.startForm, {}, rand);
        await twin.step({ type: 'start' }, { ...start, experts: ['expert1', 'expert2', 'expert3'], members: ['a', 'b', 'c'] });
        steps++;
      }
      for (let round = 0; round < 200 && twins.some((t) => !t.done); round++) {
        for (const twin of twins) {
          if (twin.done) continue;
          await move(twin, rand);
          steps++;
        }
      }
      const ended: Record<string, number> = {};
      for (const t of twins) {
        const key = [t.live!.status, ...t.live!.incidents.map((i) => `${i.elementId}: ${i.message.slice(0, 60)}`)].join(' ');
        ended[key] = (ended[key] ?? 0) + 1;
      }
      summary[def.file] = {
        instances: twins.length,
        steps,
        completes: twins.reduce((n, t) => n + t.completes, 0),
        live: twins.reduce((n, t) => n + t.liveSteps, 0),
        dueCompletes: twins.reduce((n, t) => n + t.dueCompletes, 0),
        ended,
      };
    }
    console.log(JSON.stringify(summary, null, 1));
    for (const [file, s] of Object.entries(summary)) {
      expect(s.completes).toBeGreaterThan(s.instances);
      // Task completions continue on the live engine, except when a timer fell due, or after a failure.
      if (file !== 'timers') expect(s.live).toBeGreaterThan(s.completes / 2);
    }
    const timers = summary.timers!;
    expect(timers.dueCompletes).toBeGreaterThan(0);
    expect(timers.live).toBeGreaterThan(0);
    expect(timers.live).toBeLessThanOrEqual(timers.completes - timers.dueCompletes);
  }, 180_000);

  describe('reuse', () => {
    const linear = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d1" targetNamespace="x">
<process id="p" isExecutable="true">
 <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
 <userTask id="a"/><sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
 <userTask id="b"/><sequenceFlow id="f3" sourceRef="b" targetRef="g"/>
 <exclusiveGateway id="g"/>
 <sequenceFlow id="f4" sourceRef="g" targetRef="c"><conditionExpression>\${go = true}</conditionExpression></sequenceFlow>
 <userTask id="c"/><sequenceFlow id="f5" sourceRef="c" targetRef="e"/>
 <endEvent id="e"/>
</process></definitions>`;
    let def: Definition;
    beforeAll(async () => {
      const compiled = await compileSource(linear);
      def = {
        file: 'linear',
        sourceContext: compiled.sourceContext,
        model: { key: 'p', name: 'P', userTasks: new Map(), serviceTasks: new Map(), elementVariables: compiled.elementVariables, startForm: null },
      };
    });
    const input = (id: string, cache: LiveEngines<LiveEngine> | null, prev: StepResult | null, action: StepAction, extra: Partial<StepInput> = {}): StepInput => ({
      sourceContext: def.sourceContext,
      model: def.model,
      clock,
      services: {},
      instance: { id, processKey: 'p', processName: 'P', businessKey: null },
      state: prev?.state ?? null,
      variables: prev?.variables ?? {},
      scopes: prev?.scopes,
      incidents: [],
      action,
      liveEngines: cache,
      ...extra,
    });
    const complete = (r: StepResult, values: Record<string, unknown> = {}): StepAction => ({
      type: 'complete',
      executionId: r.tasks[0]!.executionId,
      values,
      user: 'u',
    });
    async function counted<T>(run: () => Promise<T>): Promise<{ value: T; recovered: boolean }> {
      const before = recovers;
      const value = await run();
      return { value, recovered: recovers !== before };
    }

    it('continues only from the exact state text the live engine produced', async () => {
      const cache = new LiveEngines<LiveEngine>();
      const r0 = await runStep(input('i', cache, null, { type: 'start' }));
      const r1 = await runStep(input('i', cache, r0, complete(r0)));
      const t1 = JSON.stringify(r1.state);
      // From r1 as stored text: live.
      const a = await counted(() => runStep(input('i', cache, r1, complete(r1, { go: true }), { state: JSON.parse(t1), stateText: t1 })));
      expect(a.recovered).toBe(false);
      // r1 again, as if the step to `a` was never committed (another server took the revision): the live engine
      // is past r1 by now, so it must recover, and come out as a recovery from r1 does.
      const b = await counted(() => runStep(input('i', cache, r1, complete(r1, { go: true }), { state: JSON.parse(t1), stateText: t1 })));
      expect(b.recovered).toBe(true);
      const fresh = await runStep(input('i', null, r1, complete(r1, { go: true })));
      expectSame(b.value, fresh);
      expectSame(a.value, fresh);
      // The same for the object: the stale r1 state object is not the one the live engine last returned.
      const c = await counted(() => runStep(input('i', cache, r1, complete(r1, { go: true }))));
      expect(c.recovered).toBe(true);
      expectSame(c.value, fresh);
      // A text that differs by a byte does not match either.
      const r2 = c.value;
      const t2 = JSON.stringify(r2.state);
      const d = await counted(() => runStep(input('i', cache, r2, complete(r2), { state: JSON.parse(t2), stateText: `${t2} ` })));
      expect(d.recovered).toBe(true);
      expect(d.value.status).toBe('completed');
      expect(cache.has('i')).toBe(false);
    });

    it('recovers for actions other than complete, with incidents, or with another definition', async () => {
      const cache = new LiveEngines<LiveEngine>();
      const r0 = await runStep(input('j', cache, null, { type: 'start' }));
      const resumed = await counted(() => runStep(input('j', cache, r0, { type: 'resume' })));
      expect(resumed.recovered).toBe(true);
      const r1 = resumed.value;
      const incident = { elementId: 'x', executionId: 'x_1', message: 'm', at: clock.now().toISOString() };
      const withIncident = await counted(() => runStep(input('j', cache, r1, complete(r1), { incidents: [incident] })));
      expect(withIncident.recovered).toBe(true);
      expect(withIncident.value.status).toBe('incident');
      expect(cache.has('j')).toBe(false);
      const retried = await counted(() => runStep(input('j', cache, r1, { type: 'retry' })));
      expect(retried.recovered).toBe(true);
      const r2 = retried.value;
      const other = await compileSource(linear);
      const elsewhere = await counted(() => runStep(input('j', cache, r2, complete(r2), { sourceContext: other.sourceContext })));
      expect(elsewhere.recovered).toBe(true);
    });

    it('drops the engine when a step fails, ends or does not find its task', async () => {
      const cache = new LiveEngines<LiveEngine>();
      const r0 = await runStep(input('k', cache, null, { type: 'start' }));
      expect(cache.has('k')).toBe(true);
      await expect(runStep(input('k', cache, r0, { type: 'complete', executionId: 'nope', values: {}, user: 'u' }))).rejects.toBeInstanceOf(
        TaskNotWaiting,
      );
      expect(cache.has('k')).toBe(false);
      const r1 = await runStep(input('k', cache, r0, complete(r0)));
      const r2 = await runStep(input('k', cache, r1, complete(r1, { go: true })));
      expect(cache.has('k')).toBe(true);
      // No flow out of the gateway matches: the engine fails mid-step, and must not be reused half-applied.
      await expect(runStep(input('k', cache, r1, complete(r1, { go: false })))).rejects.toBeInstanceOf(EngineFailure);
      expect(cache.has('k')).toBe(false);
      const r3 = await runStep(input('k', cache, r1, complete(r1, { go: true })));
      expect(r3.tasks.map((t) => t.elementId)).toEqual(['c']);
      expectSame(r3, r2);
      const end = await runStep(input('k', cache, r3, complete(r3)));
      expect(end.status).toBe('completed');
      expect(cache.has('k')).toBe(false);
    });

    it('recovers a fresh engine after LIVE_STEPS steps on one, and still gives the same results', async () => {
      const loop = await compile('loop', loopXml);
      const twin = new Twin(loop, 'loop', new LiveEngines<LiveEngine>(), false);
      await twin.step({ type: 'start' }, {});
      const before = recovers;
      const steps = LIVE_STEPS + 10;
      for (let round = 0; round < steps; round++) {
        await twin.step((r) => ({ type: 'complete', executionId: r.tasks[0]!.executionId, values: { round }, user: 'u' }));
      }
      // The fresh chain recovers every step, the one from the live chain's state as well, the live chain once.
      expect(twin.liveSteps).toBe(steps - 1);
      expect(recovers - before).toBe(2 * steps + 1);
    });

    it('keeps at most its capacity, dropping the least recently stepped', async () => {
      const cache = new LiveEngines<LiveEngine>(2);
      const r: Record<string, StepResult> = {};
      for (const id of ['x', 'y']) r[id] = await runStep(input(id, cache, null, { type: 'start' }));
      r.x = await runStep(input('x', cache, r.x!, complete(r.x!))); // x is now the most recent
      r.z = await runStep(input('z', cache, null, { type: 'start' }));
      expect([cache.has('x'), cache.has('y'), cache.has('z'), cache.size]).toEqual([true, false, true, 2]);
      expect((await counted(() => runStep(input('y', cache, r.y!, complete(r.y!))))).recovered).toBe(true);
      expect(cache.has('x')).toBe(false);
      cache.capacity = 0;
      expect(cache.size).toBe(0);
      await runStep(input('w', cache, null, { type: 'start' }));
      expect(cache.size).toBe(0);
    });
  });
});

import { Engine } from 'bpmn-engine';
import * as Elements from 'bpmn-elements';
import { resolve as resolveFeel } from '../expressions/feel.js';
import type { NoticeDraft, ServiceHandler } from '../services/types.js';
import type { Clock } from './clock.js';
import { ClockTimerEventDefinition, createInertTimers } from './clock-timer.js';
import type { SourceContext } from './compile.js';
import { createExpressionHandler, type SignalPayload } from './expressions.js';
import { LiveEngines } from './live-engines.js';
import type { ProcessModelInfo } from './model.js';
import { iterationResult, scopeChain, scopeLabel, scopeOverlay, scopedVariables, type Scopes } from './scopes.js';

/**
 * One step of one instance: recover the engine from stored state, apply one action, run until every path waits
 * (user task, timer, parked service) or ends, and hand back the new state and what changed. No I/O happens here:
 * the runtime commits the result as one document update. The engine of a step that leaves its instance running is
 * kept live for a while, and the instance's next task completion continues on it when it starts from exactly the
 * state that step returned: the same result as recovering, without the cost.
 */

export interface WaitingTask {
  executionId: string;
  elementId: string;
  /** Index within a multi-instance activity, null for a plain task. */
  loopIndex: number | null;
  /** Value of the multi-instance element variable for this iteration (e.g. the expert's user id). */
  elementValue: unknown;
  /** The sub-process iteration the task waits in (server/engine/scopes.ts), null at process level. */
  scopeId?: string | null;
  /** What that iteration adds to the instance variables (its element variable and local values). */
  scopeVariables?: Record<string, unknown>;
  /** Who or what the iteration is about (the community's name), for task lists. */
  scopeLabel?: string | null;
}

export interface WaitingTimer {
  executionId: string;
  elementId: string;
  dueAt: string;
}

export interface Incident {
  elementId: string;
  executionId: string;
  message: string;
  at: string;
}

export interface StepEvent {
  type: 'element.completed' | 'timer.fired' | 'service.completed' | 'incident';
  elementId: string;
  elementType?: string;
  at: string;
  detail?: Record<string, unknown>;
}

export type StepAction =
  | { type: 'start' }
  | { type: 'resume' }
  | { type: 'retry' }
  | { type: 'complete'; executionId: string; values: Record<string, unknown>; user: string }
  /** 退回: the waiting task `executionId` is discarded and the earlier user task `targetElementId` runs again. */
  | { type: 'return'; executionId: string; targetElementId: string }
  /** 加签 into a multi-instance task: one more iteration of the step `executionId` is an iteration of. */
  | { type: 'addIterations'; executionId: string; elementValues: unknown[] };

export interface StepInput {
  sourceContext: SourceContext;
  model: ProcessModelInfo & { elementVariables?: Map<string, string> };
  /** The state to recover from; null with no `stateText` starts the process. */
  state: EngineState | null;
  /**
   * The state as the JSON text it was stored as, if the caller has it: when it is exactly the text of the state a
   * live engine produced, the step continues on that engine instead of recovering (see `liveEngines`); otherwise it
   * is parsed to recover from, when `state` is null.
   */
  stateText?: string;
  variables: Record<string, unknown>;
  /** Iteration scopes of multi-instance sub-processes (server/engine/scopes.ts). */
  scopes?: Scopes;
  /** Incidents already recorded: their service tasks stay parked unless the action is `retry`. */
  incidents: Incident[];
  action: StepAction;
  clock: Clock;
  services: Record<string, ServiceHandler>;
  instance: { id: string; processKey: string; processName: string; businessKey: string | null };
  /** Where live engines are kept between steps: by default the shared `liveEngines`; null keeps none. */
  liveEngines?: LiveEngines<LiveEngine> | null;
}

export type EngineState = Record<string, unknown>;

export interface StepResult {
  state: EngineState;
  /** `state` as JSON, made once: the runtime stores it so, and the live engine compares the next input with it. */
  stateText?: string;
  status: 'running' | 'completed' | 'incident';
  variables: Record<string, unknown>;
  scopes: Scopes;
  tasks: WaitingTask[];
  timers: WaitingTimer[];
  incidents: Incident[];
  events: StepEvent[];
  notices: NoticeDraft[];
}

/** The task is not (or no longer) waiting in the engine: it was completed or cancelled meanwhile. */
export class TaskNotWaiting extends Error {
  constructor(readonly executionId: string) {
    super(`task ${executionId} is not waiting`);
    this.name = 'TaskNotWaiting';
  }
}

/** The multi-instance step cannot take one more iteration; `message` says why, in Chinese. */
export class IterationNotAdded extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IterationNotAdded';
  }
}

/** The engine itself failed (e.g. no outgoing flow matched); the step is not applied. */
export class EngineFailure extends Error {
  constructor(
    message: string,
    readonly elementId: string | null,
  ) {
    super(message);
    this.name = 'EngineFailure';
  }
}

const noopLogger = () => ({ debug() {}, error() {}, warn() {} });

/**
 * An engine kept alive after a step that left its instance running, with what its listeners had gathered. It is
 * reused only when the next step starts from exactly the state that step returned (see `reusable`).
 */
export interface LiveEngine {
  engine: any;
  binding: Binding;
  sourceContext: SourceContext;
  /** The `state` of the result the engine produced, and its JSON text: the next input matches either. */
  state: EngineState;
  text: string;
  /** Steps run on this engine since it was recovered or started. */
  steps: number;
  tasks: Map<string, WaitingTask>;
  timers: Map<string, WaitingTimer>;
  executionScopes: Map<string, string | null>;
}

/**
 * The engines of the most recently stepped instances; shared by every runtime in the process. Bounded by count:
 * a live engine holds 0.8 MB (the bench workload) to 2.7 MB (mental-health-contract) of heap, bpmn-elements'
 * brokers and queues per element. Set `liveEngines.capacity` to change it, 0 to keep none.
 */
export const liveEngines = new LiveEngines<LiveEngine>(64);

/**
 * bpmn-elements keeps a few queues for every activity execution an engine has run (~3.5 KB a step in a loop),
 * which is nothing for an engine used once but adds up on one that runs an instance for long: after this many
 * steps the next one recovers a fresh engine.
 */
export const LIVE_STEPS = 100;

/**
 * The engine's listeners outlive the step that created them when the engine is kept live, so they reach the
 * current step through this binding, which every step re-points at its own context.
 */
interface Binding {
  step: StepContext;
}

export async function runStep(input: StepInput): Promise<StepResult> {
  const cache = input.liveEngines === undefined ? liveEngines : input.liveEngines;
  // Taken out of the cache either way: a failed step must not leave its half-applied engine there.
  const cached = cache?.take(input.instance.id);
  const live = cached && reusable(cached, input) ? cached : null;

  // A recovered engine rebuilds its waiting tasks, timers and their scopes from the events `resume` re-emits; a
  // live engine emits nothing of the sort again, so it carries them over from its previous step.
  const step = live
    ? new StepContext(input, live.tasks, live.timers, live.executionScopes)
    : new StepContext(input, new Map(), new Map(), new Map());
  const binding: Binding = live?.binding ?? { step };
  binding.step = step;
  const engine = live?.engine ?? createEngine(input, binding);

  if (live) {
    // Already where the stored state says: nothing to recover or resume.
  } else if (input.state || input.stateText) {
    engine.recover(input.state ? structuredClone(input.state) : JSON.parse(input.stateText!));
    await engine.resume();
    await step.settle();
  } else {
    await engine.execute();
    await step.settle();
  }
  if (step.failure) throw step.failure;

  const { action } = input;
  if (action.type === 'complete') {
    const task = step.tasks.get(action.executionId);
    if (!task) throw new TaskNotWaiting(action.executionId);
    const at = step.stamp();
    const values = sanitizeVariables(action.values);
    const target = step.writeTarget(task.scopeId ?? null);
    if (task.loopIndex !== null) {
      const listName = `${task.elementId}Results`;
      const previous = Array.isArray(target[listName]) ? (target[listName] as unknown[]) : [];
      target[listName] = [...previous, { ...values, by: action.user, at, index: task.loopIndex }];
    } else {
      Object.assign(target, values);
    }
    // Signalled by execution id only: the same element waits once in every iteration of a sub-process.
    const payload: SignalPayload = { elementId: task.elementId, executionId: task.executionId, form: values, by: action.user, at };
    engine.execution.signal(payload);
    // A multi-instance iteration reports no end event of its own until the instance is resumed again.
    step.tasks.delete(task.executionId);
    await step.settle();
    if (step.failure) throw step.failure;
  }

  if (action.type === 'return') {
    const task = step.tasks.get(action.executionId);
    if (!task) throw new TaskNotWaiting(action.executionId);
    // Looked up on the processes themselves: a step inside a sub-process is not a place to return to.
    const target = (engine.execution.definitions as any[])
      .flatMap((d) => d.getProcesses() as any[])
      .map((p) => p.getActivityById(action.targetElementId))
      .find((a) => !!a);
    if (!target) throw new Error(`no activity ${action.targetElementId} at the process level`);
    // The earlier step first, so the process never runs out of work between the two changes.
    target.run();
    await step.settle();
    const waiting = (engine.execution.getPostponed() as any[]).find((a) => a.executionId === task.executionId);
    waiting?.discard();
    step.tasks.delete(task.executionId);
    await step.settle();
    if (step.failure) throw step.failure;
  }

  // Adding an iteration changes the loop's counters behind its back: the next step recovers them from the state.
  let keepLive = true;
  if (action.type === 'addIterations') {
    const task = step.tasks.get(action.executionId);
    if (!task || task.loopIndex === null) throw new TaskNotWaiting(action.executionId);
    addIterations(engine, step, task, action.elementValues);
    keepLive = false;
    await step.settle();
    if (step.failure) throw step.failure;
  }

  const state = stripSource(await engine.getState());
  const stateText = JSON.stringify(state);
  const { variables, scopes, incidents, tasks, timers } = step;
  const status = step.ended ? 'completed' : incidents.length ? 'incident' : 'running';
  // No `engine.stop()`: timers are inert and nothing outside the engine references it, so an engine that is
  // dropped is simply collected (heap flat over 6,000 instances without it); a live one must not be stopped.
  const steps = (live?.steps ?? 0) + 1;
  if (status === 'running' && cache && keepLive && steps < LIVE_STEPS) {
    // A live engine can serve many steps (a loop): forget the executions that are over.
    for (const id of step.left) step.executionScopes.delete(id);
    const { executionScopes } = step;
    cache.put(input.instance.id, { engine, binding, sourceContext: input.sourceContext, state, text: stateText, tasks, timers, executionScopes, steps });
  }

  const waiting = [...tasks.values()].map((task) => {
    const scopeId = task.scopeId && scopes[task.scopeId] ? task.scopeId : null;
    return { ...task, scopeId, scopeVariables: scopeOverlay(scopes, scopeId), scopeLabel: scopeLabel(scopes, scopeId) };
  });
  // The maps hold what waits in the order it was seen: on a recovered engine, the order `resume` re-emits it in
  // (each activity's latest change last), on a live one the order it began waiting. Neither means anything, and
  // they differ, so results list tasks and timers in an order of their own.
  const position = new Map([...input.model.userTasks.keys()].map((id, i) => [id, i]));
  waiting.sort(
    (a, b) =>
      compareIndexes(scopeIndexes(scopes, a.scopeId), scopeIndexes(scopes, b.scopeId)) ||
      (position.get(a.elementId) ?? -1) - (position.get(b.elementId) ?? -1) ||
      (a.loopIndex ?? -1) - (b.loopIndex ?? -1) ||
      compareText(a.executionId, b.executionId),
  );
  const timerScope = (timer: WaitingTimer) => scopeIndexes(scopes, step.executionScopes.get(timer.executionId));
  const timed = [...timers.values()].sort(
    (a, b) =>
      compareText(a.dueAt, b.dueAt) ||
      compareText(a.elementId, b.elementId) ||
      compareIndexes(timerScope(a), timerScope(b)) ||
      compareText(a.executionId, b.executionId),
  );

  return {
    state,
    stateText,
    status,
    variables,
    scopes: status === 'completed' ? {} : scopes,
    tasks: status === 'completed' ? [] : waiting,
    timers: status === 'completed' ? [] : timed,
    incidents,
    events: step.events,
    notices: step.notices,
  };
}

/**
 * Whether a live engine stands exactly where a recovered one would. Only for completing a task: `start` has no
 * engine yet, and `resume` and `retry` exist to fire timers and re-run parked services, which happens during
 * `resume`. For the same reason not with incidents (parked services) or with a timer already due, which a
 * recovered engine would fire on resume before the task is completed.
 */
function reusable(live: LiveEngine, input: StepInput): boolean {
  if (input.action.type !== 'complete' || input.incidents.length) return false;
  if (live.sourceContext !== input.sourceContext) return false;
  if (input.state !== live.state) {
    if (input.stateText !== live.text) return false; // another step's state, one never committed, or none given
  }
  const now = input.clock.now().getTime();
  for (const timer of live.timers.values()) if (Date.parse(timer.dueAt) <= now) return false;
  return true;
}

function createEngine(input: StepInput, binding: Binding): any {
  const platformExtension = (activity: any) => {
    if (activity.type === 'bpmn:SubProcess' && activity.behaviour?.loopCharacteristics) {
      // Priority: the iteration's scope must exist before the activities inside it start.
      activity.broker.subscribeTmp(
        'execution',
        'execute.#',
        (routingKey: string, message: any) => binding.step.onIterationMessage(activity.id, routingKey, message.content),
        { noAck: true, priority: 10_000, consumerTag: '_platform-iteration-scopes' },
      );
      return { activate() {}, deactivate() {} };
    }
    if (activity.type !== 'bpmn:ServiceTask') return undefined;
    activity.behaviour.Service = function PlatformService() {
      return {
        execute(executeMessage: any, callback: (err: Error | null, output?: unknown) => void) {
          binding.step.executeService(activity, executeMessage, callback);
        },
      };
    };
    return { activate() {}, deactivate() {} };
  };

  const engine = new Engine({
    name: input.instance.processKey,
    sourceContext: unserializable(input.sourceContext),
    elements: { ...(Elements as Record<string, unknown>), TimerEventDefinition: ClockTimerEventDefinition },
    expressions: createExpressionHandler((content) => {
      const step = binding.step;
      return scopedVariables(step.variables, step.scopes, content ? step.scopeOfExecution(String(content.executionId ?? ''), content) : null);
    }),
    extensions: { platform: platformExtension },
    timers: createInertTimers(),
    Logger: noopLogger,
  } as any);

  engine.broker.subscribeTmp(
    'event',
    'activity.#',
    (routingKey: string, message: any) => binding.step.onActivityEvent(routingKey, message.content),
    { noAck: true },
  );
  engine.on('end', () => {
    binding.step.ended = true;
  });
  engine.on('error', (err: any) => {
    binding.step.failure ??= new EngineFailure(err?.message ?? String(err), err?.source?.content?.id ?? null);
  });
  return engine;
}

/** What one step reads and gathers: the instance's values as the step found them, and what happened to them. */
class StepContext {
  readonly variables: Record<string, unknown>;
  readonly scopes: Scopes;
  readonly incidents: Incident[];
  readonly events: StepEvent[] = [];
  readonly notices: NoticeDraft[] = [];
  readonly pending = new Set<Promise<unknown>>();
  failure: EngineFailure | null = null;
  ended = false;
  /** Executions that left or were discarded in this step. */
  readonly left = new Set<string>();

  constructor(
    readonly input: StepInput,
    readonly tasks: Map<string, WaitingTask>,
    readonly timers: Map<string, WaitingTimer>,
    /** Innermost iteration scope of each activity execution seen (null: process level). */
    readonly executionScopes: Map<string, string | null>,
  ) {
    this.variables = structuredClone(input.variables);
    this.scopes = structuredClone(input.scopes ?? {});
    this.incidents = input.incidents.map((i) => ({ ...i }));
  }

  stamp(): string {
    return this.input.clock.now().toISOString();
  }

  executeService(activity: any, executeMessage: any, callback: (err: Error | null, output?: unknown) => void) {
    const { incidents, events } = this;
    const executionId: string = executeMessage.content.executionId;
    const parked = incidents.find((i) => i.elementId === activity.id);
    if (parked && this.input.action.type !== 'retry') return; // stays parked until an administrator retries
    const scopeId = this.scopeOfExecution(executionId, executeMessage.content);
    const work = this.runService(activity, scopedVariables(this.variables, this.scopes, scopeId)).then(
      (output) => {
        const index = incidents.findIndex((i) => i.elementId === activity.id);
        if (index >= 0) incidents.splice(index, 1);
        Object.assign(this.writeTarget(scopeId), output);
        events.push({ type: 'service.completed', elementId: activity.id, at: this.stamp(), detail: { output } });
        callback(null, output);
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        const index = incidents.findIndex((i) => i.elementId === activity.id);
        const incident = { elementId: activity.id, executionId, message, at: this.stamp() };
        if (index >= 0) incidents[index] = incident;
        else incidents.push(incident);
        events.push({ type: 'incident', elementId: activity.id, at: incident.at, detail: { message } });
      },
    );
    this.pending.add(work);
    work.finally(() => this.pending.delete(work));
  }

  private async runService(activity: any, context: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { model, services, clock, instance } = this.input;
    const service = model.serviceTasks.get(activity.id);
    if (!service) throw new Error(`服务任务 ${activity.id} 未配置处理程序（camunda:topic）`);
    const handler = services[service.topic];
    if (!handler) throw new Error(`未知的服务处理程序：${service.topic}`);
    const inputs: Record<string, unknown> = {};
    for (const [name, text] of Object.entries(service.inputs)) inputs[name] = resolveFeel(text, context);
    const output = await handler({
      now: clock.now(),
      inputs,
      variables: Object.freeze(structuredClone(context)),
      instance,
      element: {
        id: activity.id,
        name: activity.name ?? null,
        documentation: model.documentation?.get(activity.id) ?? null,
      },
      publishNotice: (notice) => this.notices.push(notice),
    });
    if (output === null || typeof output !== 'object' || Array.isArray(output)) return {};
    return sanitizeVariables(output);
  }

  /** The iteration an activity execution runs in: known from its events, or from the parent chain of `content`. */
  scopeOfExecution(executionId: string, content?: any): string | null {
    const { executionScopes } = this;
    if (executionScopes.has(executionId)) return executionScopes.get(executionId)!;
    const root = /^(.+)_\d+$/.exec(executionId)?.[1]; // an iteration of a multi-instance task
    if (root && executionScopes.has(root)) return executionScopes.get(root)!;
    return this.scopeOfParents(content);
  }

  /** Events carry their parent chain with execution ids; the nearest one that is an iteration is the scope. */
  private scopeOfParents(content: any): string | null {
    const parent = content?.parent;
    for (const p of parent ? [parent, ...(parent.path ?? [])] : []) {
      if (p?.executionId && this.scopes[p.executionId]) return p.executionId;
    }
    return null;
  }

  writeTarget(scopeId: string | null): Record<string, unknown> {
    return (scopeId && this.scopes[scopeId]?.locals) || this.variables;
  }

  onIterationMessage(elementId: string, routingKey: string, content: any) {
    if (content.isRootScope || typeof content.index !== 'number') return;
    const { scopes } = this;
    const scopeId: string = content.executionId;
    switch (routingKey) {
      case 'execute.start': {
        if (scopes[scopeId]) return; // resumed: the iteration keeps its values
        const elementVariable = this.input.model.elementVariables?.get(elementId) ?? null;
        const rootExecutionId = content.parent?.executionId ?? scopeId.replace(/_\d+$/, '');
        scopes[scopeId] = {
          elementId,
          index: content.index,
          parentScopeId: this.scopeOfExecution(rootExecutionId),
          elementVariable,
          elementValue: elementVariable ? sanitizeValue(content[elementVariable]) : null,
          locals: {},
        };
        return;
      }
      case 'execute.completed': {
        const scope = scopes[scopeId];
        if (!scope) return;
        const target = this.writeTarget(scope.parentScopeId);
        const listName = `${elementId}Results`;
        const previous = Array.isArray(target[listName]) ? (target[listName] as unknown[]) : [];
        target[listName] = [...previous, iterationResult(scope)];
        this.dropScopes(scopeId);
        return;
      }
      case 'execute.discard':
        this.dropScopes(scopeId);
        return;
    }
  }

  /** Forget an iteration's scope and every scope nested in it. */
  private dropScopes(scopeId: string) {
    delete this.scopes[scopeId];
    for (const [id, scope] of Object.entries(this.scopes)) if (scope.parentScopeId === scopeId) this.dropScopes(id);
  }

  onActivityEvent(routingKey: string, content: any) {
    const { tasks, timers, executionScopes, events } = this;
    const elementId: string = content.id;
    const executionId: string = content.executionId;
    if (executionId && !executionScopes.has(executionId)) executionScopes.set(executionId, this.scopeOfParents(content));
    switch (routingKey) {
      case 'activity.wait': {
        if (content.type !== 'bpmn:UserTask') return;
        const elementVariable = this.input.model.elementVariables?.get(elementId);
        const scopeId = executionScopes.get(executionId) ?? null;
        tasks.set(executionId, {
          executionId,
          elementId,
          loopIndex: content.isMultiInstance || typeof content.index === 'number' ? (content.index ?? null) : null,
          elementValue: elementVariable ? (content[elementVariable] ?? null) : null,
          scopeId,
        });
        return;
      }
      case 'activity.timer':
        timers.set(executionId, {
          executionId,
          elementId,
          dueAt: new Date(content.expireAt ?? this.input.clock.now()).toISOString(),
        });
        return;
      case 'activity.timeout':
        if (content.state === 'timeout') events.push({ type: 'timer.fired', elementId, at: this.stamp() });
        this.dropTimers(executionId);
        return;
      case 'activity.end':
        tasks.delete(executionId);
        this.dropTimers(executionId);
        if (!content.isMultiInstance || content.isRootScope) {
          events.push({ type: 'element.completed', elementId, elementType: content.type, at: this.stamp() });
        }
        return;
      case 'activity.leave':
      case 'activity.discard':
        this.left.add(executionId);
        tasks.delete(executionId);
        this.dropTimers(executionId);
        for (const id of Object.keys(this.scopes)) if (id.startsWith(`${executionId}_`)) this.dropScopes(id);
        for (const [id, task] of tasks) if (id.startsWith(`${executionId}_`) && task.elementId === elementId) tasks.delete(id);
        return;
    }
  }

  private dropTimers(executionId: string) {
    for (const id of this.timers.keys()) if (id === executionId || id.startsWith(`${executionId}_`)) this.timers.delete(id);
  }

  async settle() {
    // Service handlers finish asynchronously; the broker delivers on the same tick. Wait until both are quiet.
    const { pending } = this;
    for (let round = 0; round < 10_000; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (pending.size === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (pending.size === 0) return;
      }
      await Promise.allSettled([...pending]);
    }
    throw new EngineFailure('流程在一个步骤内运行的环节过多（可能存在无等待的循环）', null);
  }
}

/**
 * More iterations of the multi-instance activity whose iteration `task` is, one per element value. The loop's size
 * must be a variable (`${expertCount}`, or a collection `${experts}`): it grows in the task's scope, so a recovered
 * engine counts the new iterations too. A parallel loop starts them now, beside the open ones, as its own batch
 * start would; a sequential one runs them after the others.
 */
function addIterations(engine: any, step: StepContext, task: WaitingTask, values: unknown[]) {
  const activity = runningActivity(engine.execution.getPostponed(), task.executionId);
  const chr = activity?.execution?.source?.loopCharacteristics?.characteristics;
  if (!chr) throw new IterationNotAdded('该环节不是多实例环节');
  const definition = activity.behaviour.loopCharacteristics.behaviour ?? {};
  const expression = chr.collection ? definition.collection : definition.loopCardinality;
  const name = /^\s*(?:\$\{\s*([A-Za-z_]\w*)\s*\}|=\s*([A-Za-z_]\w*))\s*$/.exec(String(expression ?? ''));
  const variable = name?.[1] ?? name?.[2];
  if (!variable) throw new IterationNotAdded('该环节的份数由表达式或常数决定，不能增加');
  if (definition.completionCondition) throw new IterationNotAdded('该环节设有提前结束条件，不能增加');
  const root = [...(activity.execution[Symbol.for('postponed')] as Set<any>)].find((m) => m.content.isRootScope)?.content;
  const first: number = chr.cardinality;
  if (!chr.isSequential && (!root || root.index !== first)) throw new IterationNotAdded('该环节尚有未开始的份，不能增加');
  const target = step.writeTarget(task.scopeId ?? null);
  if (chr.collection) {
    chr.collection = [...chr.collection, ...values.map(sanitizeValue)];
    target[variable] = chr.collection;
  } else {
    target[variable] = first + values.length;
  }
  chr.cardinality = first + values.length;
  if (chr.isSequential) return;
  const starts = values.map((_v, i) => chr.next(first + i));
  activity.broker.publish('execution', 'execute.iteration.batch', {
    ...chr.getContent(),
    index: chr.cardinality,
    running: (root.running ?? 0) + values.length,
    discarded: root.discarded ?? 0,
    output: chr.output,
    preventComplete: true,
  });
  for (const content of starts) activity.broker.publish('execution', 'execute.start', content);
}

/** The activity (bpmn-elements) one of whose executions is `executionId`, searched through running sub-processes. */
function runningActivity(apis: any[], executionId: string, seen = new Set<any>()): any {
  for (const api of apis) {
    const owner = api.owner;
    if (!owner || seen.has(owner)) continue;
    seen.add(owner);
    const executing = owner.execution?.[Symbol.for('postponed')] as Set<any> | undefined;
    if (executing && owner.execution.source?.loopCharacteristics && [...executing].some((m) => m.content.executionId === executionId)) return owner;
    if (owner.isSubProcess) {
      // A sub-process lists its own executions first, then what runs inside them.
      const inner = runningActivity(owner.execution?.getPostponed() ?? [], executionId, seen);
      if (inner) return inner;
    }
  }
  return null;
}

/** Where a scope sits among iterations: the index of each enclosing iteration, outermost first. */
function scopeIndexes(scopes: Scopes, scopeId: string | null | undefined): number[] {
  return scopeChain(scopes, scopeId ?? null).map((id) => scopes[id]!.index);
}

/** Outer iterations first; what is outside an iteration before what is inside it. */
function compareIndexes(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const unserializableSources = new WeakMap<object, SourceContext>();

/**
 * The source context as the engine is given it: the same, except that serializing it gives nothing. bpmn-engine's
 * `getState` serializes the whole definition into every state, at every step (a JSON text of the whole diagram),
 * only for {@link stripSource} to drop it: the source is stored once per deployed version.
 */
function unserializable(source: SourceContext): SourceContext {
  const key = source as object;
  let wrapped = unserializableSources.get(key);
  if (!wrapped) {
    wrapped = Object.create(key, { serialize: { value: () => undefined } }) as SourceContext;
    unserializableSources.set(key, wrapped);
  }
  return wrapped;
}

/** The serialized source is stored once per deployed version, not in every instance state. */
function stripSource(state: any): EngineState {
  return {
    ...state,
    definitions: (state.definitions ?? []).map(({ source: _source, ...rest }: Record<string, unknown>) => rest),
  };
}

function sanitizeValue(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value ?? null));
}

/** Plain JSON data only, without prototype-polluting keys. */
export function sanitizeVariables(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    out[key] = sanitizeValue(value);
  }
  return out;
}

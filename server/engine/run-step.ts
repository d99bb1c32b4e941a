import { Engine } from 'bpmn-engine';
import * as Elements from 'bpmn-elements';
import { resolve as resolveFeel } from '../expressions/feel.js';
import type { NoticeDraft, ServiceHandler } from '../services/types.js';
import type { Clock } from './clock.js';
import { ClockTimerEventDefinition, createInertTimers } from './clock-timer.js';
import type { SourceContext } from './compile.js';
import { createExpressionHandler, type SignalPayload } from './expressions.js';
import type { ProcessModelInfo } from './model.js';
import { iterationResult, scopeLabel, scopeOverlay, scopedVariables, type Scopes } from './scopes.js';

/**
 * One step of one instance: recover the engine from stored state, apply one action, run until every path waits
 * (user task, timer, parked service) or ends, and hand back the new state and what changed. No I/O happens here:
 * the runtime commits the result as one document update.
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
  | { type: 'complete'; executionId: string; values: Record<string, unknown>; user: string };

export interface StepInput {
  sourceContext: SourceContext;
  model: ProcessModelInfo & { elementVariables?: Map<string, string> };
  state: EngineState | null;
  variables: Record<string, unknown>;
  /** Iteration scopes of multi-instance sub-processes (server/engine/scopes.ts). */
  scopes?: Scopes;
  /** Incidents already recorded: their service tasks stay parked unless the action is `retry`. */
  incidents: Incident[];
  action: StepAction;
  clock: Clock;
  services: Record<string, ServiceHandler>;
  instance: { id: string; processKey: string; processName: string; businessKey: string | null };
}

export type EngineState = Record<string, unknown>;

export interface StepResult {
  state: EngineState;
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

export async function runStep(input: StepInput): Promise<StepResult> {
  const { clock, model, action } = input;
  const variables: Record<string, unknown> = structuredClone(input.variables);
  const scopes: Scopes = structuredClone(input.scopes ?? {});
  /** Innermost iteration scope of each activity execution seen in this step (null: process level). */
  const executionScopes = new Map<string, string | null>();
  const incidents: Incident[] = input.incidents.map((i) => ({ ...i }));
  const events: StepEvent[] = [];
  const notices: NoticeDraft[] = [];
  const pending = new Set<Promise<unknown>>();
  const tasks = new Map<string, WaitingTask>();
  const timers = new Map<string, WaitingTimer>();
  let failure: EngineFailure | null = null;
  const stamp = () => clock.now().toISOString();

  const platformExtension = (activity: any) => {
    if (activity.type === 'bpmn:SubProcess' && activity.behaviour?.loopCharacteristics) {
      // Priority: the iteration's scope must exist before the activities inside it start.
      activity.broker.subscribeTmp(
        'execution',
        'execute.#',
        (routingKey: string, message: any) => onIterationMessage(activity.id, routingKey, message.content),
        { noAck: true, priority: 10_000, consumerTag: '_platform-iteration-scopes' },
      );
      return { activate() {}, deactivate() {} };
    }
    if (activity.type !== 'bpmn:ServiceTask') return undefined;
    activity.behaviour.Service = function PlatformService() {
      return {
        execute(executeMessage: any, callback: (err: Error | null, output?: unknown) => void) {
          const executionId: string = executeMessage.content.executionId;
          const parked = incidents.find((i) => i.elementId === activity.id);
          if (parked && action.type !== 'retry') return; // stays parked until an administrator retries
          const scopeId = scopeOfExecution(executionId, executeMessage.content);
          const work = runService(activity, scopedVariables(variables, scopes, scopeId)).then(
            (output) => {
              const index = incidents.findIndex((i) => i.elementId === activity.id);
              if (index >= 0) incidents.splice(index, 1);
              Object.assign(writeTarget(scopeId), output);
              events.push({ type: 'service.completed', elementId: activity.id, at: stamp(), detail: { output } });
              callback(null, output);
            },
            (err: unknown) => {
              const message = err instanceof Error ? err.message : String(err);
              const index = incidents.findIndex((i) => i.elementId === activity.id);
              const incident = { elementId: activity.id, executionId, message, at: stamp() };
              if (index >= 0) incidents[index] = incident;
              else incidents.push(incident);
              events.push({ type: 'incident', elementId: activity.id, at: incident.at, detail: { message } });
            },
          );
          pending.add(work);
          work.finally(() => pending.delete(work));
        },
      };
    };
    return { activate() {}, deactivate() {} };
  };

  async function runService(activity: any, context: Record<string, unknown>): Promise<Record<string, unknown>> {
    const service = model.serviceTasks.get(activity.id);
    if (!service) throw new Error(`服务任务 ${activity.id} 未配置处理程序（camunda:topic）`);
    const handler = input.services[service.topic];
    if (!handler) throw new Error(`未知的服务处理程序：${service.topic}`);
    const inputs: Record<string, unknown> = {};
    for (const [name, text] of Object.entries(service.inputs)) inputs[name] = resolveFeel(text, context);
    const output = await handler({
      now: clock.now(),
      inputs,
      variables: Object.freeze(structuredClone(context)),
      instance: input.instance,
      element: {
        id: activity.id,
        name: activity.name ?? null,
        documentation: model.documentation?.get(activity.id) ?? null,
      },
      publishNotice: (notice) => notices.push(notice),
    });
    if (output === null || typeof output !== 'object' || Array.isArray(output)) return {};
    return sanitizeVariables(output);
  }

  const engine = new Engine({
    name: input.instance.processKey,
    sourceContext: input.sourceContext,
    elements: { ...(Elements as Record<string, unknown>), TimerEventDefinition: ClockTimerEventDefinition },
    expressions: createExpressionHandler((content) =>
      scopedVariables(variables, scopes, content ? scopeOfExecution(String(content.executionId ?? ''), content) : null),
    ),
    extensions: { platform: platformExtension },
    timers: createInertTimers(),
    Logger: noopLogger,
  } as any);

  engine.broker.subscribeTmp(
    'event',
    'activity.#',
    (routingKey: string, message: any) => onActivityEvent(routingKey, message.content),
    { noAck: true },
  );
  let ended = false;
  engine.on('end', () => {
    ended = true;
  });
  engine.on('error', (err: any) => {
    failure ??= new EngineFailure(err?.message ?? String(err), err?.source?.content?.id ?? null);
  });

  /** The iteration an activity execution runs in: known from its events, or from the parent chain of `content`. */
  function scopeOfExecution(executionId: string, content?: any): string | null {
    if (executionScopes.has(executionId)) return executionScopes.get(executionId)!;
    const root = /^(.+)_\d+$/.exec(executionId)?.[1]; // an iteration of a multi-instance task
    if (root && executionScopes.has(root)) return executionScopes.get(root)!;
    return scopeOfParents(content);
  }

  /** Events carry their parent chain with execution ids; the nearest one that is an iteration is the scope. */
  function scopeOfParents(content: any): string | null {
    const parent = content?.parent;
    for (const p of parent ? [parent, ...(parent.path ?? [])] : []) {
      if (p?.executionId && scopes[p.executionId]) return p.executionId;
    }
    return null;
  }

  function writeTarget(scopeId: string | null): Record<string, unknown> {
    return (scopeId && scopes[scopeId]?.locals) || variables;
  }

  function onIterationMessage(elementId: string, routingKey: string, content: any) {
    if (content.isRootScope || typeof content.index !== 'number') return;
    const scopeId: string = content.executionId;
    switch (routingKey) {
      case 'execute.start': {
        if (scopes[scopeId]) return; // resumed: the iteration keeps its values
        const elementVariable = model.elementVariables?.get(elementId) ?? null;
        const rootExecutionId = content.parent?.executionId ?? scopeId.replace(/_\d+$/, '');
        scopes[scopeId] = {
          elementId,
          index: content.index,
          parentScopeId: scopeOfExecution(rootExecutionId),
          elementVariable,
          elementValue: elementVariable ? sanitizeValue(content[elementVariable]) : null,
          locals: {},
        };
        return;
      }
      case 'execute.completed': {
        const scope = scopes[scopeId];
        if (!scope) return;
        const target = writeTarget(scope.parentScopeId);
        const listName = `${elementId}Results`;
        const previous = Array.isArray(target[listName]) ? (target[listName] as unknown[]) : [];
        target[listName] = [...previous, iterationResult(scope)];
        dropScopes(scopeId);
        return;
      }
      case 'execute.discard':
        dropScopes(scopeId);
        return;
    }
  }

  /** Forget an iteration's scope and every scope nested in it. */
  function dropScopes(scopeId: string) {
    delete scopes[scopeId];
    for (const [id, scope] of Object.entries(scopes)) if (scope.parentScopeId === scopeId) dropScopes(id);
  }

  function onActivityEvent(routingKey: string, content: any) {
    const elementId: string = content.id;
    const executionId: string = content.executionId;
    if (executionId && !executionScopes.has(executionId)) executionScopes.set(executionId, scopeOfParents(content));
    switch (routingKey) {
      case 'activity.wait': {
        if (content.type !== 'bpmn:UserTask') return;
        const elementVariable = model.elementVariables?.get(elementId);
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
          dueAt: new Date(content.expireAt ?? clock.now()).toISOString(),
        });
        return;
      case 'activity.timeout':
        if (content.state === 'timeout') events.push({ type: 'timer.fired', elementId, at: stamp() });
        dropTimers(executionId);
        return;
      case 'activity.end':
        tasks.delete(executionId);
        dropTimers(executionId);
        if (!content.isMultiInstance || content.isRootScope) {
          events.push({ type: 'element.completed', elementId, elementType: content.type, at: stamp() });
        }
        return;
      case 'activity.leave':
      case 'activity.discard':
        tasks.delete(executionId);
        dropTimers(executionId);
        for (const id of Object.keys(scopes)) if (id.startsWith(`${executionId}_`)) dropScopes(id);
        for (const [id, task] of tasks) if (id.startsWith(`${executionId}_`) && task.elementId === elementId) tasks.delete(id);
        return;
    }
  }

  function dropTimers(executionId: string) {
    for (const id of timers.keys()) if (id === executionId || id.startsWith(`${executionId}_`)) timers.delete(id);
  }

  async function settle() {
    // Service handlers finish asynchronously; the broker delivers on the same tick. Wait until both are quiet.
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

  if (input.state) {
    engine.recover(structuredClone(input.state));
    await engine.resume();
  } else {
    await engine.execute();
  }
  await settle();
  if (failure) throw failure;

  if (action.type === 'complete') {
    const task = tasks.get(action.executionId);
    if (!task) throw new TaskNotWaiting(action.executionId);
    const at = stamp();
    const values = sanitizeVariables(action.values);
    const target = writeTarget(task.scopeId ?? null);
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
    tasks.delete(task.executionId);
    await settle();
    if (failure) throw failure;
  }

  const state = stripSource(await engine.getState());
  const status = ended ? 'completed' : incidents.length ? 'incident' : 'running';
  engine.stop();

  const waiting = [...tasks.values()].map((task) => {
    const scopeId = task.scopeId && scopes[task.scopeId] ? task.scopeId : null;
    return { ...task, scopeId, scopeVariables: scopeOverlay(scopes, scopeId), scopeLabel: scopeLabel(scopes, scopeId) };
  });

  return {
    state,
    status,
    variables,
    scopes: status === 'completed' ? {} : scopes,
    tasks: status === 'completed' ? [] : waiting,
    timers: status === 'completed' ? [] : [...timers.values()],
    incidents,
    events,
    notices,
  };
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

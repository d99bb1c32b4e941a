import { Engine } from 'bpmn-engine';
import * as Elements from 'bpmn-elements';
import { resolve as resolveFeel } from '../expressions/feel.js';
import type { NoticeDraft, ServiceHandler } from '../services/types.js';
import type { Clock } from './clock.js';
import { ClockTimerEventDefinition, createInertTimers } from './clock-timer.js';
import type { SourceContext } from './compile.js';
import { createExpressionHandler, type SignalPayload } from './expressions.js';
import type { ProcessModelInfo } from './model.js';

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
  const incidents: Incident[] = input.incidents.map((i) => ({ ...i }));
  const events: StepEvent[] = [];
  const notices: NoticeDraft[] = [];
  const pending = new Set<Promise<unknown>>();
  const tasks = new Map<string, WaitingTask>();
  const timers = new Map<string, WaitingTimer>();
  let failure: EngineFailure | null = null;
  const stamp = () => clock.now().toISOString();

  const serviceExtension = (activity: any) => {
    if (activity.type !== 'bpmn:ServiceTask') return undefined;
    activity.behaviour.Service = function PlatformService() {
      return {
        execute(executeMessage: any, callback: (err: Error | null, output?: unknown) => void) {
          const executionId: string = executeMessage.content.executionId;
          const parked = incidents.find((i) => i.elementId === activity.id);
          if (parked && action.type !== 'retry') return; // stays parked until an administrator retries
          const work = runService(activity, executeMessage.content).then(
            (output) => {
              const index = incidents.findIndex((i) => i.elementId === activity.id);
              if (index >= 0) incidents.splice(index, 1);
              Object.assign(variables, output);
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

  async function runService(activity: any, content: Record<string, unknown>): Promise<Record<string, unknown>> {
    const service = model.serviceTasks.get(activity.id);
    if (!service) throw new Error(`服务任务 ${activity.id} 未配置处理程序（camunda:topic）`);
    const handler = input.services[service.topic];
    if (!handler) throw new Error(`未知的服务处理程序：${service.topic}`);
    const inputs: Record<string, unknown> = {};
    for (const [name, text] of Object.entries(service.inputs)) inputs[name] = resolveFeel(text, variables);
    const output = await handler({
      now: clock.now(),
      inputs,
      variables: Object.freeze(structuredClone(variables)),
      instance: input.instance,
      element: {
        id: activity.id,
        name: activity.name ?? null,
        documentation: model.documentation?.get(activity.id) ?? null,
      },
      publishNotice: (notice) => notices.push(notice),
    });
    void content;
    if (output === null || typeof output !== 'object' || Array.isArray(output)) return {};
    return sanitizeVariables(output);
  }

  const engine = new Engine({
    name: input.instance.processKey,
    sourceContext: input.sourceContext,
    elements: { ...(Elements as Record<string, unknown>), TimerEventDefinition: ClockTimerEventDefinition },
    expressions: createExpressionHandler(() => variables),
    extensions: { platformServices: serviceExtension },
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

  function onActivityEvent(routingKey: string, content: any) {
    const elementId: string = content.id;
    const executionId: string = content.executionId;
    switch (routingKey) {
      case 'activity.wait': {
        if (content.type !== 'bpmn:UserTask') return;
        const elementVariable = model.elementVariables?.get(elementId);
        tasks.set(executionId, {
          executionId,
          elementId,
          loopIndex: content.isMultiInstance || typeof content.index === 'number' ? (content.index ?? null) : null,
          elementValue: elementVariable ? (content[elementVariable] ?? null) : null,
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
    if (task.loopIndex !== null) {
      const listName = `${task.elementId}Results`;
      const previous = Array.isArray(variables[listName]) ? (variables[listName] as unknown[]) : [];
      variables[listName] = [...previous, { ...values, by: action.user, at, index: task.loopIndex }];
    } else {
      Object.assign(variables, values);
    }
    const payload: SignalPayload = { id: task.elementId, executionId: task.executionId, form: values, by: action.user, at };
    engine.execution.signal(payload);
    // A multi-instance iteration reports no end event of its own until the instance is resumed again.
    tasks.delete(task.executionId);
    await settle();
    if (failure) throw failure;
  }

  const state = stripSource(await engine.getState());
  const status = ended ? 'completed' : incidents.length ? 'incident' : 'running';
  engine.stop();

  return {
    state,
    status,
    variables,
    tasks: status === 'completed' ? [] : [...tasks.values()],
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

/** Plain JSON data only, without prototype-polluting keys. */
export function sanitizeVariables(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    out[key] = value === undefined ? null : JSON.parse(JSON.stringify(value ?? null));
  }
  return out;
}

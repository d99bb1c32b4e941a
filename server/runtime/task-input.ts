import { actorGroupKeys } from '../org/scoping.js';
import type { InstanceDoc, OpenTaskRef, TaskDoc } from '../db/types.js';
import { scopedVariables } from '../engine/scopes.js';
import type { FormSchema } from '../forms/schema.js';
import { validateFormValues } from '../forms/validate.js';
import { RuntimeError } from './api.js';
import type { RunnableDefinition } from './definitions.js';

/**
 * API clients get a 400 for fields the form does not have (typos, `__proto__`, injected keys) instead of having
 * them silently dropped; the web pages, whose forms carry their own hidden fields, whitelist instead.
 */
export function refuseUnknownFields(schema: FormSchema | null, input: unknown) {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return;
  // Read-only fields are known: the form validation says why a value for them is refused.
  const known = new Set((schema?.fields ?? []).map((f) => f.id));
  const unknown = Object.keys(input).filter((key) => !known.has(key));
  if (unknown.length) {
    const fields = Object.fromEntries(unknown.slice(0, 20).map((key) => [key.slice(0, 100), '表单中没有该字段']));
    throw new RuntimeError('validation_failed', `表单中没有这些字段：${unknown.slice(0, 5).join('、').slice(0, 200)}`, { fields });
  }
}

/**
 * A multi-instance task marked `distinctPerformers` (P1's independent expert scores) takes each iteration from a
 * different person within its sub-process iteration: the results already collected there name who did them. `who`
 * names the person in the refusal when they are not the one asking (the target of a 转办).
 */
export function refuseRepeatPerformer(
  definition: RunnableDefinition,
  instance: Pick<InstanceDoc, 'variables' | 'scopes'>,
  task: TaskDoc,
  actorId: string,
  who: string | null = null,
) {
  const spec = definition.model.userTasks.get(task.elementId);
  if (!spec?.distinctPerformers || !task.isMultiInstance) return;
  const results = scopedVariables(instance.variables ?? {}, instance.scopes ?? {}, task.scopeId ?? null)[`${task.elementId}Results`];
  if (!Array.isArray(results) || !results.some((r) => (r as { by?: unknown })?.by === actorId)) return;
  const source = task.documentation?.split('\n')[0]?.trim();
  const what = task.subject ? `“${task.subject}”的` : '';
  throw new RuntimeError('forbidden', `${who ? `“${who}”已` : '您已'}办理过${what}“${task.name}”：该环节须由不同人员各自独立办理，同一人不能办理两份${source ? `（${source}）` : ''}`);
}

/** The other open iterations of the multi-instance loop `task` is one of: their executions are `<loop>_<n>`. */
export function loopSiblings(instance: Pick<InstanceDoc, 'openTasks'>, task: Pick<TaskDoc, '_id' | 'executionId'>): OpenTaskRef[] {
  const loop = `${task.executionId.replace(/_\d+$/, '')}_`;
  return (instance.openTasks ?? []).filter((t) => t.taskId !== task._id && t.executionId.startsWith(loop));
}

/**
 * A step that needs different people for its iterations: one person holds at most one of them (within one sub-process
 * iteration, whose loop is its own), as they could complete only one. `who` names them in the refusal when they are
 * not the one asking.
 */
export function refuseSecondIteration(definition: RunnableDefinition, instance: Pick<InstanceDoc, 'openTasks'>, task: TaskDoc, userId: string, who: string | null = null): void {
  if (!definition.model.userTasks.get(task.elementId)?.distinctPerformers || !task.isMultiInstance) return;
  if (!loopSiblings(instance, task).some((t) => t.assignee === userId)) return;
  const what = task.subject ? `“${task.subject}”的` : '';
  const holder = who ? `“${who}”已` : '您已';
  throw new RuntimeError('conflict', `${holder}签收${what}“${task.name}”的另一份：该环节须由不同人员各自独立办理，须先办理或退回已签收的那一份`);
}

/** The variables a task's form is shown and checked against: the instance's, its iteration's, its element variable. */
export function taskVariables(task: TaskDoc, instance: Pick<InstanceDoc, 'variables' | 'scopes'> | null): Record<string, unknown> {
  const context = scopedVariables(instance?.variables ?? {}, instance?.scopes ?? {}, task.scopeId ?? null);
  return task.elementVariable ? { ...context, [task.elementVariable.name]: task.elementVariable.value } : context;
}

/**
 * Validates submitted values against the task's form in its context, on the runtime clock's `now` (a date bound on
 * today); the values as they will be stored.
 */
export function checkTaskInput(task: TaskDoc, input: unknown, instance: Pick<InstanceDoc, 'variables' | 'scopes'>, now: Date): Record<string, unknown> {
  const schema = task.formSchema as FormSchema | null;
  if (!schema || !schema.fields?.length) return {};
  const checked = validateFormValues(schema, input ?? {}, taskVariables(task, instance), { now });
  if (!checked.ok) throw new RuntimeError('validation_failed', checked.message, { fields: checked.fields });
  return checked.values;
}

export function requireReason(reason: string) {
  if (typeof reason !== 'string' || !reason.trim()) throw new RuntimeError('bad_request', '请填写操作原因', { fields: { reason: '请填写操作原因' } });
}

export function normalizeBusinessKey(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new RuntimeError('bad_request', '业务编号必须是文本', { fields: { businessKey: '业务编号必须是文本' } });
  const trimmed = value.trim();
  if (trimmed.length > 200) throw new RuntimeError('bad_request', '业务编号过长（最多 200 个字符）', { fields: { businessKey: '业务编号过长' } });
  return trimmed || null;
}

/** Whether the actor may act on the task: its holder, or — while nobody holds it — a candidate user or group member. */
export function canAct(
  task: Pick<TaskDoc, 'assignee' | 'candidateUsers' | 'candidateGroups'>,
  actor: { id: string; groups: string[]; unitId?: string | null },
): boolean {
  if (task.assignee) return task.assignee === actor.id;
  if (task.candidateUsers.includes(actor.id)) return true;
  const keys = actorGroupKeys(actor);
  return task.candidateGroups.some((g) => keys.includes(g));
}

/** How deeply submitted values may nest (docs/SECURITY.md); forms submit flat values. */
export const MAX_VALUE_DEPTH = 16;

/**
 * Refuses submitted values the database cannot store or that would be read as operators: names starting with `$`
 * or containing `.` or NUL, NUL in text, nesting deeper than {@link MAX_VALUE_DEPTH}. Checked before anything runs,
 * so such input is a 400 naming the variable and nothing is stored.
 */
export function refuseUnstorableValues(input: unknown): void {
  if (!input || typeof input !== 'object') return;
  const stack: { value: unknown; depth: number; top: string }[] = Object.entries(input).map(([key, value]) => {
    refuseName(key, key);
    return { value, depth: 1, top: key };
  });
  while (stack.length) {
    const { value, depth, top } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\0')) refuse(top, `“${shown(top)}”的内容含有空字符（\\0），不能保存`);
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_VALUE_DEPTH) refuse(top, `“${shown(top)}”嵌套层次过深（最多 ${MAX_VALUE_DEPTH} 层）`);
    for (const [key, inner] of Object.entries(value)) {
      if (!Array.isArray(value)) refuseName(key, top);
      stack.push({ value: inner, depth: depth + 1, top });
    }
  }
}

function refuseName(key: string, top: string) {
  if (key.startsWith('$') || key.includes('.') || key.includes('\0')) {
    refuse(top, `变量名“${shown(key)}”不能以 $ 开头，也不能含有“.”或空字符`);
  }
}

const shown = (name: string) => name.replace(/\0/g, '\\0').slice(0, 60);

function refuse(field: string, message: string): never {
  throw new RuntimeError('validation_failed', message, { fields: { [shown(field)]: message } });
}

import type { InstanceDoc, TaskDoc } from '../db/types.js';
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
  const known = new Set((schema?.fields ?? []).filter((f) => !f.constraints?.readonly).map((f) => f.id));
  const unknown = Object.keys(input).filter((key) => !known.has(key));
  if (unknown.length) {
    const fields = Object.fromEntries(unknown.slice(0, 20).map((key) => [key.slice(0, 100), '表单中没有该字段']));
    throw new RuntimeError('validation_failed', `表单中没有这些字段：${unknown.slice(0, 5).join('、').slice(0, 200)}`, { fields });
  }
}

/**
 * A multi-instance task marked `distinctPerformers` (P1's independent expert scores) takes each iteration from a
 * different person within its sub-process iteration: the results already collected there name who did them.
 */
export function refuseRepeatPerformer(definition: RunnableDefinition, instance: Pick<InstanceDoc, 'variables' | 'scopes'>, task: TaskDoc, actorId: string) {
  const spec = definition.model.userTasks.get(task.elementId);
  if (!spec?.distinctPerformers || !task.isMultiInstance) return;
  const results = scopedVariables(instance.variables ?? {}, instance.scopes ?? {}, task.scopeId ?? null)[`${task.elementId}Results`];
  if (!Array.isArray(results) || !results.some((r) => (r as { by?: unknown })?.by === actorId)) return;
  const source = task.documentation?.split('\n')[0]?.trim();
  const what = task.subject ? `“${task.subject}”的` : '';
  throw new RuntimeError('forbidden', `您已办理过${what}“${task.name}”：该环节须由不同人员各自独立办理，同一人不能办理两份${source ? `（${source}）` : ''}`);
}

/** The variables a task's form is shown and checked against: the instance's, its iteration's, its element variable. */
export function taskVariables(task: TaskDoc, instance: Pick<InstanceDoc, 'variables' | 'scopes'> | null): Record<string, unknown> {
  const context = scopedVariables(instance?.variables ?? {}, instance?.scopes ?? {}, task.scopeId ?? null);
  return task.elementVariable ? { ...context, [task.elementVariable.name]: task.elementVariable.value } : context;
}

/** Validates submitted values against the task's form in its context; the values as they will be stored. */
export function checkTaskInput(task: TaskDoc, input: unknown, instance: Pick<InstanceDoc, 'variables' | 'scopes'>): Record<string, unknown> {
  const schema = task.formSchema as FormSchema | null;
  if (!schema || !schema.fields?.length) return {};
  const checked = validateFormValues(schema, input ?? {}, taskVariables(task, instance));
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
export function canAct(task: Pick<TaskDoc, 'assignee' | 'candidateUsers' | 'candidateGroups'>, actor: { id: string; groups: string[] }): boolean {
  if (task.assignee) return task.assignee === actor.id;
  return task.candidateUsers.includes(actor.id) || task.candidateGroups.some((g) => actor.groups.includes(g));
}

import { randomUUID } from 'node:crypto';
import { sanitizeVariables } from '../../engine/run-step.js';
import type { FormSchema } from '../../forms/schema.js';
import type { OrgSnapshot } from '../../org/scoping.js';
import { unitKindName } from '../../org/units.js';
import { validateFormValues } from '../../forms/validate.js';
import { RuntimeError, type Actor, type InstanceView } from '../api.js';
import type { RuntimeContext } from '../context.js';
import { deriveStep } from '../derive.js';
import { engineStep } from '../engine-step.js';
import type { Instance } from '../instance-store.js';
import type { Queries } from '../queries.js';
import { normalizeBusinessKey, refuseUnknownFields, refuseUnstorableValues } from '../task-input.js';

type StartInput = { businessKey?: string | null; variables?: Record<string, unknown>; unitId?: string | null };

/** Starts an instance of the newest version of `key`: its first step is committed like every other (revision 1). */
export async function startInstance(
  ctx: RuntimeContext,
  queries: Queries,
  key: string,
  input: StartInput,
  actor: Actor,
  options: { rejectUnknownFields?: boolean } = {},
): Promise<InstanceView> {
  const { definition, org, unitId, businessKey, variables } = await checkStart(ctx, key, input, actor, options);
  // `camunda:initiator`: who started it, under the name the diagram gives (e.g. the reporter who must check).
  const initiator = definition.model.initiatorVariable;
  if (initiator) variables[initiator] = actor.id;
  const id = randomUUID();
  const now = ctx.clock.now();
  const result = await engineStep(ctx, definition, { id, variables, businessKey }, { type: 'start' });
  const base = { _id: id, rev: 0, variables: {}, businessKey, status: 'running' as const, openTasks: [], unitId };
  const derived = deriveStep(base, result, definition, {
    now,
    actor: actor.id,
    audit: [{ type: 'instance.started', data: { version: definition.doc.version, businessKey, variables, unitId } }],
    org,
  });
  const instance = {
    _id: id,
    processKey: definition.doc.key,
    processName: definition.doc.name,
    version: definition.doc.version,
    definitionId: definition.doc._id,
    businessKey,
    status: 'running',
    rev: 1,
    engineState: null,
    variables,
    activeElements: [],
    timers: [],
    nextTimerAt: null,
    incident: null,
    incidents: [],
    openTasks: [],
    unitId,
    unitPath: org.path(unitId),
    startedBy: actor.id,
    startedAt: now,
    updatedAt: now,
    endedAt: null,
    ...derived.set,
  } as Instance;
  const committed = await ctx.work.start(id, { at: now, fields: instance, outbox: derived.outbox });
  return queries.viewOf(committed);
}

/**
 * What a start is checked for before anything runs: who may start the process, the case's unit, the business key and
 * the start form. Throws the refusal as a RuntimeError; the start page also asks it alone, to show a form's mistakes
 * together with its refused files.
 */
export async function checkStart(ctx: RuntimeContext, key: string, input: StartInput, actor: Actor, options: { rejectUnknownFields?: boolean } = {}) {
  const definition = await ctx.definitions.runnable(await ctx.definitions.latest(key));
  const starters = definition.model.starterGroups;
  if (starters.length && !actor.groups.includes('admin') && !starters.some((g) => actor.groups.includes(g))) {
    throw new RuntimeError('forbidden', '您所在的用户组不能发起该流程');
  }
  const org = await ctx.org.snapshot();
  const unitId = caseUnit(org, input.unitId, actor);
  const kinds = definition.model.caseUnitKinds;
  const unitKind = org.unit(unitId)?.kind;
  if (unitId && unitKind && kinds.length && !kinds.includes(unitKind)) {
    const wanted = kinds.map(unitKindName).join('或');
    throw new RuntimeError('validation_failed', `该流程须为某个${wanted}发起：请在“所属单位”中选择${wanted}`, { fields: { unitId: `请选择${wanted}` } });
  }
  const businessKey = normalizeBusinessKey(input.businessKey);
  const variables = startVariables(definition.model.startForm as FormSchema | null, input.variables, options, ctx.clock.now());
  return { definition, org, unitId, businessKey, variables };
}

/**
 * The unit the case belongs to: the one asked for, if it lies in the starter's unit (an administrator may choose
 * any), else the starter's own; an organisation acts for the unit it is attached to (区残联 for its district). Null
 * (the whole organisation) for a starter of no unit.
 */
function caseUnit(org: OrgSnapshot, requested: unknown, actor: Actor): string | null {
  const home = org.homeUnit(actor.unitId);
  if (requested === undefined || requested === null || requested === '') return home;
  if (typeof requested !== 'string' || !org.unit(requested)) {
    throw new RuntimeError('validation_failed', '所属单位不存在', { fields: { unitId: '所属单位不存在' } });
  }
  const admin = actor.groups.includes('admin');
  if (!admin && !(home && org.isWithin(requested, home))) {
    throw new RuntimeError('forbidden', '您只能为本单位或下级单位发起流程', { fields: { unitId: '不在您的管辖范围内' } });
  }
  return requested;
}

function startVariables(form: FormSchema | null, input: unknown, options: { rejectUnknownFields?: boolean }, now: Date): Record<string, unknown> {
  refuseUnstorableValues(input);
  if (options.rejectUnknownFields && form?.fields?.length) refuseUnknownFields(form, input);
  if (form && form.fields?.length) {
    const checked = validateFormValues(form, input ?? {}, {}, { now });
    if (!checked.ok) throw new RuntimeError('validation_failed', checked.message, { fields: checked.fields });
    return checked.values;
  }
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw new RuntimeError('bad_request', 'variables 必须是对象');
  }
  if (options.rejectUnknownFields) {
    const hostile = Object.keys(input ?? {}).filter((k) => k === '__proto__' || k === 'constructor' || k === 'prototype');
    if (hostile.length) {
      throw new RuntimeError('validation_failed', `不允许的变量名：${hostile.join('、')}`, { fields: Object.fromEntries(hostile.map((k) => [k, '不允许的变量名'])) });
    }
  }
  return sanitizeVariables((input ?? {}) as Record<string, unknown>);
}

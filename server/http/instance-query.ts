import type { Request } from 'express';
import { isAdmin } from '../auth/middleware.js';
import type { InstanceStatus } from '../db/types.js';
import { isIsoDate } from '../forms/schema.js';
import type { Actor, InstanceQuery } from '../runtime/api.js';
import { badRequest, forbidden } from './errors.js';
import { query } from './request-params.js';

const INSTANCE_STATUSES: readonly InstanceStatus[] = ['running', 'completed', 'incident', 'cancelled'];

export type InstanceScope = 'mine' | 'unit' | 'all';

export interface InstanceListRequest {
  scope: InstanceScope;
  /** Narrowed to what the person may see: their own cases, their unit's subtree, or (administrators) any. */
  query: InstanceQuery;
  /** 事项名称/业务编号: part of the process name or of the business key (server/records/instance-search.ts). */
  text?: string;
}

/**
 * The filters of `GET /api/instances` and of its Excel export, with one permission rule for both: administrators see
 * every case; others those they started (`mine`) or those of their unit and the units under it (`unit`).
 */
export function instanceListRequest(req: Request, actor: Actor): InstanceListRequest {
  const admin = isAdmin(actor);
  const status = query(req, 'status');
  if (status !== undefined && !INSTANCE_STATUSES.includes(status as InstanceStatus)) {
    throw badRequest(`status 应为 ${INSTANCE_STATUSES.join('、')} 之一`, { status: '取值无效' });
  }
  const startedBy = query(req, 'startedBy');
  const scope = query(req, 'scope') ?? (admin ? 'all' : 'mine');
  if (scope !== 'mine' && scope !== 'unit' && scope !== 'all') throw badRequest('scope 应为 mine、unit 或 all', { scope: '取值无效' });
  if (scope === 'all' && !admin) throw forbidden('只有管理员可以查看全部流程实例');
  if (scope === 'unit' && !actor.unitId) throw forbidden('您不属于任何单位');
  if (!admin && startedBy !== undefined && startedBy !== actor.id && scope !== 'unit') throw forbidden('只能查看自己发起的流程实例');
  const unitId = query(req, 'unitId');
  const from = day(req, 'from', false);
  const to = day(req, 'to', true);
  if (from && to && from > to) throw badRequest('开始日期不能晚于结束日期', { from: '不能晚于结束日期' });
  const text = query(req, 'q')?.trim().slice(0, 200);
  return {
    scope,
    text: text || undefined,
    query: {
      status: status as InstanceStatus | undefined,
      processKey: query(req, 'process') ?? query(req, 'processKey'),
      businessKey: query(req, 'businessKey'),
      ...(scope === 'unit' ? { unitWithin: actor.unitId! } : admin && unitId ? { unitWithin: unitId } : {}),
      startedBy: admin || scope === 'unit' ? startedBy : actor.id,
      ...(from ? { startedFrom: from } : {}),
      ...(to ? { startedTo: to } : {}),
    },
  };
}

/** A `YYYY-MM-DD` day of Beijing time as its first (or last) moment. */
function day(req: Request, name: string, endOfDay: boolean): Date | undefined {
  const text = query(req, name);
  if (text === undefined) return undefined;
  if (!isIsoDate(text)) throw badRequest(`${name} 应为日期，格式为 YYYY-MM-DD`, { [name]: '格式应为 YYYY-MM-DD' });
  return new Date(`${text}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}+08:00`);
}

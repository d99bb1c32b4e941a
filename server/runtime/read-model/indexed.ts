import { actorGroupKeys } from '../../org/scoping.js';
import type { Filter } from 'mongodb';
import type { Collections } from '../../db/collections.js';
import type { InstanceDoc, InstanceStatus, TaskDoc } from '../../db/types.js';
import type { InstanceQuery } from '../api.js';
import { LIST_PROJECTION, type InstanceCount, type InstanceListItem, type ReadModel } from './read-model.js';
import type { TaskFilter } from './task-index.js';

/**
 * The shared read side: several servers on one database, so nothing kept in memory can be trusted and every answer
 * is a query on the records themselves, served by the indexes in server/db/collections.ts (on MongoDB; FerretDB 1.24
 * reads the whole collection for them — correct, and what the tests and the two-server chaos run use).
 */
export class IndexedReadModel implements ReadModel {
  readonly strategy = 'shared' as const;

  constructor(private readonly collections: Pick<Collections, 'tasks' | 'instances'>) {}

  async open(): Promise<void> {}

  applied(): void {}

  async openTasks(filter: TaskFilter, limit: number, before?: { createdAt: Date; id: string }): Promise<TaskDoc[]> {
    const query = taskQuery(filter);
    if (before) {
      query.$and = [{ $or: [{ createdAt: { $lt: before.createdAt } }, { createdAt: before.createdAt, _id: { $lt: before.id } }] }];
    }
    return this.collections.tasks.find(query).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
  }

  countOpenTasks(filter: TaskFilter): Promise<number> {
    return this.collections.tasks.countDocuments(taskQuery(filter));
  }

  openTask(): undefined {
    return undefined;
  }

  async listInstances(query: InstanceQuery, limit: number, skip: number): Promise<{ items: InstanceListItem[]; total: number }> {
    const filter: Filter<InstanceDoc> = {};
    if (query.status) filter.status = query.status;
    if (query.processKey) filter.processKey = query.processKey;
    if (query.businessKey) filter.businessKey = query.businessKey;
    else if (query.businessKeyContains) filter.businessKey = { $regex: query.businessKeyContains.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' };
    if (query.startedBy) filter.startedBy = query.startedBy;
    if (query.unitWithin) filter.unitPath = query.unitWithin;
    if (query.startedFrom || query.startedTo) {
      filter.startedAt = { ...(query.startedFrom ? { $gte: query.startedFrom } : {}), ...(query.startedTo ? { $lte: query.startedTo } : {}) };
    }
    const [items, total] = await Promise.all([
      this.collections.instances.find(filter, { projection: LIST_PROJECTION }).sort({ startedAt: -1, _id: 1 }).skip(skip).limit(limit).toArray(),
      this.collections.instances.countDocuments(filter),
    ]);
    return { items: items as InstanceListItem[], total };
  }

  async countInstances(): Promise<InstanceCount[]> {
    const groups = await this.collections.instances
      .aggregate<{ _id: { processKey: string; version: number; status: InstanceStatus }; count: number }>([
        { $group: { _id: { processKey: '$processKey', version: '$version', status: '$status' }, count: { $sum: 1 } } },
      ])
      .toArray();
    return groups.map((g) => ({ ...g._id, count: g.count }));
  }

  async heldSubmissions(): Promise<string[]> {
    const held = await this.collections.tasks.find({ status: 'open', 'held.round': { $gt: '' } }, { projection: { _id: 1 } }).toArray();
    return held.map((t) => t._id);
  }

  async dueTimers(now: Date, limit: number): Promise<string[]> {
    const due = await this.collections.instances
      .find({ nextTimerAt: { $lte: now }, status: { $in: ['running', 'incident'] } }, { projection: { _id: 1 } })
      .sort({ nextTimerAt: 1 })
      .limit(limit)
      .toArray();
    return due.map((d) => d._id);
  }
}

function taskQuery(filter: TaskFilter): Filter<TaskDoc> {
  const query: Filter<TaskDoc> = { status: 'open' };
  if (filter.scope === 'mine') query.assignee = filter.actor.id;
  else if (filter.scope === 'candidate') {
    query.assignee = null;
    query.$or = [{ candidateGroups: { $in: actorGroupKeys(filter.actor) } }, { candidateUsers: filter.actor.id }];
    query.excludedUsers = { $ne: filter.actor.id };
  } else if (filter.scope === 'signer') query.cosigners = filter.actor.id;
  if (filter.processKey) query.processKey = filter.processKey;
  if (filter.businessKey) query.businessKey = filter.businessKey;
  return query;
}

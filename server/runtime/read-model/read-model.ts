import type { InstanceStatus, OutboxOp, TaskDoc } from '../../db/types.js';
import type { InstanceQuery } from '../api.js';
import type { Instance } from '../instance-store.js';
import type { TaskFilter } from './task-index.js';

export type { TaskFilter } from './task-index.js';

export type { InstanceListItem } from '../api.js';
import type { InstanceListItem } from '../api.js';

/** The fields of {@link InstanceListItem}, as a projection. */
export const LIST_PROJECTION = {
  processKey: 1, processName: 1, version: 1, businessKey: 1, status: 1, activeElements: 1, nextTimerAt: 1, incident: 1,
  startedBy: 1, unitId: 1, unitPath: 1, startedAt: 1, updatedAt: 1, endedAt: 1,
} as const;

export interface InstanceCount {
  processKey: string;
  version: number;
  status: InstanceStatus;
  count: number;
}

/**
 * What is being worked on, as inboxes, instance lists and the timer poller ask for it. Two strategies, chosen at
 * start-up (docs/ARCHITECTURE.md, "Read side"):
 * - `embedded` (memory.ts): this server is the database's only one, so it keeps the open tasks, instance summaries
 *   and due timers in memory, filled by one scan at start-up and kept by its own steps;
 * - `shared` (indexed.ts): several servers on one database; every answer is an indexed query.
 */
export interface ReadModel {
  readonly strategy: 'embedded' | 'shared';
  /** Reads what it needs from the database (after start-up recovery has finished every unfinished step). */
  open(): Promise<void>;
  /** A step's writes have landed: `instance` as it is now, `outbox` its derived writes. */
  applied(instance: Instance, outbox: OutboxOp[]): void;
  /** Open tasks, newest first (createdAt, then _id, descending), after the `before` cursor. Records without form. */
  openTasks(filter: TaskFilter, limit: number, before?: { createdAt: Date; id: string }): Promise<TaskDoc[]>;
  countOpenTasks(filter: TaskFilter): Promise<number>;
  /** An open task's record (without form) if this read side holds it authoritatively (embedded), else undefined. */
  openTask(taskId: string): TaskDoc | undefined;
  /** Instances newest first, filtered; a page of them and how many match. */
  listInstances(query: InstanceQuery, limit: number, skip: number): Promise<{ items: InstanceListItem[]; total: number }>;
  countInstances(): Promise<InstanceCount[]>;
  /** Open tasks submitted for 后加签 (their completion waits on signers); embedded: as found by the start-up scan. */
  heldSubmissions(): Promise<string[]>;
  /** Instances with a timer due by `now`, running or in incident; at most `limit`. */
  dueTimers(now: Date, limit: number): Promise<string[]>;
}

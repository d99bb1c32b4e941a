import type { Collections } from '../db/collections.js';
import type { Clock } from '../engine/clock.js';
import type { OrgDirectory } from '../org/directory.js';
import type { Mailbox } from './mailbox.js';
import type { TaskDrafts } from './task-drafts.js';
import type { ServiceHandler } from '../services/types.js';
import type { DefinitionStore } from './definitions.js';
import type { ReadModel } from './read-model/read-model.js';
import type { UnitOfWork } from './unit-of-work.js';

/** What every command and query is given: the runtime's parts, passed explicitly (no module-level state). */
export interface RuntimeContext {
  collections: Collections;
  definitions: DefinitionStore;
  clock: Clock;
  services: Record<string, ServiceHandler>;
  work: UnitOfWork;
  readModel: ReadModel;
  /** Units and roles, to offer each new task to the people of its case's unit. */
  org: OrgDirectory;
  /** 站内消息 (server/runtime/mailbox.ts). */
  mailbox: Mailbox;
  /** 暂存 (server/runtime/task-drafts.ts). */
  taskDrafts: TaskDrafts;
  /** Whether the database answers queries on fields other than `_id` from an index (MongoDB: yes; FerretDB: no). */
  indexedReads: boolean;
}

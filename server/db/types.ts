/**
 * Document shapes of the runtime state model (docs/ARCHITECTURE.md, "Runtime state model").
 * Dates are BSON dates (JS `Date`). Every document uses a string `_id` chosen by the writer, so
 * re-applying a write (outbox, audit) is idempotent.
 */

import type { Scopes } from '../engine/scopes.js';

/** One deployed version of a process: `_id = <key>:<version>`. */
export interface DefinitionDoc {
  _id: string;
  /** The BPMN process id (`bpmn:process/@id`). */
  key: string;
  /** 1, 2, 3… per key. */
  version: number;
  /** The process name (`bpmn:process/@name`), Chinese. */
  name: string | null;
  xml: string;
  /** sha256 (hex) of the XML; deploying identical XML again returns the existing version. */
  hash: string;
  deployedAt: Date;
  deployedBy: string | null;
}

export type InstanceStatus = 'running' | 'completed' | 'incident' | 'cancelled';

export interface IncidentInfo {
  elementId: string;
  /** Chinese message shown to staff (e.g. a RuleViolation's message). */
  message: string;
  at: Date;
  /** Service-task topic, when the incident came from a handler. */
  topic?: string | null;
  /** Technical detail (stack, error name); not shown to the public. */
  detail?: string | null;
}

/** A durable timer waiting inside an instance; `InstanceDoc.nextTimerAt` is the earliest `dueAt`. */
export interface PendingTimer {
  /** Stable id (e.g. `<elementId>:<executionId>`). */
  id: string;
  elementId: string;
  executionId: string;
  dueAt: Date;
  /** The ISO 8601 text it came from (`timeDate` / `timeDuration` / `timeCycle`). */
  expression: string;
}

/**
 * A derived write of a committed step, applied after the commit and again by start-up recovery for a commit that
 * is still in `commits`; every op is idempotent and safe to apply after a later step's (see runtime/apply.ts).
 */
export type OutboxOp =
  | { op: 'upsertTask'; task: TaskDoc }
  | { op: 'closeTasks'; taskIds: string[]; status: 'completed' | 'cancelled'; at: Date; by: string | null }
  | { op: 'insertAudit'; entries: AuditDoc[] }
  | { op: 'insertNotice'; notice: NoticeDoc }
  | { op: 'insertSignoff'; signoff: SignoffDoc }
  | { op: 'assignTask'; taskId: string; assignee: string | null; rev: number; owner?: string | null; cosigners?: string[]; held?: HeldCompletion | null }
  | { op: 'excludePerformer'; taskIds: string[]; user: string };

/**
 * A step's commit: `_id = <instanceId>:<rev>`. Inserting it is the step's one atomic write (a unique `_id` is the
 * only write FerretDB 1.24 makes atomic across connections); it carries everything the step changes, so a step cut
 * after it is finished from it. The embedded strategy deletes a commit once its writes are applied, so the
 * collection holds only unfinished steps; the shared strategy keeps a small marker (the guard of its revision
 * against a server acting on an older view) and `open` until the step is finished (server/runtime/commit-log.ts).
 */
export interface CommitDoc {
  _id: string;
  instanceId: string;
  rev: number;
  at: Date;
  /** Set until the step's writes are applied (shared strategy: what start-up recovery looks for). */
  open?: true;
  /** Deflated BSON of `{ set, outbox }` without the engine state (server/runtime/packed.ts); dropped once superseded. */
  payload?: unknown;
  /** The engine state the step sets, packed as on the instance document. */
  state?: unknown;
}

/** The embedded strategy's ownership of a database (server/runtime/owner-lease.ts). */
export interface LeaseDoc {
  _id: string;
  host: string;
  pid: number;
  at: Date;
}

export interface InstanceDoc {
  _id: string;
  processKey: string;
  processName: string | null;
  version: number;
  /** `DefinitionDoc._id` of the version the instance runs. */
  definitionId: string;
  businessKey: string | null;
  status: InstanceStatus;
  /** The revision of the newest commit applied to this document (`commits/<_id>:<rev>`). */
  rev: number;
  /**
   * bpmn-engine state (`engine.getState()`) without the source XML: its JSON text, stored deflated as binary
   * (server/runtime/packed.ts). Only the runtime reads it.
   */
  engineState: unknown;
  variables: Record<string, unknown>;
  /** Iteration scopes of multi-instance sub-processes, by iteration execution id (server/engine/scopes.ts). */
  scopes?: Scopes;
  /** Ids of the elements currently waiting (user tasks, timers, …). */
  activeElements: string[];
  timers: PendingTimer[];
  /** Earliest pending timer, or null: what the timer poller looks for (server/runtime/read-model/). */
  nextTimerAt: Date | null;
  /** First open incident, for lists; `incidents` has them all. */
  incident: IncidentInfo | null;
  incidents: IncidentInfo[];
  /** User tasks waiting in the engine, and who holds each (the instance is the source of truth for claims). */
  openTasks: OpenTaskRef[];
  /** The unit the case belongs to (server/org), null for a case of the whole organisation. */
  unitId: string | null;
  /** That unit and its ancestors, root first: who may see the case (a unit sees its subtree's cases). */
  unitPath: string[];
  startedBy: string | null;
  startedAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
}

export type TaskStatus = 'open' | 'completed' | 'cancelled';

/** A user task waiting in the engine, as its instance records it. */
export interface OpenTaskRef {
  taskId: string;
  executionId: string;
  elementId: string;
  createdAt: Date;
  /** Who holds the task: set by the process (assignee) or by a claim; null while it sits in the group pool. */
  assignee?: string | null;
  /** While delegated (委派): who delegated it and gets it back when the delegate is done. */
  owner?: string | null;
  /** Signers added (加签). */
  cosigners?: string[];
  /** 后加签: the submitted form waiting for them. */
  held?: HeldCompletion;
}

/** A completion waiting for signers added after it (后加签): what the holder submitted, and when. */
export interface HeldCompletion {
  values: Record<string, unknown>;
  by: string;
  at: Date;
  /** Names this submission's signatures: a submission after a refusal is signed afresh. */
  round: string;
}

/** One user-task execution, derived from the instance: `_id = <instanceId>:<executionId>`. */
export interface TaskDoc {
  _id: string;
  instanceId: string;
  processKey: string;
  processName: string | null;
  version: number;
  elementId: string;
  /** Task name (Chinese). */
  name: string;
  executionId: string;
  businessKey: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  assignee: string | null;
  /** The revision of the step that last set `assignee`: a recovered older step never undoes a newer claim. */
  assignRev?: number;
  /** While delegated (委派): the delegator, to whom the task returns when the delegate is done. */
  owner?: string | null;
  /** Signers added (加签): the task is completed only once each has signed. */
  cosigners?: string[];
  /** 后加签: the holder's submitted form, completed with once the added signers have all signed. */
  held?: HeldCompletion | null;
  dueAt: Date | null;
  priority: number;
  /**
   * The form read from `camunda:formData` (see server/forms). Not stored: it is the process version's, and the
   * runtime fills it in from the definition.
   */
  formSchema: unknown;
  /** `bpmn:documentation`: first line the citation, the rest the sentence it enforces. */
  documentation: string | null;
  status: TaskStatus;
  createdAt: Date;
  completedAt: Date | null;
  completedBy: string | null;
  isMultiInstance: boolean;
  /** Iteration index of a multi-instance task, else null. */
  loopIndex: number | null;
  /** The multi-instance element variable of this iteration (e.g. `expert` = the expert's user id). */
  elementVariable?: { name: string; value: unknown };
  /** The sub-process iteration the task waits in: its variables overlay the instance's (server/engine/scopes.ts). */
  scopeId?: string | null;
  /** Who or what that iteration is about (the community in a P1 track), shown beside the step name. */
  subject?: string | null;
  /** The unit the task waits in and its ancestors, root first (the instance's, or a P1 track's community). */
  unitPath?: string[];
  /**
   * Who has done another iteration of this `distinctPerformers` step (in its scope): the task is not offered to them,
   * since the runtime would refuse their completion (server/runtime/task-input.ts, `refuseRepeatPerformer`).
   */
  excludedUsers?: string[];
}

/** Append-only history: `_id = <instanceId>:<rev>:<n>`. */
export interface AuditDoc {
  _id: string;
  instanceId: string;
  processKey: string;
  /** Instance `rev` produced by the step that wrote this entry. */
  rev: number;
  /** Position within that step. */
  n: number;
  at: Date;
  /** e.g. `instance.started`, `task.created`, `task.claimed`, `task.completed`, `timer.fired`, `incident`, `instance.completed`. */
  type: string;
  elementId: string | null;
  taskId: string | null;
  /** User id, or null for the system (timers, services). */
  actor: string | null;
  data: Record<string, unknown>;
}

/** A published notice (公示). */
export interface NoticeDoc {
  _id: string;
  instanceId: string;
  processKey: string;
  businessKey: string | null;
  /** Template file name in `forms/notices/` without `.hbs`. */
  template: string;
  title: string;
  kind: string;
  /** Rendered HTML body. */
  html: string;
  /** Publicity period, in (calendar or working) days. */
  days: number;
  workingDays: boolean;
  publishedAt: Date;
  endAt: Date;
  elementId: string | null;
  /** The case's unit and its ancestors (the board filters by unit); empty for a case of no unit. */
  unitId?: string | null;
  unitPath?: string[];
}

export type SignoffDecision = 'approve' | 'reject' | 'return';

/** Stored when an approval step (decision + opinion) is completed; `_id` = the task id. */
export interface SignoffDoc {
  _id: string;
  instanceId: string;
  processKey: string;
  taskId: string;
  elementId: string;
  /** Task name (Chinese). */
  stepName: string;
  decision: SignoffDecision;
  opinion: string | null;
  by: string;
  byName: string | null;
  at: Date;
  /** Policy citation (first line of the element's documentation). */
  source: string | null;
  loopIndex: number | null;
  /** The candidate group the signer acted for. */
  group: string | null;
  /** SHA-256 of the submitted values (keys sorted), binding the sign-off to exactly what was submitted. */
  valuesHash: string;
}

export interface UserDoc {
  _id: string;
  /** Unique login name. */
  username: string;
  displayName: string;
  /** Roles (group ids) the user holds in their unit, matched against `candidateGroups` (server/org/scoping.ts). */
  groups: string[];
  /** The unit the user belongs to; null only for an administrator of the whole organisation. */
  unitId: string | null;
  passwordHash: string;
  disabled: boolean;
  /** Set when an administrator chose the password: the user may only change it until they do. */
  mustChangePassword?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type UnitKind = 'city' | 'district' | 'street' | 'community' | 'grid' | 'organization';

/** A unit of the organisation tree (server/org/units.ts). */
export interface UnitDoc {
  _id: string;
  /** Chinese name, e.g. 幸福社区. */
  name: string;
  kind: UnitKind;
  parentId: string | null;
  /** Ancestors and the unit itself, root first. */
  path: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** An administrator's action on the organisation or its users (server/org/admin-audit.ts). */
export interface OrgAuditDoc {
  _id: string;
  at: Date;
  actor: string;
  /** e.g. `unit.created`, `user.updated`, `user.password_reset`, `users.imported`. */
  type: string;
  target: string;
  data: Record<string, unknown>;
}

export type MessageKind = 'remind' | 'cc' | 'return' | 'transfer' | 'delegate' | 'resolved' | 'cosign' | 'cosigned' | 'released';

/** One stored message of a user's 站内消息 (server/runtime/mailbox.ts). */
export interface StoredMessage {
  /** Deterministic, so delivering the same message twice keeps one. */
  id: string;
  kind: MessageKind;
  title: string;
  text: string | null;
  instanceId: string | null;
  taskId: string | null;
  by: string | null;
  at: Date;
  read: boolean;
}

/** A user's mailbox: `_id` = the user id; the newest messages first, at most MAILBOX_SIZE. */
export interface MailboxDoc {
  _id: string;
  rev: number;
  messages: StoredMessage[];
  /** New-task and due-date notices (computed from the inbox) up to this time are read. */
  readUntil: Date | null;
  /** Computed notices read one by one (`task:<id>`, `due:<id>`, `overdue:<id>`), newest last. */
  readIds: string[];
}

/** 抄送: a case copied to a user; `_id = <instanceId>:<user>` (a later copy of the same case updates it). */
export interface CopyDoc {
  _id: string;
  instanceId: string;
  taskId: string | null;
  user: string;
  by: string;
  at: Date;
  processName: string | null;
  businessKey: string | null;
  step: string | null;
  note: string | null;
}

/** 催办: one per task and interval window, `_id = <taskId>:<window>` (the unique insert makes "once per interval" atomic). */
export interface ReminderDoc {
  _id: string;
  taskId: string;
  by: string;
  at: Date;
}

/** 暂存: a task form saved without completing, `_id = <taskId>:<user>`. */
export interface TaskDraftDoc {
  _id: string;
  taskId: string;
  user: string;
  values: Record<string, unknown>;
  savedAt: Date;
}

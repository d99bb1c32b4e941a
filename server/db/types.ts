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
 * A derived write of the last committed step, applied idempotently after the commit
 * (and re-applied at start-up if the server died in between).
 */
export type OutboxOp =
  | { op: 'upsertTask'; task: TaskDoc }
  | { op: 'closeTasks'; taskIds: string[]; status: 'completed' | 'cancelled'; at: Date; by: string | null }
  | { op: 'insertAudit'; entries: AuditDoc[] }
  | { op: 'insertNotice'; notice: NoticeDoc }
  | { op: 'insertSignoff'; signoff: SignoffDoc }
  | { op: 'assignTask'; taskId: string; assignee: string | null; rev: number }
  /** The instance's earliest timer moved: `due` is the entry to add to `duetimers`, `done` the one to remove. */
  | { op: 'timerIndex'; instanceId: string; due: Date | null; done: Date | null }
  /** The instance's entry in `instancelist`: all of it at the start, the status fields when they change. */
  | { op: 'instanceSummary'; instanceId: string; set: Partial<Omit<InstanceSummaryDoc, '_id'>>; upsert: boolean };

/**
 * What instance lists filter and sort on, one small document per instance (`_id` = the instance id), so that a list
 * does not read the instances' full documents (FerretDB reads every document of a collection for any filter).
 * Written with the instance's other derived writes; the list shows the instances' own documents.
 */
export interface InstanceSummaryDoc {
  _id: string;
  processKey: string;
  version: number;
  businessKey: string | null;
  status: InstanceStatus;
  startedBy: string | null;
  startedAt: Date;
  endedAt: Date | null;
  /** The instance revision that wrote `status`: an older write seen late is told apart by it. */
  rev: number;
}

/**
 * The commit log of instance steps: `_id = <instanceId>:<rev>`. Inserting it is what commits a step — the unique
 * `_id` is the one atomic guard FerretDB 1.24 (SQLite) gives across connections (its conditional updates are
 * not atomic: several `updateOne({_id, rev})` racing all succeed). The instance document is the materialized
 * view of the newest commit; it is written only after the step's derived writes, so a view at revision N means
 * commit N's outbox has been applied. The payload is dropped from a commit once a newer one is settled.
 */
export interface CommitDoc {
  _id: string;
  instanceId: string;
  rev: number;
  at: Date;
  /**
   * Written by older versions: true until the step was finished. Now each server's record in `servers` lists the
   * commits it may not have finished (server/runtime/step-journal.ts).
   */
  pending?: boolean;
  /**
   * Deflated BSON of `{ set, outbox }` (server/runtime/packed.ts): the instance fields the step sets, but for the
   * engine state (`state`), and its derived writes; older versions wrote plain BSON with the state inside. One
   * opaque value instead of a nested document: FerretDB parses and re-serializes every field of a document on each
   * read and update, which made large nested documents the main cost of a step.
   */
  payload?: Uint8Array | { buffer: Uint8Array };
  /** The engine state the step sets, packed as on the instance document (server/runtime/packed.ts); not in `payload`. */
  state?: unknown;
  /** Commits written before the payload existed carry the fields (and their outbox) here. */
  set?: Partial<InstanceDoc>;
}

/**
 * One pending timer of an instance: `_id = <instanceId>:<dueAt ms>`, one per instance (its `nextTimerAt`). The timer
 * poller scans this small collection instead of every instance (FerretDB's SQLite backend filters only `_id`
 * equality itself; any other filter reads the whole collection). Written through the outbox, so it is re-applied
 * after a crash; an entry that no longer matches its instance's `nextTimerAt` is removed by the poller.
 */
export interface DueTimerDoc {
  _id: string;
  instanceId: string;
  dueAt: Date;
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
  /** Optimistic lock: every write is `updateOne({ _id, rev }, { $set: { …, rev: rev + 1 } })`. */
  rev: number;
  /**
   * bpmn-engine state (`engine.getState()`) without the source XML: its JSON text, stored deflated as binary
   * (server/runtime/packed.ts; older documents: the text, or the object itself). Only the runtime reads it.
   */
  engineState: unknown;
  variables: Record<string, unknown>;
  /** Iteration scopes of multi-instance sub-processes, by iteration execution id (server/engine/scopes.ts). */
  scopes?: Scopes;
  /** Ids of the elements currently waiting (user tasks, timers, …). */
  activeElements: string[];
  timers: PendingTimer[];
  /** Earliest pending timer, or null; the timer poller queries `{ status: 'running', nextTimerAt: { $lte: now } }`. */
  nextTimerAt: Date | null;
  /** First open incident, for lists; `incidents` has them all. */
  incident: IncidentInfo | null;
  incidents: IncidentInfo[];
  /** User tasks waiting in the engine; the task records are rebuilt from these and the engine state. */
  openTasks: { taskId: string; executionId: string; elementId: string; createdAt: Date; assignee?: string | null }[];
  /**
   * Always empty now: a step's derived writes travel in its commit (`CommitDoc.payload`) and are applied before the
   * view is written. Documents written by older versions may still carry a pending outbox; it is applied on load.
   */
  outbox: OutboxOp[];
  startedBy: string | null;
  startedAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
}

/**
 * A runtime server's record (server/runtime/step-journal.ts): the ids of the commits it may not have finished, and
 * the wall-clock time it was last written. Records whose `_id` starts with `#` mark one-time work done instead.
 */
export interface ServerDoc {
  _id: string;
  unfinished: string[];
  at: Date;
}

/**
 * The task feed (server/runtime/task-feed.ts): entries `f:<seq>` of a dense sequence, each the open-task changes of
 * one or more steps, and the hints `head` and `tail` (`seq`).
 */
export interface FeedDoc {
  _id: string;
  /** JSON of the entry's task changes: one opaque string is what FerretDB reads and writes fastest. */
  c?: string;
  at?: Date;
  seq?: number;
}

export type TaskStatus = 'open' | 'completed' | 'cancelled';

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
  dueAt: Date | null;
  priority: number;
  /**
   * The form read from `camunda:formData` (see server/forms). Not stored: it is the process version's, and the
   * runtime fills it in from the definition (older records stored it, as a JSON string or the object).
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
  /** Group ids matched against `candidateGroups`. */
  groups: string[];
  passwordHash: string;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

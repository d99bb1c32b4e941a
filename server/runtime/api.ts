import type { Problem } from '../bpmn/problem.js';
import type { OrgDirectory } from '../org/directory.js';
import type { AuditDoc, CopyDoc, DefinitionDoc, InstanceDoc, InstanceStatus, NoticeDoc, SignoffDoc, TaskDoc } from '../db/types.js';
import type { Message } from './mailbox.js';
import type { ReturnTarget } from './commands/return.js';

/**
 * What the runtime offers the HTTP and web layers. Every method is one unit of work; errors are RuntimeError
 * with a code the HTTP layer maps to a status (see `statusOf`). Nothing here knows about HTTP.
 */

export interface Actor {
  id: string;
  /** Roles (group ids); in `unitId` when the user belongs to a unit (server/org/scoping.ts). */
  groups: string[];
  displayName?: string;
  unitId?: string | null;
  /** The password was set by an administrator and must be changed before anything else (server/auth/middleware.ts). */
  mustChangePassword?: boolean;
}

export type RuntimeErrorCode =
  | 'not_found'
  | 'invalid_bpmn'
  | 'validation_failed'
  | 'forbidden'
  | 'conflict'
  | 'incident'
  | 'unavailable'
  | 'rate_limited'
  | 'bad_request';

/** A deployment's problems travel in a RuntimeError's details as the deploy checks report them. */
export type { Problem } from '../bpmn/problem.js';

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    readonly details: { fields?: Record<string, string>; problems?: Problem[] } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RuntimeError';
  }
}

export function statusOf(code: RuntimeErrorCode): number {
  switch (code) {
    case 'not_found':
      return 404;
    case 'forbidden':
      return 403;
    case 'conflict':
      return 409;
    case 'incident':
      return 422;
    case 'unavailable':
      return 503;
    case 'rate_limited':
      return 429;
    default:
      return 400;
  }
}

export interface DeployResult {
  key: string;
  version: number;
  created: boolean;
  definition: DefinitionDoc;
}

export interface ProcessSummary {
  key: string;
  name: string | null;
  latestVersion: number;
  deployedAt: Date;
  /** Start form schema of the latest version, null when it has none. */
  startForm: unknown;
  /** Groups that may start it (candidate starter groups); empty means any signed-in user. */
  starterGroups: string[];
  /** The kinds of unit its cases must belong to (e.g. `community`); empty means any. */
  caseUnitKinds: string[];
}

/** What instance lists show of each instance (kept in memory by the embedded read side). */
export type InstanceListItem = Pick<
  InstanceDoc,
  | '_id' | 'processKey' | 'processName' | 'version' | 'businessKey' | 'status' | 'activeElements' | 'nextTimerAt' | 'incident' | 'startedBy' | 'unitId' | 'unitPath'
  | 'startedAt' | 'updatedAt' | 'endedAt'
>;

/** One step of a case as the people deciding later read it: who submitted what, labelled as on its form. */
export interface CaseEntry {
  /** The step's name (发起 for the start form). */
  step: string;
  elementId: string | null;
  by: string | null;
  at: Date;
  /** An open independent review hides the other reviewers' submissions (server/auth/access.ts). */
  hidden?: boolean;
  fields: { id: string; label: string; value: unknown; display: string }[];
}

export interface InstanceView {
  instance: Omit<InstanceDoc, 'engineState' | 'outbox'>;
  openTasks: TaskDoc[];
}

export interface TaskQuery {
  /** `signer` (待我签署): open tasks waiting for the actor's signature as an added signer (加签). */
  scope: 'mine' | 'candidate' | 'signer' | 'all';
  processKey?: string;
  businessKey?: string;
  status?: 'open' | 'completed';
  limit?: number;
  /** Paging by `createdAt` descending: pass the last item's createdAt and _id. */
  before?: { createdAt: Date; id: string };
}

export interface InstanceQuery {
  status?: InstanceStatus;
  processKey?: string;
  businessKey?: string;
  /** Part of the business key (the admin's 业务编号 search), case-insensitive. */
  businessKeyContains?: string;
  startedBy?: string;
  /** Cases of this unit and of the units under it. */
  unitWithin?: string;
  startedFrom?: Date;
  startedTo?: Date;
  limit?: number;
  skip?: number;
}

export interface RuntimeApi {
  /** The organisation tree and its roles (server/org), as tasks are scoped by it. */
  readonly org: OrgDirectory;
  deploy(xml: string, actor: Actor | null): Promise<DeployResult>;
  listProcesses(): Promise<ProcessSummary[]>;
  getProcessVersions(key: string): Promise<DefinitionDoc[]>;
  getDefinition(key: string, version?: number): Promise<DefinitionDoc>;

  startInstance(
    key: string,
    input: { businessKey?: string | null; variables?: Record<string, unknown>; unitId?: string | null },
    actor: Actor,
    options?: { rejectUnknownFields?: boolean },
  ): Promise<InstanceView>;
  /** Checks a start as `startInstance` would, without starting anything: throws the same refusal. */
  checkStart(key: string, input: { businessKey?: string | null; variables?: Record<string, unknown>; unitId?: string | null }, actor: Actor): Promise<void>;
  getInstance(id: string): Promise<InstanceView>;
  listInstances(query: InstanceQuery): Promise<{ items: InstanceListItem[]; total: number }>;
  countInstances(): Promise<{ processKey: string; version: number; status: InstanceStatus; count: number }[]>;
  getAudit(instanceId: string): Promise<AuditDoc[]>;
  /** The start values and every completed step's submitted values, in order, from `history` (the instance's audit). */
  caseOf(instance: Pick<InstanceDoc, 'definitionId'>, history: AuditDoc[]): Promise<CaseEntry[]>;
  /** `history`: the instance's audit, if the caller has it already (saves reading it again on FerretDB). */
  getSignoffs(instanceId: string, history?: AuditDoc[]): Promise<SignoffDoc[]>;

  listTasks(actor: Actor, query: TaskQuery): Promise<TaskDoc[]>;
  /** Open tasks I hold, unclaimed ones I may claim, and ones awaiting my signature (加签). */
  countTasks(actor: Actor): Promise<{ mine: number; candidate: number; signer: number }>;
  getTask(id: string): Promise<TaskDoc>;
  /** Whether the actor may see / act on the task (assignee, candidate user, candidate group, or admin for viewing). */
  canAct(task: TaskDoc, actor: Actor): boolean;
  /** The variables the task's form is shown and checked against (its sub-process iteration's included). */
  taskContext(task: TaskDoc): Promise<Record<string, unknown>>;
  claim(taskId: string, actor: Actor): Promise<TaskDoc>;
  unclaim(taskId: string, actor: Actor): Promise<TaskDoc>;
  complete(
    taskId: string,
    input: unknown,
    actor: Actor,
    options?: { rejectUnknownFields?: boolean },
  ): Promise<{ task: TaskDoc; instance: InstanceView; delegationResolved?: boolean }>;

  // ── approval actions (server/runtime/commands/approval.ts) ──
  /** 转办 to the user named `to`, with a reason. */
  transfer(taskId: string, to: unknown, reason: unknown, actor: Actor): Promise<TaskDoc>;
  /** 委派 to `to`: their submission returns the task to the actor, as a draft to check and submit. */
  delegate(taskId: string, to: unknown, reason: unknown, actor: Actor): Promise<TaskDoc>;
  /** 退回: send the task back to an earlier completed user step of the case (`returnTargets` lists them). */
  returnTo(taskId: string, targetElementId: unknown, reason: unknown, actor: Actor): Promise<{ target: ReturnTarget }>;
  returnTargets(task: TaskDoc): Promise<ReturnTarget[]>;
  /**
   * 撤回 one's completion while the next step is untouched: the step waits again, claimed by the actor. On an open
   * task submitted for 后加签, its submitter takes the submission back (their form becomes their draft).
   */
  recall(taskId: string, reason: unknown, actor: Actor): Promise<TaskDoc>;
  /**
   * 加签 (server/runtime/commands/signers.ts): `position` `before` (they sign, then the holder submits), `after`
   * (the holder submits `values` now; the task completes once they have signed) or `instance` (one more iteration
   * of a multi-instance step for each of `users`).
   */
  addSigners(taskId: string, input: { users?: unknown; reason?: unknown; position?: unknown; values?: unknown }, actor: Actor): Promise<{ task: TaskDoc; created: string[] }>;
  /** An added signer signs: `{decision: 'approve' | 'reject', opinion}`. */
  cosign(taskId: string, input: { decision?: unknown; opinion?: unknown }, actor: Actor): Promise<SignoffDoc>;
  /** The added signers who have not signed yet. */
  pendingSigners(task: TaskDoc): Promise<string[]>;
  /** 撤回: the starter cancels the case while nobody else has acted on it. */
  withdraw(instanceId: string, reason: unknown, actor: Actor): Promise<InstanceView>;
  /** 抄送 to users (names) and roles (the holders in the case's unit). */
  copy(taskId: string, input: { users?: unknown; groups?: unknown; note?: unknown }, actor: Actor): Promise<{ copied: string[] }>;
  /** How many minutes must pass between two reminders of one task. */
  readonly remindIntervalMinutes: number;
  /** 催办 the people who can act; `rate_limited` within the interval. */
  remind(taskId: string, actor: Actor): Promise<{ reminded: string[]; nextAllowedAt: Date }>;
  /** 暂存 the form as typed; the draft is the author's. */
  saveDraft(taskId: string, values: unknown, actor: Actor): Promise<Date>;
  getDraft(taskId: string, userId: string): Promise<{ values: Record<string, unknown>; savedAt: Date } | null>;
  /** 抄送我的: the cases copied to the user, newest first. */
  copiesFor(userId: string, limit?: number): Promise<CopyDoc[]>;
  /** Whether the case was copied to the user (they may see it). */
  isCopiedTo(instanceId: string, userId: string): Promise<boolean>;
  /** 站内消息, newest first, and how many are unread. */
  messages(actor: Actor): Promise<{ items: Message[]; unread: number }>;
  markMessageRead(actor: Actor, id: string): Promise<void>;
  markAllMessagesRead(actor: Actor): Promise<void>;

  retry(instanceId: string, actor: Actor, reason: string): Promise<InstanceView>;
  cancel(instanceId: string, actor: Actor, reason: string): Promise<InstanceView>;
  reassign(taskId: string, assignee: string | null, actor: Actor, reason: string): Promise<TaskDoc>;

  /** Fire every timer due by the runtime clock; returns how many instances were advanced. */
  fireDueTimers(): Promise<number>;

  /** `unitWithin`: the notices of the cases of that unit and the units under it. */
  listNotices(query: { current?: boolean; limit?: number; unitWithin?: string }): Promise<NoticeDoc[]>;
  getNotice(id: string): Promise<NoticeDoc>;
}

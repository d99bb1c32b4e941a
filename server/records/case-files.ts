import type { Readable } from 'node:stream';
import { canViewInstance, reviewRedaction } from '../auth/access.js';
import type { TaskDoc } from '../db/types.js';
import type { Actor, InstanceView, RuntimeApi } from '../runtime/api.js';
import type { Attachment, AttachmentStore } from './attachments.js';

/**
 * A refusal of the attachment rules; `status`, `code` and `expose` let the API and the pages answer it as they
 * answer any client error.
 */
export class CaseFileError extends Error {
  readonly expose = true;

  constructor(
    readonly status: 400 | 403 | 404 | 409,
    readonly code: 'bad_request' | 'forbidden' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'CaseFileError';
  }
}

type CaseRuntime = Pick<RuntimeApi, 'getInstance' | 'getTask' | 'canAct' | 'getAudit' | 'isCopiedTo'>;

const OPEN_STATUSES = new Set(['running', 'incident']);

/** The step name of files sent with the start form, as the case calls its start (server/runtime/queries.ts). */
export const START_STEP = '发起';

/**
 * Who may add a file to a case and who may read it: adding is for the people working on it (the starter, or whoever
 * may act on the task or an open task of it), reading for whoever may see the case, with an open independent review
 * hiding the other reviewers' files as it hides their submissions.
 */
export class CaseFiles {
  constructor(
    private readonly runtime: CaseRuntime,
    readonly store: AttachmentStore,
  ) {}

  /** Whether `actor` may add files to the case as a whole (the upload form of the instance page). */
  mayAddToCase(view: InstanceView, actor: Actor): boolean {
    if (!OPEN_STATUSES.has(view.instance.status)) return false;
    return view.instance.startedBy === actor.id || view.openTasks.some((t) => this.runtime.canAct(t, actor));
  }

  /** Whether `actor` may add files to this task (the upload form of the task page). */
  mayAddToTask(task: TaskDoc, actor: Actor): boolean {
    return task.status === 'open' && this.runtime.canAct(task, actor);
  }

  /** Adds a file to the case, or to one of its open tasks when `taskId` is given. */
  async add(actor: Actor, instanceId: string, taskId: string | null, file: { name: string; bytes: Buffer }): Promise<Attachment> {
    const view = await this.runtime.getInstance(instanceId);
    if (!OPEN_STATUSES.has(view.instance.status)) throw new CaseFileError(409, 'conflict', '流程已结束，不能再添加附件');
    let task: TaskDoc | null = null;
    if (taskId) {
      task = await this.runtime.getTask(taskId).catch(() => null);
      if (!task || task.instanceId !== instanceId) throw new CaseFileError(404, 'not_found', '该流程没有这项任务');
      if (task.status !== 'open') throw new CaseFileError(409, 'conflict', '这项任务已办结，不能再添加附件');
      if (!this.mayAddToTask(task, actor)) throw new CaseFileError(403, 'forbidden', '只有能办理这项任务的人可以向它添加附件');
    } else if (!this.mayAddToCase(view, actor)) {
      throw new CaseFileError(403, 'forbidden', '只有发起人或当前步骤的办理人可以添加附件');
    }
    return this.store.save({
      instanceId,
      taskId: task?._id ?? null,
      elementId: task?.elementId ?? null,
      step: task ? task.name + (task.subject ? `（${task.subject}）` : '') : null,
      uploadedBy: actor.id,
      uploadedByName: actor.displayName || actor.id,
      name: file.name,
      bytes: file.bytes,
    });
  }

  /**
   * Adds a file sent with the start form to the case `actor` has just started, as part of the start: allowed to the
   * starter only, and whatever the case's status, since a start that ran straight to an end still filed it.
   */
  async addAtStart(actor: Actor, view: InstanceView, file: { name: string; bytes: Buffer }): Promise<Attachment> {
    if (view.instance.startedBy !== actor.id) throw new CaseFileError(403, 'forbidden', '只有发起人可以随发起添加附件');
    return this.store.save({
      instanceId: view.instance._id,
      taskId: null,
      elementId: null,
      step: START_STEP,
      uploadedBy: actor.id,
      uploadedByName: actor.displayName || actor.id,
      name: file.name,
      bytes: file.bytes,
    });
  }

  /** The case's files `actor` may see, for a viewer already allowed to see the case. */
  async visible(view: InstanceView, actor: Actor): Promise<Attachment[]> {
    const redaction = reviewRedaction(view, actor);
    return (await this.store.list(view.instance._id)).filter((a) => !redaction.hides(a.elementId, a.uploadedBy));
  }

  /** The case's files, for whoever may see the case. */
  async listFor(actor: Actor, instanceId: string): Promise<Attachment[]> {
    const view = await this.runtime.getInstance(instanceId);
    await this.requireView(view, actor);
    return this.visible(view, actor);
  }

  /** One file and its bytes, for whoever may see its case. */
  async read(actor: Actor, id: string): Promise<{ attachment: Attachment; open(): Readable }> {
    const attachment = await this.store.get(id);
    if (!attachment) throw new CaseFileError(404, 'not_found', '附件不存在');
    const view = await this.runtime.getInstance(attachment.instanceId);
    await this.requireView(view, actor);
    if (reviewRedaction(view, actor).hides(attachment.elementId, attachment.uploadedBy)) {
      throw new CaseFileError(403, 'forbidden', '独立评审进行中，其他评审人的附件在本环节结束前不公开');
    }
    return { attachment, open: () => this.store.open(attachment.id) };
  }

  private async requireView(view: InstanceView, actor: Actor): Promise<void> {
    if (!(await canViewInstance(this.runtime, view, actor))) throw new CaseFileError(403, 'forbidden', '您无权查看该流程实例的附件');
  }
}

import type { Request, RequestHandler, Response, Router } from 'express';
import type { Db } from 'mongodb';
import { canViewInstance } from '../auth/access.js';
import type { Clock } from '../engine/clock.js';
import { verifyCsrf } from '../http/csrf.js';
import { receiveFile } from '../http/file-upload.js';
import { param } from '../http/request-params.js';
import { approvalForm } from '../records/approval-form.js';
import { AttachmentRefused, AttachmentStore, TOO_LARGE } from '../records/attachments.js';
import { CaseFileError, CaseFiles } from '../records/case-files.js';
import { MAX_ATTACHMENT_BYTES } from '../records/file-types.js';
import type { TaskDoc } from '../db/types.js';
import type { Actor, InstanceView, RuntimeApi } from '../runtime/api.js';
import { attachmentRow, attachmentsSection } from './attachments-view.js';
import { formatDateTime } from './views.js';
import { PageError } from './page-errors.js';
import type { PageData } from './views.js';

/** What the case pages need of the staff pages' router (server/web/router.ts). */
export interface CasePagesDeps {
  runtime: RuntimeApi;
  db: Db;
  clock: Clock;
  signedIn: RequestHandler;
  page(req: Request, res: Response, name: string, title: string, active: string, data: PageData, status?: number): Promise<void>;
  actorOf(req: Request): Actor;
}

/** What the task and instance pages show of a case's records. */
export interface CaseRecords {
  /** The 附件 section (partial `attachments`): to the task on a task page, to the case on the instance page. */
  attachments(req: Request, view: InstanceView, actor: Actor, task?: TaskDoc): ReturnType<typeof attachmentsSection>;
  /** Stores the start form's checked files on the case just started; answers each file not kept, with the reason. */
  addAtStart(actor: Actor, view: InstanceView, files: { name: string; bytes: Buffer }[]): Promise<string[]>;
}

/**
 * The pages of a case's records: adding a file on the task and instance pages (its refusal is shown beside the
 * upload form) and the printable 审批单 of the whole case.
 */
export function mountCasePages(router: Router, deps: CasePagesDeps): CaseRecords {
  const { runtime, signedIn, actorOf } = deps;
  const files = new CaseFiles(runtime, new AttachmentStore(deps.db, deps.clock));
  // A refusal of multer's (too large, unreadable) is kept for the page rather than answered as an error page.
  const receive = receiveFile(MAX_ATTACHMENT_BYTES, (why, _req, res, next) => {
    res.locals.uploadRefused = why === 'too_large' ? TOO_LARGE : '上传的内容无法读取，请重新选择文件。';
    next();
  });

  /** Adds the file, then back to the page with 「已上传」 or the reason beside the form. */
  async function add(req: Request, res: Response, instanceId: string, taskId: string | null, back: string): Promise<void> {
    const refused = res.locals.uploadRefused as string | undefined;
    try {
      if (refused) throw new AttachmentRefused(refused);
      if (!req.file) throw new AttachmentRefused('请选择要上传的文件');
      const saved = await files.add(actorOf(req), instanceId, taskId, { name: req.file.originalname, bytes: req.file.buffer });
      req.session.flash = `已上传附件：${saved.name}`;
    } catch (err) {
      const shown = err instanceof AttachmentRefused || (err instanceof CaseFileError && err.status !== 404);
      if (!shown) throw err;
      req.session.attachmentError = `附件未上传：${err.message}`;
    }
    await new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));
    res.redirect(303, `${back}#attachments`);
  }

  router.post('/tasks/:id/attachments', signedIn, receive, verifyCsrf, async (req, res) => {
    const task = await runtime.getTask(param(req, 'id'));
    await add(req, res, task.instanceId, task._id, `/tasks/${encodeURIComponent(task._id)}`);
  });

  router.post('/instances/:id/attachments', signedIn, receive, verifyCsrf, async (req, res) => {
    const id = param(req, 'id');
    await add(req, res, id, null, `/instances/${encodeURIComponent(id)}`);
  });

  router.get('/instances/:id/print', signedIn, async (req, res) => {
    const actor = actorOf(req);
    const view = await runtime.getInstance(param(req, 'id'));
    const audit = await runtime.getAudit(view.instance._id);
    if (!(await canViewInstance(runtime, view, actor, audit))) throw new PageError(403, '无权查看', '您无权查看该流程实例。');
    const attachments = await files.visible(view, actor);
    const form = await approvalForm(runtime, deps.db, view, actor, attachments, audit);
    await deps.page(req, res, 'print', `${form.processName} 审批单`, 'mine', {
      form: {
        ...form,
        steps: form.steps.map((s) => ({
          ...s,
          fields: s.fields.map((f) => ({ label: f.label, display: f.value instanceof Date ? formatDateTime(f.value) : f.display })),
          attachments: s.attachments.map(attachmentRow),
        })),
        caseAttachments: form.caseAttachments.map(attachmentRow),
        attachments: form.attachments.map(attachmentRow),
      },
      instanceId: view.instance._id,
      printedBy: actor.displayName || actor.id,
      printedAt: deps.clock.now(),
      styles: ['/assets/records.css'],
    });
  });

  /** One file at a time, each on its own: a failure loses that file, never the case nor the other files. */
  async function addAtStart(actor: Actor, view: InstanceView, list: { name: string; bytes: Buffer }[]): Promise<string[]> {
    const lost: string[] = [];
    for (const file of list) {
      try {
        await files.addAtStart(actor, view, file);
      } catch (err) {
        const known = err instanceof AttachmentRefused || err instanceof CaseFileError;
        if (!known) console.error(`[web] start ${view.instance._id}: attachment ${file.name} not stored:`, err);
        lost.push(`${file.name}（${known ? err.message : '保存时出错'}）`);
      }
    }
    return lost;
  }

  return { attachments: (req, view, actor, task) => attachmentsSection(files, req, view, actor, task), addAtStart };
}

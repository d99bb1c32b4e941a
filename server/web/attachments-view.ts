import type { Request } from 'express';
import type { TaskDoc } from '../db/types.js';
import type { Attachment } from '../records/attachments.js';
import type { CaseFiles } from '../records/case-files.js';
import { ACCEPT_ATTRIBUTE, MAX_ATTACHMENT_BYTES } from '../records/file-types.js';
import type { Actor, InstanceView } from '../runtime/api.js';

declare module 'express-session' {
  interface SessionData {
    /** Why the last upload was refused, shown once beside the upload form. */
    attachmentError?: string;
  }
}

/** A size as people read it: 12 KB, 3.4 MB. */
export function fileSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} 字节`;
}

/** An attachment as the pages list it. */
export function attachmentRow(a: Attachment) {
  return {
    id: a.id,
    name: a.name,
    url: `/api/attachments/${encodeURIComponent(a.id)}`,
    size: fileSize(a.size),
    step: a.step ?? '流程附件',
    by: a.uploadedByName || a.uploadedBy,
    at: a.uploadedAt,
    sha256: a.sha256,
  };
}

/**
 * The 附件 section of the task and instance pages (partial `attachments`): the files the viewer may see, and an
 * upload form for those who may add one (to the task on a task page, to the case on the instance page).
 */
export async function attachmentsSection(files: CaseFiles, req: Request, view: InstanceView, actor: Actor, task?: TaskDoc) {
  const items = await files.visible(view, actor);
  const error = req.session?.attachmentError;
  if (error) delete req.session.attachmentError;
  const mayUpload = task ? files.mayAddToTask(task, actor) : files.mayAddToCase(view, actor);
  return {
    items: items.map(attachmentRow),
    mayUpload,
    action: task ? `/tasks/${encodeURIComponent(task._id)}/attachments` : `/instances/${encodeURIComponent(view.instance._id)}/attachments`,
    accept: ACCEPT_ATTRIBUTE,
    maxBytes: MAX_ATTACHMENT_BYTES,
    maxMb: MAX_ATTACHMENT_BYTES / 1024 / 1024,
    error: error ?? null,
  };
}

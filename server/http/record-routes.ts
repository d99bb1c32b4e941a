import { pipeline } from 'node:stream/promises';
import type { RequestHandler, Response, Router } from 'express';
import type { Db } from 'mongodb';
import { isAdmin, requireActor } from '../auth/middleware.js';
import type { Clock } from '../engine/clock.js';
import { AttachmentRefused, AttachmentStore, type Attachment } from '../records/attachments.js';
import { CaseFiles } from '../records/case-files.js';
import { MAX_ATTACHMENT_BYTES, typeOfExtension } from '../records/file-types.js';
import { InstanceExport } from '../records/instance-export.js';
import { STATUS_NAMES } from '../records/labels.js';
import { TaskExport, type TaskExportScope } from '../records/task-export.js';
import { beijingText } from '../records/workbook.js';
import type { Actor, RuntimeApi } from '../runtime/api.js';
import { contentDisposition } from './content-disposition.js';
import { verifyCsrf } from './csrf.js';
import { badRequest, forbidden, HttpError } from './errors.js';
import { receiveApiFile } from './file-upload.js';
import { instanceListRequest, type InstanceListRequest } from './instance-query.js';
import { actorOf, param, query } from './request-params.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface RecordRouteDeps {
  runtime: RuntimeApi;
  db: Db;
  clock: Clock;
  /** Signed in, and the CSRF check for cookie sessions. */
  auth: RequestHandler[];
}

/**
 * What a case leaves behind, in the API: its attachments (multipart upload, listing, download) and the Excel exports
 * of the instance and task lists (docs/API.md, "Attachments and exports"). Mounted before `/instances/:id` and
 * `/tasks/:id`, whose parameters would otherwise take `export.xlsx`.
 */
export function mountRecordRoutes(router: Router, deps: RecordRouteDeps): void {
  const { runtime, db, clock, auth } = deps;
  const files = new CaseFiles(runtime, new AttachmentStore(db, clock));
  const instanceExport = new InstanceExport(runtime, db, clock);
  const taskExport = new TaskExport(runtime, db, clock);

  // The multipart body is read before the CSRF check, since a form sends its token as one of its fields.
  router.post('/instances/:id/attachments', requireActor, receiveApiFile(MAX_ATTACHMENT_BYTES), verifyCsrf, async (req, res) => {
    if (!req.file) throw badRequest('请选择要上传的文件（multipart 字段 file）', { file: '请选择文件' });
    const taskId = typeof req.body?.taskId === 'string' && req.body.taskId ? req.body.taskId : null;
    try {
      const saved = await files.add(actorOf(req), param(req, 'id'), taskId, { name: req.file.originalname, bytes: req.file.buffer });
      res.status(201).location(`/api/attachments/${saved.id}`).json({ id: saved.id, name: saved.name, size: saved.size });
    } catch (err) {
      if (err instanceof AttachmentRefused) throw badRequest(err.message, { file: err.message });
      throw err;
    }
  });

  router.get('/instances/:id/attachments', ...auth, async (req, res) => {
    res.json({ items: (await files.listFor(actorOf(req), param(req, 'id'))).map(attachmentJson) });
  });

  router.get('/attachments/:id', ...auth, async (req, res) => {
    const { attachment, open } = await files.read(actorOf(req), param(req, 'id'));
    await sendFile(res, attachment, open());
  });

  router.get('/instances/export.xlsx', ...auth, async (req, res) => {
    const request = instanceListRequest(req, actorOf(req));
    const bytes = await instanceExport.workbook({ query: request.query, text: request.text, about: await aboutInstances(runtime, request, actorOf(req)) });
    sendWorkbook(res, bytes, `流程实例_${beijingText(clock.now()).slice(0, 10)}.xlsx`);
  });

  router.get('/tasks/export.xlsx', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const status = query(req, 'status') ?? 'open';
    if (status !== 'open' && status !== 'completed') throw badRequest('status 应为 open 或 completed', { status: '取值无效' });
    const scope = query(req, 'scope') ?? 'mine';
    if (!['inbox', 'mine', 'candidate', 'all'].includes(scope)) throw badRequest('scope 应为 inbox、mine、candidate 或 all', { scope: '取值无效' });
    if (scope === 'all' && !isAdmin(actor)) throw forbidden('只有管理员可以导出全部任务');
    if (status === 'completed' && (scope === 'candidate' || scope === 'inbox')) {
      throw badRequest('已办结的任务只能按 mine（我办理的）或 all 导出', { scope: '已办结的任务只能按 mine（我办理的）或 all 导出' });
    }
    const processKey = query(req, 'process') ?? query(req, 'processKey');
    const businessKey = query(req, 'businessKey');
    const text = query(req, 'q')?.trim().slice(0, 200) || undefined;
    const title = status === 'completed' ? (scope === 'all' ? '全部已办结任务' : '已办') : scope === 'all' ? '全部待办' : '待办';
    const about: [string, string][] = [['列表', title], ['导出人', actor.displayName || actor.id]];
    if (processKey) about.push(['流程', await processName(runtime, processKey)]);
    if (businessKey) about.push(['业务编号', businessKey]);
    if (text) about.push(['搜索', text]);
    const bytes = await taskExport.workbook({ actor, scope: scope as TaskExportScope, status, processKey, businessKey, text, about });
    sendWorkbook(res, bytes, `${title}_${beijingText(clock.now()).slice(0, 10)}.xlsx`);
  });
}


function attachmentJson(a: Attachment) {
  return {
    id: a.id,
    name: a.name,
    size: a.size,
    sha256: a.sha256,
    contentType: a.contentType,
    instanceId: a.instanceId,
    taskId: a.taskId,
    elementId: a.elementId,
    step: a.step,
    uploadedBy: a.uploadedBy,
    uploadedByName: a.uploadedByName,
    uploadedAt: a.uploadedAt,
    url: `/api/attachments/${a.id}`,
  };
}

/** The file with a header that names it safely; the browser is told not to guess its type nor run anything in it. */
async function sendFile(res: Response, attachment: Attachment, bytes: NodeJS.ReadableStream): Promise<void> {
  const type = typeOfExtension(attachment.ext);
  res.set({
    'Content-Type': type.contentType,
    'Content-Length': String(attachment.size),
    'Content-Disposition': contentDisposition(type.inline ? 'inline' : 'attachment', attachment.name),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
    'Cache-Control': 'private, no-cache',
  });
  try {
    await pipeline(bytes, res);
  } catch (err) {
    if (!res.headersSent) throw err;
    res.destroy(err as Error);
  }
}

function sendWorkbook(res: Response, bytes: Buffer, name: string): void {
  res.set({ 'Content-Type': XLSX, 'Content-Disposition': contentDisposition('attachment', name), 'Cache-Control': 'no-store' }).send(bytes);
}

async function processName(runtime: Pick<RuntimeApi, 'listProcesses'>, key: string): Promise<string> {
  const found = (await runtime.listProcesses()).find((p) => p.key === key);
  return found?.name ? `${found.name}（${key}）` : key;
}

/** The export's filters in words, for its 说明 sheet. */
async function aboutInstances(runtime: RuntimeApi, request: InstanceListRequest, actor: Actor): Promise<[string, string][]> {
  const org = await runtime.org.snapshot();
  const q = request.query;
  const scope =
    request.scope === 'unit'
      ? `辖区案件（${org.label(actor.unitId!)}及其下级单位）`
      : request.scope === 'mine'
        ? '我发起的'
        : q.unitWithin
          ? `${org.label(q.unitWithin)}及其下级单位`
          : '全部流程实例';
  const about: [string, string][] = [['范围', scope], ['导出人', actor.displayName || actor.id]];
  if (q.processKey) about.push(['流程', await processName(runtime, q.processKey)]);
  if (q.status) about.push(['状态', STATUS_NAMES[q.status]]);
  if (q.businessKey) about.push(['业务编号', q.businessKey]);
  if (request.text) about.push(['搜索', request.text]);
  if (q.startedFrom || q.startedTo) {
    about.push(['发起日期', `${q.startedFrom ? beijingText(q.startedFrom).slice(0, 10) : '不限'} 至 ${q.startedTo ? beijingText(q.startedTo).slice(0, 10) : '不限'}`]);
  }
  return about;
}

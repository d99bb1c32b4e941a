import type { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { AttachmentRefused, checkAttachment, TOO_LARGE } from '../records/attachments.js';
import { ACCEPT_ATTRIBUTE, MAX_ATTACHMENT_BYTES } from '../records/file-types.js';

/** Files one start form may carry: a grid event's few photos with a report; more are added on the instance page. */
export const MAX_START_FILES = 10;

/** What one start keeps in memory at most: a handful of phone photos or a scanned report with its annexes. */
export const MAX_START_UPLOAD_BYTES = 3 * MAX_ATTACHMENT_BYTES;

/** The start form's multipart field of its files. */
export const START_FILES_FIELD = 'files';

const MB = 1024 * 1024;

/** A file of the start form as it arrived: its bytes, or why they were not kept (too large, over the request's total). */
interface ReceivedFile extends Express.Multer.File {
  refused?: string;
}

/** A file that passed the attachment checks, ready to be stored once the instance has started. */
export interface StartFile {
  name: string;
  bytes: Buffer;
}

/** What the start form's files came to: the files to store, or the refusals that keep the instance from starting. */
export interface StartFiles {
  files: StartFile[];
  /** One Chinese sentence per refused file (naming it), or for the request as a whole. */
  refusals: string[];
}

/**
 * Keeps each file in memory only while it stays within the attachment limit and the request's total; a file past
 * either is read to its end and dropped, so the form's other fields still arrive and the refusal can name it.
 */
class StartFilesStorage implements multer.StorageEngine {
  private readonly kept = new WeakMap<Request, number>();

  _handleFile(req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<ReceivedFile>) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused: string | undefined;
    // Counted chunk by chunk: the next file may begin before this one's 'end' is emitted.
    const add = (bytes: number) => this.kept.set(req, (this.kept.get(req) ?? 0) + bytes);
    file.stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) return;
      add(chunk.length);
      if (size > MAX_ATTACHMENT_BYTES) refused = TOO_LARGE;
      else if ((this.kept.get(req) ?? 0) > MAX_START_UPLOAD_BYTES) refused = `附件合计超过 ${MAX_START_UPLOAD_BYTES / MB} MB，本文件未能接收`;
      if (!refused) return void chunks.push(chunk);
      // A refused file's bytes leave memory and the request's total.
      add(-size);
      chunks.length = 0;
    });
    file.stream.on('end', () => {
      cb(null, { buffer: refused ? Buffer.alloc(0) : Buffer.concat(chunks), size, ...(refused ? { refused } : {}) });
    });
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    (file as Partial<Express.Multer.File>).buffer = undefined;
    cb(null);
  }
}

/** Thrown into multer when the whole request passes its ceiling, so that reading stops. */
class BodyTooLarge extends Error {
  readonly code = 'START_BODY_TOO_LARGE';
}

/**
 * Reads a multipart start form (a urlencoded one passes untouched): the fields into `req.body`, the files for
 * {@link startFiles}. Runs before the CSRF check, whose token is one of the fields; a refusal of the body (too many
 * files, too large, unreadable) is kept for the page, which shows the form again with what was read of it.
 */
export function receiveStartForm(maxFormBytes: number, maxFields: number): RequestHandler {
  // The files a start may keep, one more file's worth read to name the one that passes the total, and the form's text.
  const maxBody = MAX_START_UPLOAD_BYTES + MAX_ATTACHMENT_BYTES + maxFormBytes;
  const options = {
    storage: new StartFilesStorage(),
    defParamCharset: 'utf8',
    limits: { files: MAX_START_FILES, fields: maxFields, fieldSize: maxFormBytes, fieldNameSize: 200 },
    // Counts the bytes as they arrive: busboy bounds each field and file, this bounds the request.
    streamHandler: (req: Request, busboy: NodeJS.WritableStream & { destroy(err: Error): void }) => {
      let seen = 0;
      const count = (chunk: Buffer) => {
        seen += chunk.length;
        if (seen <= maxBody) return;
        req.off('data', count);
        busboy.destroy(new BodyTooLarge());
      };
      req.on('data', count);
      req.pipe(busboy);
    },
  } as multer.Options;
  const upload = multer(options).array(START_FILES_FIELD);
  return (req, res, next) =>
    upload(req, res, (err: unknown) => {
      if (err) res.locals.startUploadRefused = bodyRefusal(err);
      next();
    });
}

function bodyRefusal(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'LIMIT_FILE_COUNT') return `一次最多随发起上传 ${MAX_START_FILES} 个附件，其余的请在发起后到流程详情页添加`;
  if (code === 'START_BODY_TOO_LARGE') return `提交的内容过大：附件合计不能超过 ${MAX_START_UPLOAD_BYTES / MB} MB`;
  if (code === 'LIMIT_UNEXPECTED_FILE') return '提交的内容中有无法识别的文件字段，请刷新页面后重试';
  return '提交的内容无法完整读取，请重新填写后提交';
}

/**
 * The start form's files, each checked as the attachment store checks it (size, type by extension and first bytes)
 * before anything is started; a refusal names its file.
 */
export function startFiles(req: Request, res: Response): StartFiles {
  const out: StartFiles = { files: [], refusals: [] };
  const whole = res.locals.startUploadRefused as string | undefined;
  if (whole) out.refusals.push(whole);
  const received = Array.isArray(req.files) ? (req.files as ReceivedFile[]) : [];
  for (const file of received) {
    const shown = file.originalname || '（无文件名）';
    // A body refused as a whole leaves its files without bytes: only the ones refused on their own are named.
    if (whole && !file.refused) continue;
    try {
      if (file.refused) throw new AttachmentRefused(file.refused);
      const { name } = checkAttachment(file.originalname, file.buffer);
      out.files.push({ name, bytes: file.buffer });
    } catch (err) {
      if (!(err instanceof AttachmentRefused)) throw err;
      out.refusals.push(`附件“${shown}”：${err.message}`);
    }
  }
  return out;
}

/** What the start form says about its file input. */
export const startUploadView = {
  field: START_FILES_FIELD,
  accept: ACCEPT_ATTRIBUTE,
  maxBytes: MAX_ATTACHMENT_BYTES,
  maxMb: MAX_ATTACHMENT_BYTES / MB,
  maxFiles: MAX_START_FILES,
  maxTotalBytes: MAX_START_UPLOAD_BYTES,
  maxTotalMb: MAX_START_UPLOAD_BYTES / MB,
};

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { badRequest, HttpError } from './errors.js';

/** What multer refused of an upload: a file over the limit, more than one file, or a body it could not read. */
export type UploadRefusal = 'too_large' | 'too_many' | 'unreadable';

/** A size limit as people read it (`10 MB`). */
export const megabytes = (bytes: number): string => `${bytes / 1024 / 1024} MB`;

/**
 * The multipart field `file`: one file of at most `maxBytes`, read into memory as `req.file`. What multer refuses
 * goes to `refused`, which decides how it is answered (an API error, an error page, a message beside the form).
 */
export function receiveFile(maxBytes: number, refused: (why: UploadRefusal, req: Request, res: Response, next: NextFunction) => void): RequestHandler {
  const upload = multer({ storage: multer.memoryStorage(), defParamCharset: 'utf8', limits: { fileSize: maxBytes, files: 1, fields: 5 } }).single('file');
  return (req, res, next) =>
    upload(req, res, (err: unknown) => {
      if (!err) return next();
      const code = (err as { code?: string }).code;
      refused(code === 'LIMIT_FILE_SIZE' ? 'too_large' : typeof code === 'string' && code.startsWith('LIMIT_') ? 'too_many' : 'unreadable', req, res, next);
    });
}

/** {@link receiveFile} for the API: 413 for a file too large, 400 for the rest, each with `fields.file`. */
export function receiveApiFile(maxBytes: number): RequestHandler {
  const max = megabytes(maxBytes);
  return receiveFile(maxBytes, (why, _req, _res, next) => {
    if (why === 'too_large') return next(new HttpError(413, 'payload_too_large', `文件过大（最大 ${max}）`, { fields: { file: `最大 ${max}` } }));
    if (why === 'too_many') return next(badRequest('一次只能上传一个文件（字段 file）', { file: '只能上传一个文件' }));
    next(badRequest('上传的内容无法读取（应为 multipart/form-data）', { file: '无法读取' }));
  });
}

import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { ConversionReport } from '../bpmn/import-convert.js';
import { RuntimeError, statusOf, type Problem } from '../runtime/api.js';

/**
 * Every API error is `{ "error": { "code", "message", "fields"?, "problems"? } }` with a Chinese message; a refused
 * BPMN file also has `errors` and `warnings` (the problems apart) and `conversion` (what its import converted).
 * Stacks and internal messages are logged, never sent.
 */

export interface ErrorDetails {
  fields?: Record<string, string>;
  problems?: Problem[];
  errors?: Problem[];
  warnings?: Problem[];
  conversion?: ConversionReport;
}

export interface ErrorBody {
  error: { code: string; message: string } & ErrorDetails;
}

/** An error with an HTTP status; `status`/`statusCode` make it understood by any express error handler. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  get statusCode(): number {
    return this.status;
  }

  /** Tells express' own error handler this message is safe to show. */
  get expose(): boolean {
    return this.status < 500;
  }
}

export function errorBody(code: string, message: string, details: ErrorDetails = {}): ErrorBody {
  const error: ErrorBody['error'] = { code, message };
  if (details.fields && Object.keys(details.fields).length) error.fields = details.fields;
  if (details.problems && details.problems.length) error.problems = details.problems;
  if (details.errors) error.errors = details.errors;
  if (details.warnings) error.warnings = details.warnings;
  if (details.conversion) error.conversion = details.conversion;
  return { error };
}

export function sendError(res: Response, status: number, code: string, message: string, details?: ErrorDetails): void {
  res.status(status).json(errorBody(code, message, details));
}

export const unauthorized = (message = '请先登录') => new HttpError(401, 'unauthorized', message);
export const forbidden = (message = '您没有执行此操作的权限') => new HttpError(403, 'forbidden', message);
export const badRequest = (message: string, fields?: Record<string, string>) =>
  new HttpError(400, 'bad_request', message, fields ? { fields } : {});
export const notFound = (message = '资源不存在') => new HttpError(404, 'not_found', message);

const BODY_PARSER_ERRORS: Record<string, { status: number; code: string; message: (err: BodyParserError) => string }> = {
  'entity.too.large': {
    status: 413,
    code: 'payload_too_large',
    message: (err) => `请求内容过大（上限 ${formatBytes(err.limit)}）`,
  },
  'entity.parse.failed': { status: 400, code: 'bad_request', message: () => '请求体不是合法的 JSON' },
  'entity.verify.failed': { status: 400, code: 'bad_request', message: () => '请求体校验失败' },
  'request.aborted': { status: 400, code: 'bad_request', message: () => '请求被中断' },
  'request.size.invalid': { status: 400, code: 'bad_request', message: () => '请求长度与声明不符' },
  'encoding.unsupported': { status: 415, code: 'unsupported_media_type', message: () => '不支持的内容编码' },
  'charset.unsupported': { status: 415, code: 'unsupported_media_type', message: () => '不支持的字符集' },
  'parameters.too.many': { status: 413, code: 'payload_too_large', message: () => '请求参数过多' },
};

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

function formatBytes(n: number | undefined): string {
  if (!n) return '未知';
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} 字节`;
}

/** The status and body for any thrown value; `log` says whether it is unexpected (and worth a stack in the log). */
export function describeError(err: unknown): { status: number; body: ErrorBody; log: boolean } {
  if (err instanceof RuntimeError) {
    const status = statusOf(err.code);
    return { status, body: errorBody(err.code, err.message, err.details), log: status >= 500 };
  }
  if (err instanceof HttpError) {
    return { status: err.status, body: errorBody(err.code, err.message, err.details), log: err.status >= 500 };
  }
  const parserError = err as BodyParserError;
  if (parserError && typeof parserError.type === 'string' && BODY_PARSER_ERRORS[parserError.type]) {
    const known = BODY_PARSER_ERRORS[parserError.type]!;
    return { status: known.status, body: errorBody(known.code, known.message(parserError)), log: false };
  }
  const status = typeof parserError?.status === 'number' ? parserError.status : 500;
  const coded = err as { code?: unknown; expose?: unknown; message?: unknown };
  if (status >= 400 && status < 500 && coded.expose === true && typeof coded.code === 'string' && typeof coded.message === 'string') {
    // A client error raised by another layer (e.g. AuthError from server/auth) with a message meant to be shown.
    return { status, body: errorBody(coded.code, coded.message), log: false };
  }
  if (status >= 400 && status < 500) {
    return { status, body: errorBody('bad_request', '请求无效'), log: false };
  }
  return { status: 500, body: errorBody('internal_error', '服务器内部错误，请稍后重试'), log: true };
}

export function logError(err: unknown, where: string): void {
  console.error(`[http] ${where}:`, err instanceof Error ? (err.stack ?? err.message) : err);
  // A RuntimeError 'unavailable' wraps the database's error, which is what an operator needs.
  if (err instanceof Error && err.cause !== undefined) console.error('  caused by:', err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : err.cause);
}

/** JSON 404 for unknown paths under /api. */
export const apiNotFound: RequestHandler = (req, res) => {
  sendError(res, 404, 'not_found', `接口不存在：${req.method} ${(req.baseUrl + req.path).slice(0, 200)}`);
};

/** The API's error handler: JSON bodies only, no stacks. */
export const apiErrorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  const { status, body, log } = describeError(err);
  if (log) logError(err, `${req.method} ${req.originalUrl}`);
  res.status(status).json(body);
};

import { RuntimeError, statusOf } from '../runtime/api.js';

/** An error a page handler raises on purpose, shown as a Chinese error page with its own status and title. */
export class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** Status, title and message of the Chinese error page for any error a page route can meet. */
export function describePageError(err: unknown): { status: number; title: string; message: string } {
  if (err instanceof PageError) return { status: err.status, title: err.title, message: err.message };
  if (err instanceof RuntimeError) {
    const status = statusOf(err.code);
    const title = status === 404 ? '找不到' : status === 403 ? '无权操作' : status === 409 ? '操作冲突' : '无法完成';
    return { status, title, message: err.message };
  }
  if (err && typeof err === 'object' && typeof (err as { status?: unknown }).status === 'number') {
    const e = err as { status: number; message?: string; expose?: boolean; code?: string };
    const title =
      e.status === 403
        ? e.code === 'csrf_failed'
          ? '页面已过期'
          : '无权操作'
        : e.status === 401
          ? '请先登录'
          : e.status === 413
            ? '提交内容过大'
            : e.status === 429
              ? '尝试次数过多'
              : '请求有误';
    const message = e.expose && e.message ? e.message : e.status === 413 ? '提交的内容过大。' : '请求无法处理。';
    return { status: e.status, title, message };
  }
  return { status: 500, title: '出错了', message: '服务器暂时无法处理您的请求，请稍后重试。' };
}

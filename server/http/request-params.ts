import type { Request } from 'express';
import type { Actor } from '../runtime/api.js';
import { badRequest, HttpError } from './errors.js';

/** The signed-in user of an API request (the auth middleware ran before); 401 if there is none. */
export function actorOf(req: Request): Actor {
  if (!req.actor) throw new HttpError(401, 'unauthorized', '请先登录');
  return req.actor;
}

/** A route parameter as text ('' when absent). */
export function param(req: Request, name: string): string {
  const value = req.params[name];
  return typeof value === 'string' ? value : '';
}

/** A query parameter as trimmed text of at most 200 characters ('' when absent or repeated). */
export function queryText(req: Request, name: string): string {
  const value = (req.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value.trim().slice(0, 200) : '';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON body as an object; `{}` when there is none. */
export function jsonBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined || body === null || body === '') return {};
  if (!isPlainObject(body)) throw badRequest('请求体应为 JSON 对象（Content-Type: application/json）');
  return body;
}

/** A query parameter as given (undefined when absent or empty); a repeated one is refused. */
export function query(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`查询参数 ${name} 只能出现一次`, { [name]: '只能出现一次' });
  return value;
}

/** A whole-number query parameter between `min` and `max`; anything else is refused. */
export function queryInt(req: Request, name: string, min: number, max: number): number | undefined {
  const text = query(req, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw badRequest(`查询参数 ${name} 应为 ${min} 到 ${max} 之间的整数`, { [name]: `应为 ${min} 到 ${max} 之间的整数` });
  }
  return n;
}

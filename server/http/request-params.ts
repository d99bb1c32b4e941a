import type { Request } from 'express';
import { badRequest } from './errors.js';

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

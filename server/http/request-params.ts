import type { Request } from 'express';

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

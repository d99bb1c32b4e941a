import express from 'express';
import type { AppDeps } from '../app.js';

/** Admin console pages and the modeler (placeholder: replaced by the admin console's implementation). */
export function createAdminRouter(_deps: AppDeps): express.Router {
  return express.Router();
}

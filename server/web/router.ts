import express from 'express';
import type { AppDeps } from '../app.js';

/** Staff and public pages (placeholder: replaced by the web pages' implementation). */
export function createWebRouter(_deps: AppDeps): express.Router {
  return express.Router();
}

import { parentPort } from 'node:worker_threads';
import { lintDefinitions, lintRules } from './lint-core.js';
import { parseBpmn } from './moddle.js';
import type { Problem } from './problem.js';

/**
 * Worker thread entry of the deploy lint (started by server/bpmn/lint.ts). Messages:
 *   { id, kind: 'lint', xml }  → { id, ok: true, result: Problem[] }
 *   { id, kind: 'rules' }      → { id, ok: true, result: Record<rule, category> }
 * or { id, ok: false, error } when the lint itself failed.
 */

type Request = { id: number; kind: 'lint'; xml: string } | { id: number; kind: 'rules' };

async function handle(request: Request): Promise<unknown> {
  if (request.kind === 'rules') return lintRules();
  const parsed = await parseBpmn(request.xml);
  if (!parsed.definitions) return [] as Problem[];
  return lintDefinitions(parsed.definitions, parsed.elementsById);
}

parentPort?.on('message', (request: Request) => {
  handle(request).then(
    (result) => parentPort?.postMessage({ id: request.id, ok: true, result }),
    (err: unknown) => parentPort?.postMessage({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});

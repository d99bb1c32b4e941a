import { Worker } from 'node:worker_threads';
import type { Problem } from './problem.js';

export { MANDATORY_PLATFORM_RULES, RULE_DESCRIPTIONS } from './lint-rules.js';

/**
 * bpmnlint at deploy, with exactly the repository's `.bpmnlintrc`:
 *
 *   { "extends": ["bpmnlint:recommended", "plugin:platform/recommended"], "rules": { …style rules as "warn"… } }
 *
 * Rule decisions (also recorded inside `.bpmnlintrc` under "//"): errors block execution, warnings are style.
 *  - Only `error` reports refuse a deployment; `warn` reports are passed on as problems with severity `warning`
 *    (shown in the deploy answer and the modeler, deploy allowed).
 *  - Errors, because the engine cannot run the diagram as drawn: conditional-flows, no-complex-gateway,
 *    no-gateway-join-fork, no-implicit-start, no-disconnected, start-event-required and the structural rules of
 *    bpmnlint:recommended.
 *  - Warnings, because the engine runs the diagram as drawn: label-required (lists fall back to the element id),
 *    no-implicit-split, no-implicit-end, end-event-required, no-bpmndi (elements without shapes run but cannot be
 *    shown), and recommended's own warnings (no-inclusive-gateway,
 *    fake-join, superfluous-gateway, superfluous-termination, no-overlapping-elements, global, superfluous-label).
 *  - plugin:platform/recommended (bpmnlint-plugin-platform/) adds the platform rules. They carry the safety of the
 *    runtime (no scripts, FEEL only, assigned user tasks with forms, external service tasks, ISO 8601 timers, only
 *    elements the engine runs here), so the lint refuses to run with a config that turns any of them off or down to
 *    a warning (MANDATORY_PLATFORM_RULES).
 *
 * Messages: the platform rules' own (Chinese); bpmnlint's rules keep their English message after a Chinese
 * description of the rule (RULE_DESCRIPTIONS) and of the element.
 *
 * The lint runs in a worker thread (server/bpmn/lint-worker.ts) that parses the XML with bpmn-moddle and lints the
 * moddle root there. Reasons: bpmnlint is CommonJS requiring ES-module-only packages, which Node loads natively but
 * module sandboxes (jest) cannot; and a pathological diagram can neither stall the server's event loop nor take
 * more than LINT_TIMEOUT_MS or the worker's memory limit.
 */

export const LINT_TIMEOUT_MS = 20_000;

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function failAll(error: Error): void {
  for (const [id, call] of pending) {
    clearTimeout(call.timer);
    call.reject(error);
    pending.delete(id);
  }
}

function getWorker(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL('./lint-worker.js', import.meta.url), {
    resourceLimits: { maxOldGenerationSizeMb: 256 },
  });
  started.on('message', (reply: Reply) => {
    const call = pending.get(reply.id);
    if (!call) return;
    pending.delete(reply.id);
    clearTimeout(call.timer);
    if (reply.ok) call.resolve(reply.result);
    else call.reject(new Error(reply.error));
    if (!pending.size) started.unref();
  });
  started.on('error', (err) => {
    if (worker === started) worker = null;
    failAll(err instanceof Error ? err : new Error(String(err)));
  });
  started.on('exit', () => {
    if (worker === started) worker = null;
    failAll(new Error('BPMN 检查进程意外退出'));
  });
  started.unref();
  worker = started;
  return started;
}

class LintTimeout extends Error {}

function call<T>(message: { kind: 'lint'; xml: string } | { kind: 'rules' }): Promise<T> {
  const target = getWorker();
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new LintTimeout(`BPMN 检查超时（超过 ${LINT_TIMEOUT_MS / 1000} 秒）`));
      if (worker === target) worker = null;
      void target.terminate();
    }, LINT_TIMEOUT_MS);
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
    target.ref(); // keep the process alive while an answer is due
    target.postMessage({ id, ...message });
  });
}

/**
 * Lint BPMN text that passed checkXmlSafety and parseBpmn. Error reports become problems, `warn` reports problems
 * with severity `warning`. A lint that does not finish in time is a problem of the diagram (`lint/timeout`); any
 * other failure of the lint itself throws.
 */
export async function lintBpmn(xml: string): Promise<Problem[]> {
  try {
    return await call<Problem[]>({ kind: 'lint', xml });
  } catch (err) {
    if (err instanceof LintTimeout) return [{ code: 'lint/timeout', message: err.message }];
    throw err;
  }
}

/** The effective rule set of `.bpmnlintrc` (rule name → `error` | `warn` | …). */
export function lintRules(): Promise<Record<string, string>> {
  return call<Record<string, string>>({ kind: 'rules' });
}

/** Stop the lint worker (server shutdown, tests). The next lint starts a new one. */
export async function closeLintWorker(): Promise<void> {
  const current = worker;
  worker = null;
  if (current) {
    failAll(new Error('BPMN 检查已停止'));
    await current.terminate();
  }
}

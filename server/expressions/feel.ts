import vm from 'node:vm';
import { evaluate as feelEvaluate } from 'feelin';
import {
  checkExpressionText,
  checkFeel,
  isExpression,
  MAX_EXPRESSION_LENGTH,
  MAX_RANGE_BOUND,
  platformForm,
  unwrap,
} from 'bpmnlint-plugin-platform/lib/feel.js';

/**
 * The platform's one expression language: FEEL, evaluated by feelin.
 * Diagram content is never run as JavaScript; this module is the only place that interprets it.
 *
 * In BPMN attributes an expression is written `${ FEEL }` (Camunda 7 notation, so the properties panel edits
 * it as an expression) or `= FEEL` (Camunda 8 notation); anything else is a literal.
 */

// The syntax check is shared with the bpmnlint plugin, so deploy lint, browser lint and runtime agree.
export { checkExpressionText, checkFeel, isExpression, MAX_EXPRESSION_LENGTH, MAX_RANGE_BOUND, platformForm, unwrap };

export class ExpressionError extends Error {
  constructor(message: string, readonly expression: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/**
 * The longest one FEEL evaluation may run (ms, wall clock). Expressions that can loop or backtrack (`for`, `some`,
 * `every`, ranges, filters, regular expressions over typed input) run under a watchdog that stops them there, so no
 * diagram and no form value can hold the server's one thread (docs/SECURITY.md). The processes' own rules cost
 * tens of milliseconds at their largest inputs; the margin keeps a busy server from refusing them.
 */
export const MAX_EVALUATION_MS = 1000;
const MAY_LOOP = /\bfor\b|\bsome\b|\bevery\b|\.\.|\[|\b(?:matches|replace|split)\s*\(/;
const watchdog = vm.createContext({ work: null as (() => unknown) | null });
const runWork = new vm.Script('work()');

function withinTimeLimit<T>(work: () => T): T {
  watchdog.work = work;
  try {
    return runWork.runInContext(watchdog, { timeout: MAX_EVALUATION_MS }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new Error(`表达式计算超过 ${MAX_EVALUATION_MS} 毫秒，已停止（请简化表达式或缩短输入）`);
    }
    throw err;
  } finally {
    watchdog.work = null;
  }
}

/**
 * The syntax check's verdict per source text. Sources come from deployed diagrams, so there are few of them, and
 * each step evaluates its gateway conditions again: the check (a full parse) is done once per text. Bounded in case
 * some caller passes ever-new texts.
 */
const checked = new Map<string, { problem: string | null; mayLoop: boolean }>();
const MAX_CHECKED = 2_000;

function checkFeelOnce(source: string): { problem: string | null; mayLoop: boolean } {
  let verdict = checked.get(source);
  if (verdict === undefined) {
    verdict = { problem: checkFeel(source) ?? null, mayLoop: MAY_LOOP.test(source) };
    if (checked.size >= MAX_CHECKED) checked.clear();
    checked.set(source, verdict);
  }
  return verdict;
}

/** Evaluate FEEL source against a context of variables. Throws ExpressionError on a syntax or evaluation error. */
export function evaluateFeel(source: string, context: Record<string, unknown>): unknown {
  const { problem, mayLoop } = checkFeelOnce(source);
  if (problem) throw new ExpressionError(problem, source);
  try {
    const feelContext = toFeelContext(context);
    const { value } = mayLoop ? withinTimeLimit(() => feelEvaluate(source, feelContext)) : feelEvaluate(source, feelContext);
    return fromFeel(value);
  } catch (err) {
    throw new ExpressionError(err instanceof Error ? err.message : String(err), source);
  }
}

/** Resolve a BPMN attribute value: `${FEEL}` or `=FEEL` is evaluated, anything else returned as written. */
export function resolve(text: unknown, context: Record<string, unknown>): unknown {
  if (typeof text !== 'string') return text;
  const source = unwrap(text);
  if (source === null) return text;
  return evaluateFeel(source, context);
}

/** Evaluate a condition; anything but boolean `true` is false. */
export function isTrue(text: string, context: Record<string, unknown>): boolean {
  return resolve(text, context) === true;
}

/**
 * Plain JSON in, plain JSON out: dates are passed as ISO strings and the prototype chain of user-supplied objects
 * is never exposed to the evaluator.
 */
function toFeelContext(context: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(context)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    out[key] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

function fromFeel(value: unknown): unknown {
  if (value === undefined) return null;
  if (value && typeof value === 'object' && 'toISOString' in value && typeof value.toISOString === 'function') {
    return (value as { toISOString(): string }).toISOString();
  }
  return value;
}

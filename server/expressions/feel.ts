import { evaluate as feelEvaluate, parseExpression } from 'feelin';

/**
 * The platform's one expression language: FEEL, evaluated by feelin.
 * Diagram content is never run as JavaScript; this module is the only place that interprets it.
 *
 * In BPMN attributes an expression is written `${ FEEL }` (Camunda 7 notation, so the properties panel edits
 * it as an expression); anything else is a literal.
 */

const WRAPPED = /^\s*\$\{([\s\S]*)\}\s*$/;

/** Longest expression accepted; protects the parser from hostile diagrams. */
export const MAX_EXPRESSION_LENGTH = 2000;

/** Integer range literals (`1..n`) above this bound are refused: `for i in 1..1e9` would hang the server. */
export const MAX_RANGE_BOUND = 10000;

export class ExpressionError extends Error {
  constructor(message: string, readonly expression: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

export function isExpression(text: unknown): text is string {
  return typeof text === 'string' && WRAPPED.test(text);
}

/** The FEEL source inside `${…}`, or null for a literal. */
export function unwrap(text: string): string | null {
  const match = WRAPPED.exec(text);
  return match ? match[1].trim() : null;
}

/** Returns a message describing why the FEEL source cannot be used, or null when it can. */
export function checkFeel(source: string): string | null {
  if (source.length > MAX_EXPRESSION_LENGTH) return `表达式过长（超过 ${MAX_EXPRESSION_LENGTH} 个字符）`;
  if (/\bfunction\s*\(/.test(source)) return '表达式中不允许定义函数';
  for (const match of source.matchAll(/(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)/g)) {
    if (Math.abs(Number(match[2]) - Number(match[1])) > MAX_RANGE_BOUND) {
      return `表达式中的范围过大（不得超过 ${MAX_RANGE_BOUND}）`;
    }
  }
  try {
    const tree = parseExpression(source, {}, undefined);
    let error: string | null = null;
    tree.iterate({
      enter(node) {
        if (node.type.isError && !error) error = `表达式语法错误（位置 ${node.from}）`;
      },
    });
    if (error) return error;
    // feelin reports some problems only while building its evaluation tree.
    feelEvaluate(source, {});
    return null;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/Incomplete|Unexpected|Syntax|Unrecognized/i.test(message)) return `表达式语法错误：${message}`;
    // A runtime error against an empty context (unknown variables and the like) is not a syntax problem.
    return null;
  }
}

/** Check a BPMN attribute value: literals are fine, `${…}` must hold usable FEEL. */
export function checkExpressionText(text: string): string | null {
  const source = unwrap(text);
  if (source === null) return null;
  if (!source) return '表达式为空';
  return checkFeel(source);
}

/** Evaluate FEEL source against a context of variables. Throws ExpressionError on a syntax or evaluation error. */
export function evaluateFeel(source: string, context: Record<string, unknown>): unknown {
  const problem = checkFeel(source);
  if (problem) throw new ExpressionError(problem, source);
  try {
    const { value } = feelEvaluate(source, toFeelContext(context));
    return fromFeel(value);
  } catch (err) {
    throw new ExpressionError(err instanceof Error ? err.message : String(err), source);
  }
}

/** Resolve a BPMN attribute value: `${FEEL}` is evaluated, anything else returned as written. */
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

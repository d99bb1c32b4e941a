import { evaluate as feelEvaluate, parseExpression } from 'feelin';

/**
 * FEEL syntax checking shared by the bpmnlint rules (server and, later, the browser modeler).
 *
 * This file must stay free of Node-only modules. Its behaviour and messages are the same as
 * server/expressions/feel.ts re-exports it, so the server, the deploy lint and the browser modeler apply one check.
 */

/** `${FEEL}`: Camunda 7 notation, the platform's own (the Camunda 7 properties panel edits it). */
const WRAPPED = /^\s*\$\{([\s\S]*)\}\s*$/;
/** `=FEEL`: Camunda 8 notation, accepted everywhere the platform form is. */
const PREFIXED = /^\s*=([\s\S]*)$/;

/** Longest expression accepted; protects the parser from hostile diagrams. */
export const MAX_EXPRESSION_LENGTH = 2000;

/** Integer range literals (`1..n`) above this bound are refused. */
export const MAX_RANGE_BOUND = 10000;

/**
 * Whether a BPMN value is an expression: `${FEEL}` (Camunda 7) or `=FEEL` (Camunda 8); anything else is a literal.
 * @param {unknown} text
 */
export function isExpression(text) {
  return typeof text === 'string' && (WRAPPED.test(text) || PREFIXED.test(text));
}

/**
 * The FEEL source of `${…}` or `=…`, or null for a literal.
 * @param {string} text
 * @returns {string | null}
 */
export function unwrap(text) {
  const match = WRAPPED.exec(text) ?? PREFIXED.exec(text);
  return match ? match[1].trim() : null;
}

/**
 * The platform's way of writing a value: `=FEEL` becomes `${FEEL}`; `${FEEL}` and literals are returned unchanged.
 * @param {string} text
 * @returns {string}
 */
export function platformForm(text) {
  if (WRAPPED.test(text)) return text;
  const source = unwrap(text);
  return source === null ? text : `\${${source}}`;
}

/**
 * Why the FEEL source cannot be used (Chinese), or null when it can.
 * @param {string} source
 * @returns {string | null}
 */
export function checkFeel(source) {
  if (source.length > MAX_EXPRESSION_LENGTH) return `表达式过长（超过 ${MAX_EXPRESSION_LENGTH} 个字符）`;
  if (/\bfunction\s*\(/.test(source)) return '表达式中不允许定义函数';
  // feelin tolerates some JavaScript operators that FEEL does not have; refuse them rather than guess.
  const code = source.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const foreign = /===?|&&|\|\||>>|<<|!(?!=)/.exec(code);
  if (foreign) return `表达式使用了 FEEL 不支持的运算符“${foreign[0]}”（相等用 =，并且用 and，或者用 or，否定用 not()）`;
  // Ranges nested in one another multiply (`for a in 1..3000, b in 1..3000` is 9,000,000 steps), so the bound is
  // on the product of every constant range in the expression, which also keeps the evaluation below cheap.
  let steps = 1;
  for (const match of source.matchAll(/(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)/g)) {
    steps *= Math.abs(Number(match[2]) - Number(match[1])) + 1;
    if (steps > MAX_RANGE_BOUND) return `表达式中的范围过大（各范围大小相乘不得超过 ${MAX_RANGE_BOUND}）`;
  }
  try {
    const tree = parseExpression(source, {}, undefined);
    /** @type {string | null} */
    let error = null;
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

/**
 * Check a BPMN attribute value: literals are fine, `${…}` and `=…` must hold usable FEEL.
 * @param {string} text
 * @returns {string | null}
 */
export function checkExpressionText(text) {
  const source = unwrap(text);
  if (source === null) return null;
  if (!source) return '表达式为空';
  return checkFeel(source);
}

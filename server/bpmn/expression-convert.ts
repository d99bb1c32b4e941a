import { checkFeel, isExpression, MAX_EXPRESSION_LENGTH, platformForm, unwrap } from '../expressions/feel.js';

/**
 * Expressions written for other engines, rewritten as the platform's `${FEEL}` when they mean the same:
 *  - `=FEEL` (Camunda 8) → `${FEEL}`;
 *  - JUEL (Camunda 7, Flowable, Activiti) such as `${!approved}`, `${clarified == 'yes'}`, `${a && b > 2}` →
 *    `${not(approved)}`, `${clarified = "yes"}`, `${a and b > 2}`: variables, property paths, literals, comparison,
 *    logic, arithmetic and `?:`; method calls, indexing, `empty` and the like are left as they are;
 *  - the BPMN specification's XPath for data objects, `bpmn:getDataObject('approved') = 'yes'` → `${approved = "yes"}`,
 *    with `not()`, `and`, `or`, comparisons, literals, `true()`, `false()`.
 *  - a condition in FEEL without `${…}` (an explicit FEEL language, or none at all) → `${…}`.
 * A rewrite is only returned when its result is valid FEEL (the same check as the deploy lint).
 */

type Dialect = 'juel' | 'xpath';

type Token =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: string }
  | { kind: 'name'; value: string }
  | { kind: 'op'; value: string }
  | { kind: 'data'; value: string };

class Unsupported extends Error {}

const JUEL_WORDS: Record<string, string> = { eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=', and: '&&', or: '||', not: '!', div: '/' };
const XPATH_WORDS: Record<string, string> = { and: '&&', or: '||', div: '/' };
/** Names FEEL reads as keywords: never produced as variable names. */
const FEEL_KEYWORDS = new Set(['for', 'return', 'if', 'then', 'else', 'some', 'every', 'satisfies', 'in', 'instance', 'of', 'function', 'between', 'and', 'or', 'not', 'null', 'true', 'false']);

function tokenize(source: string, dialect: Dialect): Token[] {
  const tokens: Token[] = [];
  const words = dialect === 'juel' ? JUEL_WORDS : XPATH_WORDS;
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^\s+/.exec(rest))) {
      i += m[0].length;
    } else if ((m = /^(['"])((?:\\.|(?!\1)[^\\])*)\1/.exec(rest))) {
      // JUEL strings know backslash escapes; XPath strings have none.
      const body = dialect === 'juel' ? m[2]!.replace(/\\(.)/g, '$1') : m[2]!;
      tokens.push({ kind: 'string', value: body });
      i += m[0].length;
    } else if ((m = /^\d+(\.\d+)?/.exec(rest))) {
      tokens.push({ kind: 'number', value: m[0] });
      i += m[0].length;
    } else if (dialect === 'xpath' && (m = /^bpmn:getDataObject\(\s*(['"])([A-Za-z_][A-Za-z0-9_]*)\1\s*\)/.exec(rest))) {
      tokens.push({ kind: 'data', value: m[2]! });
      i += m[0].length;
    } else if (dialect === 'xpath' && (m = /^(true|false)\(\s*\)/.exec(rest))) {
      tokens.push({ kind: 'name', value: m[1]! });
      i += m[0].length;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
      const word = m[0];
      if (words[word]) tokens.push({ kind: 'op', value: words[word]! });
      else if (dialect === 'xpath' && word === 'not' && /^not\s*\(/.test(rest)) tokens.push({ kind: 'op', value: '!' });
      else tokens.push({ kind: 'name', value: word });
      i += word.length;
    } else if ((m = /^(==|!=|<=|>=|&&|\|\||[<>!=+\-*/().?:])/.exec(rest))) {
      // XPath compares with a single "="; JUEL has no single "=" at all.
      const op = m[0] === '=' ? (dialect === 'xpath' ? '==' : null) : m[0] === '!' && dialect === 'xpath' ? null : m[0];
      if (op === null) throw new Unsupported(m[0]);
      tokens.push({ kind: 'op', value: op });
      i += m[0].length;
    } else {
      throw new Unsupported(rest.slice(0, 10));
    }
  }
  return tokens;
}

type Node =
  | { kind: 'literal'; text: string }
  | { kind: 'path'; names: string[] }
  | { kind: 'not'; operand: Node }
  | { kind: 'negate'; operand: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node }
  | { kind: 'if'; test: Node; then: Node; else: Node };

const LEVELS: string[][] = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='], ['+', '-'], ['*', '/']];

function parse(tokens: Token[], dialect: Dialect): Node {
  let at = 0;
  const peek = () => tokens[at];
  const isOp = (value: string) => peek()?.kind === 'op' && peek()!.value === value;
  const expect = (value: string) => {
    if (!isOp(value)) throw new Unsupported(`expected ${value}`);
    at++;
  };
  const conditional = (): Node => {
    const test = binary(0);
    if (!isOp('?')) return test;
    at++;
    const then = conditional();
    expect(':');
    return { kind: 'if', test, then, else: conditional() };
  };
  const binary = (level: number): Node => {
    if (level === LEVELS.length) return unary();
    let left = binary(level + 1);
    while (peek()?.kind === 'op' && LEVELS[level]!.includes(peek()!.value)) {
      const op = tokens[at++]!.value;
      left = { kind: 'binary', op, left, right: binary(level + 1) };
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp('!')) {
      at++;
      return { kind: 'not', operand: unary() };
    }
    if (isOp('-')) {
      at++;
      return { kind: 'negate', operand: unary() };
    }
    return primary();
  };
  const primary = (): Node => {
    const token = tokens[at++];
    if (!token) throw new Unsupported('end');
    if (token.kind === 'op' && token.value === '(') {
      const inner = conditional();
      expect(')');
      return inner;
    }
    if (token.kind === 'string') return { kind: 'literal', text: JSON.stringify(token.value) };
    if (token.kind === 'number') return { kind: 'literal', text: token.value };
    if (token.kind === 'data') return { kind: 'path', names: [token.value] };
    if (token.kind === 'name') {
      if (['true', 'false', 'null'].includes(token.value)) return { kind: 'literal', text: token.value };
      // XPath names are child steps of an XML document, which the platform's variables are not.
      if (dialect === 'xpath') throw new Unsupported(token.value);
      const names = [token.value];
      while (isOp('.')) {
        at++;
        const next = tokens[at++];
        if (next?.kind !== 'name') throw new Unsupported('property');
        names.push(next.value);
      }
      if (isOp('(')) throw new Unsupported('method call');
      return { kind: 'path', names };
    }
    throw new Unsupported(token.value);
  };
  const tree = conditional();
  if (at !== tokens.length) throw new Unsupported('trailing');
  return tree;
}

const FEEL_OPS: Record<string, { text: string; level: number }> = {
  '||': { text: 'or', level: 1 },
  '&&': { text: 'and', level: 2 },
  '==': { text: '=', level: 3 },
  '!=': { text: '!=', level: 3 },
  '<': { text: '<', level: 3 },
  '>': { text: '>', level: 3 },
  '<=': { text: '<=', level: 3 },
  '>=': { text: '>=', level: 3 },
  '+': { text: '+', level: 4 },
  '-': { text: '-', level: 4 },
  '*': { text: '*', level: 5 },
  '/': { text: '/', level: 5 },
};

/** FEEL text of a node; `level` is the binding strength its place needs (0: anything goes). */
function print(node: Node, level = 0): string {
  switch (node.kind) {
    case 'literal':
      return node.text;
    case 'path':
      if (node.names.some((name) => FEEL_KEYWORDS.has(name))) throw new Unsupported(node.names.join('.'));
      return node.names.join('.');
    case 'not':
      return `not(${print(node.operand)})`;
    case 'negate':
      return `-${print(node.operand, 6)}`;
    case 'if': {
      const text = `if ${print(node.test)} then ${print(node.then)} else ${print(node.else)}`;
      return level > 0 ? `(${text})` : text;
    }
    default: {
      const op = FEEL_OPS[node.op]!;
      // Comparisons do not chain in FEEL, and the right operand of - and / must not regroup.
      const left = print(node.left, op.level === 3 ? 4 : op.level);
      const right = print(node.right, op.level + 1);
      const text = `${left} ${op.text} ${right}`;
      return op.level < level ? `(${text})` : text;
    }
  }
}

function translate(source: string, dialect: Dialect): string | null {
  try {
    const feel = print(parse(tokenize(source, dialect), dialect));
    return checkFeel(feel) === null ? feel : null;
  } catch (err) {
    // A stack overflow is a nesting deeper than any expression a person writes: left as written for the lint.
    if (err instanceof Unsupported || err instanceof RangeError) return null;
    throw err;
  }
}

export interface ExpressionRewrite {
  /** The platform form, `${FEEL}`. */
  text: string;
  /** How it was written: `=FEEL`, JUEL or XPath. */
  from: 'camunda8' | 'juel' | 'xpath' | 'feel';
}

/**
 * The platform form of an expression written elsewhere, or null when it already is one or cannot be rewritten.
 * `language`: the expression's language (its own `language` attribute, else the definitions' `expressionLanguage`).
 * A text that is not `${…}` or `=…` is read as FEEL when that language says FEEL or says nothing, as XPath when it
 * says XPath — unless `mayBeLiteral` (timers, attributes), where such a text is a literal value and stays.
 */
export function rewriteExpression(text: string, language: string | null | undefined, mayBeLiteral = false): ExpressionRewrite | null {
  const trimmed = text.trim();
  // Longer than the lint accepts anyway; also keeps the tokenizer's work small.
  if (!trimmed || trimmed.length > MAX_EXPRESSION_LENGTH + 3) return null;
  if (/^=/.test(trimmed)) return checkFeel(unwrap(trimmed) ?? '') === null ? { text: platformForm(trimmed), from: 'camunda8' } : null;
  if (isExpression(trimmed)) {
    const source = unwrap(trimmed) ?? '';
    // FEEL names may have spaces, so `score ge 60` parses as FEEL too; JUEL's word operators say what was meant.
    const juelWords = /\b(?:eq|ne|lt|gt|le|ge|div)\b/.test(source.replace(/(["'])(?:\\.|(?!\1)[^\\])*\1/g, '""'));
    if (checkFeel(source) === null && !juelWords) return null;
    const feel = translate(source, 'juel');
    return feel === null ? null : { text: `\${${feel}}`, from: 'juel' };
  }
  if (mayBeLiteral) return null;
  // No language anywhere: the text cannot be a literal (a condition is never one), so it is read as FEEL if it is FEEL.
  if (!language || /feel/i.test(language)) return checkFeel(trimmed) === null ? { text: `\${${trimmed}}`, from: 'feel' } : null;
  if (language && /xpath/i.test(language)) {
    const feel = translate(trimmed, 'xpath');
    return feel === null ? null : { text: `\${${feel}}`, from: 'xpath' };
  }
  return null;
}

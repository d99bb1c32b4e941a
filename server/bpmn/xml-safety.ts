import { SaxesParser } from 'saxes';
import { MAX_BPMN_BYTES, MAX_ELEMENT_COUNT, MAX_ELEMENT_DEPTH } from './limits.js';
import type { Problem } from './problem.js';

/**
 * The first deploy check, run before any BPMN parser sees the text:
 *  1. size limit (MAX_BPMN_BYTES);
 *  2. no DOCTYPE and no ENTITY declarations, in any case and wherever they appear (a BOM or leading
 *     whitespace does not hide them) — this shuts out entity expansion ("billion laughs") and external
 *     entities (XXE) for every later parser;
 *  3. well-formedness with saxes, a streaming parser that expands no entities but the five predefined
 *     ones and never recurses; the element depth and count limits are enforced while streaming, so
 *     10,000-deep nesting is refused after 200 levels;
 *  4. the root element is BPMN 2.0 `definitions`.
 */

export const BPMN_MODEL_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';

class StopParsing extends Error {}

function positionOf(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: index - lineStart + 1 };
}

export function checkXmlSafety(xml: unknown): Problem[] {
  if (typeof xml !== 'string') {
    return [{ code: 'xml/not-text', message: '部署内容必须是 BPMN 2.0 XML 文本' }];
  }
  // Every character is at least one byte, so a long string is refused without measuring it.
  const bytes = xml.length > MAX_BPMN_BYTES ? xml.length : Buffer.byteLength(xml, 'utf8');
  if (bytes > MAX_BPMN_BYTES) {
    return [
      {
        code: 'xml/too-large',
        message: `文件过大（至少 ${bytes} 字节），上限为 ${MAX_BPMN_BYTES} 字节（2 MiB）`,
      },
    ];
  }
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  if (!text.trim()) return [{ code: 'xml/empty', message: '文件为空' }];

  const problems: Problem[] = [];
  const doctype = /<!\s*DOCTYPE/i.exec(text);
  if (doctype) {
    problems.push({
      code: 'xml/doctype',
      message: '文件含有 DOCTYPE 声明，出于安全原因不被接受（BPMN 文件不需要 DOCTYPE）',
      ...positionOf(text, doctype.index),
    });
  }
  const entity = /<!\s*ENTITY/i.exec(text);
  if (entity) {
    problems.push({
      code: 'xml/entity',
      message: '文件含有实体（ENTITY）声明，出于安全原因不被接受',
      ...positionOf(text, entity.index),
    });
  }
  if (problems.length) return problems;

  return checkWellFormed(text);
}

function checkWellFormed(text: string): Problem[] {
  const parser = new SaxesParser({ xmlns: true, position: true });
  let depth = 0;
  let count = 0;
  let root: { uri: string; local: string } | null = null;
  let problem: Problem | null = null;
  const at = () => ({ line: parser.line, column: parser.column + 1 });
  const stop = (found: Problem): never => {
    problem = found;
    throw new StopParsing();
  };

  parser.on('doctype', () => {
    stop({ code: 'xml/doctype', message: '文件含有 DOCTYPE 声明，出于安全原因不被接受', ...at() });
  });
  parser.on('opentag', (tag) => {
    depth++;
    count++;
    if (!root) root = { uri: tag.uri, local: tag.local };
    if (depth > MAX_ELEMENT_DEPTH) {
      stop({ code: 'xml/too-deep', message: `元素嵌套过深（超过 ${MAX_ELEMENT_DEPTH} 层）`, ...at() });
    }
    if (count > MAX_ELEMENT_COUNT) {
      stop({ code: 'xml/too-many-elements', message: `元素过多（超过 ${MAX_ELEMENT_COUNT} 个）`, ...at() });
    }
  });
  parser.on('closetag', () => {
    depth--;
  });
  parser.on('error', (err) => {
    const detail = err.message.replace(/^\d+:\d+:\s*/, '');
    stop({ code: 'xml/malformed', message: `XML 格式错误（第 ${parser.line} 行第 ${parser.column + 1} 列）：${detail}`, ...at() });
  });

  try {
    parser.write(text).close();
  } catch (err) {
    if (!(err instanceof StopParsing)) {
      const detail = err instanceof Error ? err.message : String(err);
      return [{ code: 'xml/malformed', message: `XML 格式错误：${detail}`, ...at() }];
    }
  }
  if (problem) return [problem];

  const top = root as { uri: string; local: string } | null;
  if (!top || top.uri !== BPMN_MODEL_NS || top.local !== 'definitions') {
    return [
      {
        code: 'xml/not-bpmn',
        message: `根元素必须是 BPMN 2.0 的 definitions（命名空间 ${BPMN_MODEL_NS}）`,
        line: 1,
        column: 1,
      },
    ];
  }
  return [];
}

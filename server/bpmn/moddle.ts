import { createRequire } from 'node:module';
// @ts-ignore -- bpmn-moddle types only its model (`bpmn-moddle/types`); the entry may or may not be declared in types/.
import { BpmnModdle as createBpmnModdle } from 'bpmn-moddle';
import type { Problem } from './problem.js';
import { declareUtf8 } from './xml-encoding.js';

/**
 * Reading BPMN with bpmn-moddle and the Camunda 7 extension (camunda-bpmn-moddle), the model every later check
 * and the runtime work on. Only call with text that passed checkXmlSafety (server/bpmn/xml-safety.ts).
 */

/** A bpmn-moddle element (bpmn:Definitions, bpmn:UserTask, camunda:FormField, …). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ModdleElement = any;

export interface ParsedBpmn {
  /** The bpmn:Definitions root, or null when the text could not be read at all. */
  definitions: ModdleElement | null;
  /** moddle's warnings (unknown elements and attributes, unresolved references, duplicate ids) as problems. */
  warnings: Problem[];
  elementsById: Record<string, ModdleElement>;
}

interface ModdleWarning {
  message: string;
  element?: ModdleElement;
  property?: string;
  value?: unknown;
  error?: Error;
}

interface BpmnModdleInstance {
  fromXML(
    xml: string,
    typeName?: string,
  ): Promise<{ rootElement: ModdleElement; elementsById: Record<string, ModdleElement>; warnings: ModdleWarning[] }>;
}

const require = createRequire(import.meta.url);
const camundaDescriptor = require('camunda-bpmn-moddle/resources/camunda.json') as object;

export function createModdle(): BpmnModdleInstance {
  return (createBpmnModdle as unknown as (packages: Record<string, object>, options?: object) => BpmnModdleInstance)({
    camunda: camundaDescriptor,
  });
}

function positionIn(message: string): { line?: number; column?: number } {
  const line = /line:\s*(\d+)/.exec(message);
  const column = /column:\s*(\d+)/.exec(message);
  return {
    ...(line ? { line: Number(line[1]) + 1 } : {}), // moddle counts lines from 0
    ...(column ? { column: Number(column[1]) + 1 } : {}),
  };
}

function elementIdOf(warning: ModdleWarning): string | undefined {
  const id = warning.element && typeof warning.element.id === 'string' ? warning.element.id : undefined;
  return id || undefined;
}

/** moddle's English warnings, in Chinese, keeping the original text in brackets. */
export function warningToProblem(warning: ModdleWarning): Problem {
  const raw = String(warning.message || '');
  const firstLine = raw.split('\n')[0];
  const elementId = elementIdOf(warning);
  const where = elementId ? `（元素 ${elementId}）` : '';
  const base = { ...(elementId ? { elementId } : {}), ...positionIn(raw) };
  let match: RegExpExecArray | null;
  if ((match = /^unknown attribute <([^>]*)>/.exec(firstLine))) {
    return { code: 'moddle/unknown-attribute', message: `未知属性“${match[1]}”${where}`, ...base };
  }
  if ((match = /^unresolved reference <([^>]*)>/.exec(firstLine))) {
    const property = warning.property ? `属性 ${warning.property} ` : '';
    return { code: 'moddle/unresolved-reference', message: `${property}引用的元素“${match[1]}”不存在${where}`, ...base };
  }
  if ((match = /^unparsable content <([^>]*)> detected/.exec(firstLine))) {
    const nested = /nested error:\s*(.*)$/m.exec(raw);
    const duplicate = nested && /duplicate ID <([^>]*)>/i.exec(nested[1]);
    if (duplicate) return { code: 'moddle/duplicate-id', message: `元素标识“${duplicate[1]}”重复`, ...base };
    const unknownType = nested && /unknown type <([^>]*)>/.exec(nested[1]);
    const reason = unknownType ? `未知的元素类型 ${unknownType[1]}` : nested ? nested[1] : '无法解析';
    return { code: 'moddle/unparsable-content', message: `无法识别的内容 <${match[1]}>：${reason}`, ...base };
  }
  if ((match = /^duplicate ID <([^>]*)>/i.exec(firstLine))) {
    return { code: 'moddle/duplicate-id', message: `元素标识“${match[1]}”重复`, ...base };
  }
  if ((match = /^unknown type <([^>]*)>/.exec(firstLine))) {
    return { code: 'moddle/unknown-type', message: `未知的元素类型 ${match[1]}${where}`, ...base };
  }
  return { code: 'moddle/warning', message: `BPMN 解析问题：${firstLine}${where}`, ...base };
}

export async function parseBpmn(xml: string): Promise<ParsedBpmn> {
  const moddle = createModdle();
  try {
    // The text is decoded already: an encoding its declaration names (moddle only reads UTF-8 ones) no longer applies.
    const result = await moddle.fromXML(declareUtf8(xml).text, 'bpmn:Definitions');
    return {
      definitions: result.rootElement ?? null,
      warnings: (result.warnings || []).map(warningToProblem),
      elementsById: result.elementsById || {},
    };
  } catch (err) {
    const error = err as ModdleWarning & { warnings?: ModdleWarning[] };
    const message = String(error?.message ?? err).split('\n')[0];
    return {
      definitions: null,
      warnings: [
        { code: 'moddle/unreadable', message: `无法按 BPMN 2.0 读取文件：${message}`, ...positionIn(String(error?.message ?? '')) },
        ...(error?.warnings || []).map(warningToProblem),
      ],
      elementsById: {},
    };
  }
}

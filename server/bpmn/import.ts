import { isExpression } from '../expressions/feel.js';
import { convertDialects, type ConversionReport } from './import-convert.js';
import { CAMUNDA_URI } from './import-forms.js';
import { isError, type Problem } from './problem.js';
import { declareUtf8, decodeXml } from './xml-encoding.js';
import { checkXmlSafety, BPMN_MODEL_NS } from './xml-safety.js';
import { allElements, attribute, parseXml } from './xml-tree.js';

/**
 * A BPMN file as it arrives (bytes in any encoding its declaration names, or text), made into what the platform
 * deploys: decoded and declared UTF-8 (server/bpmn/xml-encoding.ts), checked for hostile content
 * (server/bpmn/xml-safety.ts), and converted from other tools' writing (server/bpmn/import-convert.ts). The deploy
 * checks proper (server/bpmn/validate.ts) then run on `xml`.
 */

export interface ImportedBpmn {
  /** The text to check and deploy; only meaningful when `problems` has no error. */
  xml: string;
  /** The encoding the file was read in (`UTF-8` for text). */
  encoding: string;
  conversion: ConversionReport;
  /** Errors stop the import (encoding, XML safety); warnings (unknown groups) are remarks. */
  problems: Problem[];
}

export interface ImportOptions {
  /** The Content-Type charset the bytes came with, if any. */
  charset?: string;
  /** Group ids the platform knows: candidate groups outside them are pointed out. */
  knownGroups?: ReadonlySet<string>;
}

export function importBpmn(input: string | Uint8Array, options: ImportOptions = {}): ImportedBpmn {
  const empty: ConversionReport = { converted: [], dropped: [] };
  let text: string;
  let encoding = 'UTF-8';
  if (typeof input === 'string') {
    text = input;
  } else {
    const decoded = decodeXml(input, options.charset);
    if (!decoded.ok) return { xml: '', encoding: '', conversion: empty, problems: [decoded.problem] };
    ({ text, encoding } = decoded);
  }
  const declared = declareUtf8(text);
  text = declared.text;
  const conversion: ConversionReport = { converted: [], dropped: [] };
  if (declared.from && !/^utf-?8$/i.test(encoding)) {
    conversion.converted.push({ dialect: 'bpmn', from: `encoding="${declared.from}"`, to: 'encoding="UTF-8"', message: `文件按 ${encoding} 编码读取，保存为 UTF-8` });
  } else if (declared.from) {
    conversion.converted.push({ dialect: 'bpmn', from: `encoding="${declared.from}"`, to: 'encoding="UTF-8"', message: '文本已是 Unicode：XML 声明改为 UTF-8' });
  }

  const safety = checkXmlSafety(text);
  if (safety.some(isError)) return { xml: text, encoding, conversion, problems: safety };

  const converted = convertDialects(text);
  conversion.converted.push(...converted.report.converted);
  conversion.dropped.push(...converted.report.dropped);
  const problems = options.knownGroups ? unknownGroups(converted.xml, options.knownGroups) : [];
  return { xml: converted.xml, encoding, conversion, problems };
}

/** Literal candidate groups of user tasks (and starter groups of processes) that no platform group has. */
function unknownGroups(xml: string, known: ReadonlySet<string>): Problem[] {
  const problems: Problem[] = [];
  for (const element of allElements(parseXml(xml).root)) {
    if (element.uri !== BPMN_MODEL_NS || (element.local !== 'userTask' && element.local !== 'process')) continue;
    const name = element.local === 'userTask' ? 'candidateGroups' : 'candidateStarterGroups';
    const value = attribute(element, name, CAMUNDA_URI)?.value;
    if (!value || isExpression(value as unknown)) continue;
    // `role@unitId` names a unit explicitly (docs/ARCHITECTURE.md, "Units and scoping"): its role is what must exist.
    const unknown = value.split(',').map((g) => g.trim()).filter((g) => g && !known.has(g.split('@')[0]!));
    if (!unknown.length) continue;
    const id = attribute(element, 'id')?.value;
    const label = attribute(element, 'name')?.value || id || '';
    problems.push({
      code: 'import/unknown-group',
      message: `“${label}”的${element.local === 'userTask' ? '候选组' : '可发起的组'}中有平台没有的组：${unknown.join('、')}（这些组里没有人，请改为平台的组）`,
      ...(id ? { elementId: id } : {}),
      severity: 'warning',
    });
  }
  return problems;
}

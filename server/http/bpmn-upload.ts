import type { Request } from 'express';
import { importBpmn, type ImportedBpmn } from '../bpmn/import.js';
import type { ConversionReport } from '../bpmn/import-convert.js';
import { MAX_BPMN_BYTES } from '../bpmn/limits.js';
import { isError, type Problem } from '../bpmn/problem.js';
import { declareUtf8, decodeXml, MAX_RAW_BPMN_BYTES } from '../bpmn/xml-encoding.js';
import { badRequest, HttpError } from './errors.js';

/**
 * BPMN in a request: the bytes of an XML body (`application/xml`, `text/xml`, `application/bpmn+xml`), read in the
 * encoding the file names (server/bpmn/xml-encoding.ts), or the text of JSON `{ "xml": "…" }`.
 */

/** Largest XML body accepted: a 2 MiB diagram written in UTF-16, and some slack. */
export const MAX_XML_BYTES = MAX_RAW_BPMN_BYTES + 1024;
export const XML_MEDIA_TYPES = ['application/xml', 'text/xml', 'application/bpmn+xml'];

const NO_XML = '请求体应为 BPMN XML（Content-Type: application/xml），或 JSON {"xml": "…"}';

function tooLarge(): HttpError {
  return new HttpError(413, 'payload_too_large', `BPMN 文件过大（上限 ${MAX_BPMN_BYTES / 1024 / 1024} MiB）`);
}

/** The body as it came: bytes (with the Content-Type charset, if any) or text. */
function rawBody(req: Request): { input: string | Buffer; charset?: string } {
  const body: unknown = req.body;
  if (Buffer.isBuffer(body)) {
    if (!body.toString('latin1').trim()) throw badRequest(NO_XML);
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(req.get('content-type') ?? '')?.[1];
    return { input: body, ...(charset ? { charset } : {}) };
  }
  if (body && typeof body === 'object' && !Array.isArray(body) && typeof (body as { xml?: unknown }).xml === 'string') {
    const xml = (body as { xml: string }).xml;
    if (!xml.trim()) throw badRequest(NO_XML);
    return { input: xml };
  }
  throw badRequest(NO_XML);
}

/** A refused BPMN file: 400 `invalid_bpmn` with every problem, errors and warnings apart, and the conversion report. */
export function invalidBpmn(problems: Problem[], conversion?: ConversionReport): HttpError {
  const errors = problems.filter(isError);
  const warnings = problems.filter((p) => !isError(p));
  const counts = warnings.length ? `${errors.length} 个错误，${warnings.length} 个警告` : `${errors.length} 个问题`;
  return new HttpError(400, 'invalid_bpmn', `流程文件未通过校验（${counts}）`, {
    problems: [...errors, ...warnings],
    errors,
    warnings,
    ...(conversion ? { conversion } : {}),
  });
}

/** The body decoded and converted from other tools' writing (server/bpmn/import.ts); refused when unreadable. */
export function importedBody(req: Request, knownGroups?: ReadonlySet<string>): ImportedBpmn {
  const { input, charset } = rawBody(req);
  const imported = importBpmn(input, { ...(charset ? { charset } : {}), ...(knownGroups ? { knownGroups } : {}) });
  if (imported.problems.some((p) => p.code === 'xml/too-large')) throw tooLarge();
  if (imported.problems.some(isError)) throw invalidBpmn(imported.problems, imported.conversion);
  return imported;
}

/** The body as UTF-8 text, without conversion (the modeler's drafts). */
export function xmlText(req: Request): string {
  const { input, charset } = rawBody(req);
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    const decoded = decodeXml(input, charset);
    if (!decoded.ok) {
      if (decoded.problem.code === 'xml/too-large') throw tooLarge();
      throw invalidBpmn([decoded.problem]);
    }
    text = decoded.text;
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_BPMN_BYTES) throw tooLarge();
  return declareUtf8(text).text;
}

import { MAX_BPMN_BYTES } from './limits.js';
import type { Problem } from './problem.js';

/**
 * Reading a BPMN file's bytes in the encoding it names, so that diagrams from other tools (ISO-8859-1 from Eclipse
 * based editors, GBK or GB18030 from Chinese ones, UTF-16 from Windows tools) read as what they say; the platform
 * then keeps them as UTF-8 with a declaration that says so.
 *
 * The encoding is, in this order: a byte order mark (UTF-8, UTF-16LE, UTF-16BE); the `charset` of the request's
 * Content-Type (RFC 7303); UTF-16 recognised by its first bytes (`<?` as 16-bit units); the XML declaration's
 * `encoding`; else UTF-8. Decoding is Node's TextDecoder (full ICU, WHATWG labels: `ISO-8859-1` reads as its
 * superset windows-1252, `GB2312` and `GBK` as GBK) and is strict: bytes that are not valid in the encoding refuse
 * the file instead of turning into replacement characters.
 *
 * Every later safety check (server/bpmn/xml-safety.ts: size, DOCTYPE and ENTITY, depth) runs on the decoded text,
 * so no encoding can hide a declaration from them.
 */

/** Raw bytes accepted before decoding: UTF-16 spends two bytes on every character that UTF-8 writes in one. */
export const MAX_RAW_BPMN_BYTES = 2 * MAX_BPMN_BYTES;

/** `encoding`: as the file named it (upper case), e.g. `ISO-8859-1`, `GBK`, `UTF-16LE`. */
export type DecodedXml = { ok: true; text: string; encoding: string } | { ok: false; problem: Problem };

/** `encoding="…"` of an XML declaration at the very start of a text (after an optional byte order mark). */
const DECLARED = /^(\uFEFF?<\?xml\s[^?>]*?\bencoding\s*=\s*)(["'])([A-Za-z][A-Za-z0-9._:-]*)\2/;

function startsWith(bytes: Uint8Array, ...prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}

/** The WHATWG name of an encoding label, or null when Node cannot decode it. */
function canonical(label: string): string | null {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return null;
  }
}

function unsupported(label: string): DecodedXml {
  return {
    ok: false,
    problem: {
      code: 'xml/unsupported-encoding',
      message: `不支持的文件编码“${label.slice(0, 40)}”：请另存为 UTF-8、UTF-16、GBK、GB18030 或 ISO-8859-1`,
      line: 1,
      column: 1,
    },
  };
}

/** The declaration's encoding label as written, read from the first bytes of an ASCII-compatible file. */
function declaredLabel(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 512)).toString('latin1');
  return DECLARED.exec(head)?.[3] ?? null;
}

/** Decodes a BPMN file's bytes; `charset` is the request's Content-Type parameter, if any. */
export function decodeXml(bytes: Uint8Array, charset?: string): DecodedXml {
  if (bytes.length > MAX_RAW_BPMN_BYTES) {
    return {
      ok: false,
      problem: { code: 'xml/too-large', message: `文件过大（${bytes.length} 字节），上限为 ${MAX_BPMN_BYTES} 字节（2 MiB，UTF-8）` },
    };
  }
  let label: string;
  let skip = 0;
  let utf16 = false;
  if (startsWith(bytes, 0xff, 0xfe, 0x00, 0x00) || startsWith(bytes, 0x00, 0x00, 0xfe, 0xff)) return unsupported('UTF-32');
  if (startsWith(bytes, 0xef, 0xbb, 0xbf)) [label, skip] = ['utf-8', 3];
  else if (startsWith(bytes, 0xff, 0xfe)) [label, skip, utf16] = ['utf-16le', 2, true];
  else if (startsWith(bytes, 0xfe, 0xff)) [label, skip, utf16] = ['utf-16be', 2, true];
  else if (charset) label = charset;
  else if (startsWith(bytes, 0x3c, 0x00, 0x3f, 0x00)) [label, utf16] = ['utf-16le', true];
  else if (startsWith(bytes, 0x00, 0x3c, 0x00, 0x3f)) [label, utf16] = ['utf-16be', true];
  else label = declaredLabel(bytes) ?? 'utf-8';

  const encoding = canonical(label);
  if (!encoding) return unsupported(label);
  if (encoding.startsWith('utf-16') && !utf16 && !charset) {
    // A UTF-16 file starts with a byte order mark or with `<?` in 16-bit units; these bytes are not UTF-16.
    return {
      ok: false,
      problem: {
        code: 'xml/encoding-mismatch',
        message: `文件声明的编码是“${label}”，但内容不是 UTF-16：请按实际编码修改 XML 声明`,
        line: 1,
        column: 1,
      },
    };
  }
  try {
    const text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(skip));
    return { ok: true, text, encoding: label.toUpperCase() };
  } catch {
    return {
      ok: false,
      problem: {
        code: 'xml/invalid-bytes',
        message: `文件内容不是有效的 ${encoding.toUpperCase()} 编码：请确认 XML 声明的编码与文件实际的编码一致`,
      },
    };
  }
}

/**
 * The text with its XML declaration saying UTF-8, as the platform stores it: a text is already decoded, so an
 * encoding its declaration names (ISO-8859-1, GBK…) no longer applies and would mislead the next reader.
 * `from` is the encoding the declaration named, when it named another.
 */
export function declareUtf8(text: string): { text: string; from: string | null } {
  const match = DECLARED.exec(text);
  if (!match || /^utf-?8$/i.test(match[3]!)) return { text, from: null };
  return { text: `${match[1]}${match[2]}UTF-8${match[2]}${text.slice(match[0].length)}`, from: match[3]! };
}

/**
 * Which files a case may carry: an allowlist by extension, each extension bound to the signature its first bytes
 * must show, so that a renamed executable or an HTML page is refused whatever its name or declared type says.
 */

/** Largest attachment: a scanned contract of a few dozen pages, or a handful of phone photos, fits. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** How many leading bytes the text check reads (enough to see a binary file for what it is). */
const TEXT_SAMPLE_BYTES = 8192;

type Signature = 'pdf' | 'jpeg' | 'png' | 'gif' | 'webp' | 'zip' | 'ole' | 'text';

export interface FileType {
  /** The extension, lower case, without the dot. */
  ext: string;
  /** The media type the file is served with (never the one the uploader's browser claimed). */
  contentType: string;
  /** Shown in the browser rather than downloaded (pictures only). */
  inline: boolean;
  signature: Signature;
}

const TYPES: readonly FileType[] = [
  { ext: 'pdf', contentType: 'application/pdf', inline: false, signature: 'pdf' },
  { ext: 'jpg', contentType: 'image/jpeg', inline: true, signature: 'jpeg' },
  { ext: 'jpeg', contentType: 'image/jpeg', inline: true, signature: 'jpeg' },
  { ext: 'png', contentType: 'image/png', inline: true, signature: 'png' },
  { ext: 'gif', contentType: 'image/gif', inline: true, signature: 'gif' },
  { ext: 'webp', contentType: 'image/webp', inline: true, signature: 'webp' },
  { ext: 'doc', contentType: 'application/msword', inline: false, signature: 'ole' },
  { ext: 'xls', contentType: 'application/vnd.ms-excel', inline: false, signature: 'ole' },
  { ext: 'docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', inline: false, signature: 'zip' },
  { ext: 'xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', inline: false, signature: 'zip' },
  { ext: 'txt', contentType: 'text/plain; charset=utf-8', inline: false, signature: 'text' },
  { ext: 'csv', contentType: 'text/csv; charset=utf-8', inline: false, signature: 'text' },
];

/** The extensions people may upload, as the refusal names them. */
export const ALLOWED_EXTENSIONS: readonly string[] = TYPES.map((t) => t.ext);

/** `accept` attribute of the upload forms. */
export const ACCEPT_ATTRIBUTE = TYPES.map((t) => `.${t.ext}`).join(',');

const startsWith = (head: Buffer, bytes: number[], at = 0) => head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** Whether the first bytes are what a file of this kind begins with. */
function shows(signature: Signature, head: Buffer): boolean {
  switch (signature) {
    case 'pdf':
      return startsWith(head, ascii('%PDF-'));
    case 'jpeg':
      return startsWith(head, [0xff, 0xd8, 0xff]);
    case 'png':
      return startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    case 'gif':
      return startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'));
    case 'webp':
      return startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8);
    case 'zip':
      return startsWith(head, [0x50, 0x4b, 0x03, 0x04]);
    case 'ole':
      return startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    case 'text':
      return looksLikeText(head.subarray(0, TEXT_SAMPLE_BYTES));
  }
}

/**
 * Plain text in UTF-8 or GBK (what Excel in China saves a CSV as): no NUL and no control characters but tab,
 * line breaks, form feed and escape, and none of the binary signatures above.
 */
function looksLikeText(sample: Buffer): boolean {
  for (const byte of sample) {
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c && byte !== 0x1b) return false;
    if (byte === 0x7f) return false;
  }
  return !TYPES.some((t) => t.signature !== 'text' && shows(t.signature, sample));
}

/** The extension of a file name, lower case, without the dot ('' when it has none). */
export function extensionOf(name: string): string {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(name.trim());
  return m ? m[1]!.toLowerCase() : '';
}

/** Why a file is not accepted, in Chinese for the uploader. */
export class FileTypeRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileTypeRefused';
  }
}

/** The type of an upload named `name` beginning with `head`; refused unless both the name and the bytes agree. */
export function acceptedType(name: string, head: Buffer): FileType {
  const ext = extensionOf(name);
  const type = TYPES.find((t) => t.ext === ext);
  if (!type) throw new FileTypeRefused(`不支持的文件类型${ext ? `（.${ext}）` : ''}：只能上传 ${ALLOWED_EXTENSIONS.join('、')} 文件`);
  if (!shows(type.signature, head)) throw new FileTypeRefused(`文件内容与扩展名 .${ext} 不符，请上传真实的 ${ext.toUpperCase()} 文件`);
  return type;
}

/** The type a stored attachment is served as (by its stored extension; unknown ones as a download of bytes). */
export function typeOfExtension(ext: string): FileType {
  return TYPES.find((t) => t.ext === ext) ?? { ext, contentType: 'application/octet-stream', inline: false, signature: 'text' };
}

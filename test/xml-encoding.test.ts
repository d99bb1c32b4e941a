import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { importBpmn } from '../server/bpmn/import.js';
import { MAX_BPMN_BYTES } from '../server/bpmn/limits.js';
import { declareUtf8, decodeXml, MAX_RAW_BPMN_BYTES } from '../server/bpmn/xml-encoding.js';

/**
 * BPMN files are read in the encoding their XML declaration names (server/bpmn/xml-encoding.ts) and kept as UTF-8;
 * the hostile-input checks of server/bpmn/xml-safety.ts hold whatever the encoding.
 */

const BPMN = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"';

function latin1(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return le;
}

/** `社区居委会` in GBK (and so in GB18030). */
const SHEQU_GBK = Buffer.from([0xc9, 0xe7, 0xc7, 0xf8, 0xbe, 0xd3, 0xce, 0xaf, 0xbb, 0xe1]);

function declared(encoding: string, body: Buffer): Buffer {
  return Buffer.concat([
    latin1(`<?xml version="1.0" encoding="${encoding}"?>\n<bpmn:definitions ${BPMN} id="d" name="`),
    body,
    latin1('"/>'),
  ]);
}

describe('decodeXml', () => {
  it('reads ISO-8859-1 as the declaration says and keeps it as UTF-8', () => {
    const decoded = decodeXml(declared('ISO-8859-1', latin1('Vérification für Bürger')));
    expect(decoded).toMatchObject({ ok: true, encoding: 'ISO-8859-1' });
    const text = decoded.ok ? decoded.text : '';
    expect(text).toContain('name="Vérification für Bürger"');
    expect(declareUtf8(text).text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(declareUtf8(text).from).toBe('ISO-8859-1');
  });

  it('reads GBK, GB2312 and GB18030, the encodings Chinese tools still write', () => {
    for (const label of ['GBK', 'gb2312', 'GB18030']) {
      const decoded = decodeXml(declared(label, SHEQU_GBK));
      expect(decoded.ok && decoded.text).toContain('name="社区居委会"');
    }
    // four-byte GB18030: U+20000 (𠀀)
    const decoded = decodeXml(declared('GB18030', Buffer.from([0x95, 0x32, 0x82, 0x36])));
    expect(decoded.ok && decoded.text).toContain('name="\u{20000}"');
  });

  it('reads UTF-16 little and big endian, with or without byte order mark, and UTF-8 with one', () => {
    const text = `<?xml version="1.0" encoding="UTF-16"?><bpmn:definitions ${BPMN} id="d" name="社区"/>`;
    const cases: [Buffer, string][] = [
      [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), 'UTF-16LE'],
      [Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]), 'UTF-16BE'],
      [Buffer.from(text, 'utf16le'), 'UTF-16LE'],
      [utf16be(text), 'UTF-16BE'],
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text.replace('UTF-16', 'UTF-8'))]), 'UTF-8'],
    ];
    for (const [bytes, encoding] of cases) {
      const decoded = decodeXml(bytes);
      expect(decoded).toMatchObject({ ok: true, encoding });
      expect(decoded.ok && decoded.text.startsWith('<?xml')).toBe(true);
      expect(decoded.ok && decoded.text).toContain('name="社区"');
    }
  });

  it('follows the charset of the request over the declaration (RFC 7303)', () => {
    const utf8 = Buffer.from(`<?xml version="1.0" encoding="GBK"?><bpmn:definitions ${BPMN} name="社区"/>`);
    const decoded = decodeXml(utf8, 'utf-8');
    expect(decoded.ok && decoded.text).toContain('name="社区"');
  });

  it('refuses unknown encodings, bytes the encoding does not have, and UTF-16 declared over 8-bit text', () => {
    expect(decodeXml(declared('EBCDIC-XYZ', latin1('x')))).toMatchObject({ ok: false, problem: { code: 'xml/unsupported-encoding' } });
    expect(decodeXml(declared('UTF-8', Buffer.from([0xc3, 0x28])))).toMatchObject({ ok: false, problem: { code: 'xml/invalid-bytes' } });
    expect(decodeXml(declared('GBK', Buffer.from([0x81, 0x20])))).toMatchObject({ ok: false, problem: { code: 'xml/invalid-bytes' } });
    expect(decodeXml(declared('UTF-16', latin1('x')))).toMatchObject({ ok: false, problem: { code: 'xml/encoding-mismatch' } });
    expect(decodeXml(Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), latin1('<')]))).toMatchObject({ ok: false, problem: { code: 'xml/unsupported-encoding' } });
  });

  it('leaves a UTF-8 declaration alone and rewrites any other, quoted either way', () => {
    const utf8 = `<?xml version="1.0" encoding="utf-8"?><a/>`;
    expect(declareUtf8(utf8)).toEqual({ text: utf8, from: null });
    expect(declareUtf8(`<?xml version='1.0' encoding='GB2312' standalone='yes'?><a/>`)).toEqual({
      text: `<?xml version='1.0' encoding='UTF-8' standalone='yes'?><a/>`,
      from: 'GB2312',
    });
    expect(declareUtf8('<a/>')).toEqual({ text: '<a/>', from: null });
  });
});

describe('hostile input in any encoding', () => {
  const doctype = `<?xml version="1.0" encoding="ENC"?>\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<bpmn:definitions ${BPMN} name="&b;"/>`;

  it('refuses DOCTYPE and ENTITY declarations in UTF-16 and GBK files before any parser expands them', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doctype.replace('ENC', 'UTF-16'), 'utf16le')]);
    const gbk = latin1(doctype.replace('ENC', 'GBK'));
    for (const bytes of [utf16, gbk, utf16be(doctype.replace('ENC', 'UTF-16'))]) {
      const imported = importBpmn(bytes);
      expect(imported.problems.map((p) => p.code)).toEqual(expect.arrayContaining(['xml/doctype']));
    }
  });

  it('measures the size limit on the decoded text and refuses raw bytes beyond it without decoding', () => {
    // 1.5 M characters of UTF-16 (3 MB of bytes) are 1.5 MB of UTF-8: within the limit.
    const body = `<bpmn:definitions ${BPMN} id="d"><!--${'a'.repeat(1_500_000)}--></bpmn:definitions>`;
    const ok = importBpmn(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body, 'utf16le')]));
    expect(ok.problems.filter((p) => p.code === 'xml/too-large')).toEqual([]);
    // GBK characters take three bytes in UTF-8: 800,000 of them (1.6 MB) are 2.4 MB once decoded.
    const wide = Buffer.concat([latin1(`<?xml version="1.0" encoding="GBK"?><bpmn:definitions ${BPMN} id="d"><!--`), Buffer.alloc(1_600_000, SHEQU_GBK), latin1('--></bpmn:definitions>')]);
    expect(importBpmn(wide).problems.map((p) => p.code)).toEqual(['xml/too-large']);
    expect(decodeXml(Buffer.alloc(MAX_RAW_BPMN_BYTES + 1, 0x20))).toMatchObject({ ok: false, problem: { code: 'xml/too-large' } });
    expect(MAX_RAW_BPMN_BYTES).toBe(2 * MAX_BPMN_BYTES);
  });
});

describe('the shared MIWG files', () => {
  it('reads the ISO-8859-1 reference diagrams', () => {
    const file = path.resolve('../shared/miwg/A.1.0.bpmn');
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      console.warn(`MIWG diagrams not found at ${file}: skipped`);
      return;
    }
    const imported = importBpmn(bytes);
    expect(imported.encoding).toBe('ISO-8859-1');
    expect(imported.problems).toEqual([]);
    expect(imported.xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"/);
    expect(imported.conversion.converted[0]).toMatchObject({ from: 'encoding="ISO-8859-1"', to: 'encoding="UTF-8"' });
  });
});

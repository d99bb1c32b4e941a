import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { formatChineseDate, parseDay } from './calendar.js';

/**
 * Notice templates (公示) are handlebars files in `forms/notices/<name>.hbs`, compiled once per process.
 *
 * Everything a template prints is HTML-escaped: templates may only use `{{…}}`. A template containing a
 * triple-stash `{{{…}}}` or `{{& …}}` is refused when the templates are loaded, so user-entered text can never
 * reach the public board as markup. Handlebars' own prototype-access protection stays on.
 *
 * Helpers available to templates:
 * - `{{date value}}`      an ISO date or date-time as `2025年9月30日` (China time)
 * - `{{money value}}`     a number of yuan as `480,000`
 * - `{{join list "、"}}`  the items of a list joined (each item escaped)
 * - `{{lines text}}`      with `{{#each (lines text)}}`: the non-empty lines of a multi-line text
 * - `{{#if (eq a b)}}`    equality
 * - `{{percent value}}`   a number as `66.67%`
 * - `{{community name}}`  a community's name ending in exactly one 社区 (幸福 → 幸福社区; nothing → 本社区)
 * - `{{concat a b …}}`    the texts joined, e.g. an issuing body `(concat (community communityName) "居民委员会")`
 *
 * Every template ends with the partial `{{> signature issuer=…}}` (forms/notices/partials/signature.hbs): the
 * issuing body and the date of publication (落款). A template without it is refused when the templates are loaded.
 */

export class NoticeTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoticeTemplateError';
  }
}

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

type Compiled = Handlebars.TemplateDelegate;

let cache: { dir: string; templates: Map<string, Compiled> } | null = null;

/** `forms/notices` of the project: found by walking up from this module (works from `server/` and `build/server/`). */
export function defaultTemplateDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'forms', 'notices');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new NoticeTemplateError('找不到公示模板目录 forms/notices');
}

function createInstance(): typeof Handlebars {
  const hbs = Handlebars.create();
  hbs.registerHelper('date', (value: unknown) => {
    const date = parseDay(value);
    return date ? formatChineseDate(date) : value == null ? '' : String(value);
  });
  hbs.registerHelper('money', (value: unknown) => {
    const n = typeof value === 'number' ? value : Number(value);
    if (value == null || value === '' || !Number.isFinite(n)) return '';
    return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
  });
  hbs.registerHelper('percent', (value: unknown) => {
    const n = typeof value === 'number' ? value : Number(value);
    if (value == null || value === '' || !Number.isFinite(n)) return '';
    return `${Math.round(n * 100) / 100}%`;
  });
  hbs.registerHelper('join', (list: unknown, separator: unknown) => {
    const sep = typeof separator === 'string' ? separator : '、';
    return Array.isArray(list) ? list.map((item) => (item == null ? '' : String(item))).join(sep) : list == null ? '' : String(list);
  });
  hbs.registerHelper('lines', (text: unknown) =>
    typeof text === 'string'
      ? text
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter(Boolean)
      : [],
  );
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('community', (name: unknown) => {
    const text = typeof name === 'string' ? name.trim() : '';
    return !text ? '本社区' : text.endsWith('社区') ? text : `${text}社区`;
  });
  // The last argument handlebars passes to a helper is its options object, not a text to join.
  hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map((a) => (a == null ? '' : String(a))).join(''));
  return hbs;
}

/** Refuses markup passed through unescaped: `{{{…}}}` or `{{& …}}`. */
function refuseUnescaped(file: string, source: string): void {
  if (/\{\{\{|\{\{~?\s*&/.test(source)) {
    throw new NoticeTemplateError(`公示模板 ${file} 使用了不转义的输出（{{{…}}} 或 {{& …}}），这不被允许`);
  }
}

/** Compile every `*.hbs` of a directory; refuses unescaped output. */
export function loadNoticeTemplates(dir: string = defaultTemplateDir()): Map<string, Compiled> {
  const hbs = createInstance();
  const partials = path.join(dir, 'partials');
  if (existsSync(partials)) {
    for (const file of readdirSync(partials).sort()) {
      if (!file.endsWith('.hbs')) continue;
      const source = readFileSync(path.join(partials, file), 'utf8');
      refuseUnescaped(`partials/${file}`, source);
      hbs.registerPartial(file.slice(0, -'.hbs'.length), source);
    }
  }
  const templates = new Map<string, Compiled>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.hbs')) continue;
    const name = file.slice(0, -'.hbs'.length);
    if (!NAME.test(name)) throw new NoticeTemplateError(`公示模板文件名无效：${file}`);
    const source = readFileSync(path.join(dir, file), 'utf8');
    refuseUnescaped(file, source);
    // A notice says who issues it and when (落款), at its end.
    if (!/\{\{>\s*signature\b[^}]*\bissuer=/.test(source)) {
      throw new NoticeTemplateError(`公示模板 ${file} 没有落款：须以 {{> signature issuer=…}} 写明发布单位和日期`);
    }
    templates.set(name, hbs.compile(source, { strict: false, noEscape: false }));
  }
  return templates;
}

function templates(): Map<string, Compiled> {
  if (!cache) {
    const dir = defaultTemplateDir();
    cache = { dir, templates: loadNoticeTemplates(dir) };
  }
  return cache.templates;
}

/** Names of the available templates (file names without `.hbs`). */
export function noticeTemplateNames(): string[] {
  return [...templates().keys()];
}

/** Render a notice template with plain data; the result is HTML with every inserted value escaped. */
export function renderNotice(template: string, data: Record<string, unknown>): string {
  if (typeof template !== 'string' || !NAME.test(template)) {
    throw new NoticeTemplateError(`公示模板名称无效：${String(template)}`);
  }
  const compiled = templates().get(template);
  if (!compiled) throw new NoticeTemplateError(`没有名为 ${template} 的公示模板（forms/notices/${template}.hbs）`);
  // Plain JSON only: no prototypes, functions or class instances reach the template.
  const plain = JSON.parse(JSON.stringify(data ?? {})) as Record<string, unknown>;
  return compiled(plain).trim();
}

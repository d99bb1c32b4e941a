import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/**
 * The page templates: handlebars files in `forms/web/` (partials in `forms/web/partials/`), compiled once when the
 * router is created, never from user input. Templates use `{{…}}` only (escaped); the one place markup passes
 * through is a `Handlebars.SafeString` built in code (the rendered page body handed to the layout, and notice
 * bodies the notice renderer has already escaped).
 */

export type PageData = Record<string, unknown>;

function templateDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'forms', 'web');
    if (existsSync(path.join(candidate, 'layout.hbs'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('page templates forms/web not found');
    dir = parent;
  }
}

const SHANGHAI = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function toDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'string' || typeof value === 'number') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** `YYYY-MM-DD HH:mm` in Asia/Shanghai time; '' for no date. */
export function formatDateTime(value: unknown): string {
  const date = toDate(value);
  if (!date) return '';
  const parts = Object.fromEntries(SHANGHAI.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** A stored instant written out (`2026-03-22T15:59:59.999Z`), which people read in Beijing time. */
export function isDateTimeText(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value) && !Number.isNaN(Date.parse(value));
}

/** `YYYY-MM-DD` in Asia/Shanghai time. */
export function formatDay(value: unknown): string {
  return formatDateTime(value).slice(0, 10);
}

/** The display helpers every page template may use (web pages and admin console alike). */
export function registerViewHelpers(hbs: typeof Handlebars): void {
  hbs.registerHelper('datetime', (value: unknown) => formatDateTime(value));
  hbs.registerHelper('day', (value: unknown) => formatDay(value));
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hbs.registerHelper('not', (a: unknown) => !a);
  hbs.registerHelper('json', (value: unknown) => JSON.stringify(value ?? null));
  hbs.registerHelper('uri', (value: unknown) => encodeURIComponent(value == null ? '' : String(value)));
}

export class Views {
  private readonly hbs = Handlebars.create();
  private readonly templates = new Map<string, Handlebars.TemplateDelegate>();

  constructor(dir: string = templateDir()) {
    const hbs = this.hbs;
    registerViewHelpers(hbs);
    const partials = path.join(dir, 'partials');
    if (existsSync(partials)) {
      for (const file of readdirSync(partials)) {
        if (file.endsWith('.hbs')) hbs.registerPartial(file.slice(0, -4), readFileSync(path.join(partials, file), 'utf8'));
      }
    }
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.hbs')) continue;
      this.templates.set(file.slice(0, -4), hbs.compile(readFileSync(path.join(dir, file), 'utf8'), { strict: false, preventIndent: true }));
    }
  }

  /** A page: the named template inside the layout. */
  render(name: string, data: PageData): string {
    const template = this.templates.get(name);
    const layout = this.templates.get('layout');
    if (!template || !layout) throw new Error(`no page template ${name}`);
    const body = new this.hbs.SafeString(template(data));
    return layout({ ...data, body });
  }

  safe(html: string): Handlebars.SafeString {
    return new this.hbs.SafeString(html);
  }
}

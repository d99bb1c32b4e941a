import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { registerViewHelpers, type PageData } from '../web/views.js';

/**
 * The admin console's templates: `forms/admin/*.hbs` rendered inside the staff app's layout
 * (`forms/web/layout.hbs`, with its partials), with the same helpers as server/web/views.ts. The web `Views`
 * class only reads `forms/web/`, so this small twin reads both folders; templates are compiled once, `{{…}}` only.
 */

function formsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'forms');
    if (existsSync(path.join(candidate, 'web', 'layout.hbs')) && existsSync(path.join(candidate, 'admin'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('page templates forms/web and forms/admin not found');
    dir = parent;
  }
}

export class AdminViews {
  private readonly hbs = Handlebars.create();
  private readonly templates = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layout: Handlebars.TemplateDelegate;

  constructor(dir: string = formsDir()) {
    const hbs = this.hbs;
    registerViewHelpers(hbs);
    const partials = path.join(dir, 'web', 'partials');
    if (existsSync(partials)) {
      for (const file of readdirSync(partials)) {
        if (file.endsWith('.hbs')) hbs.registerPartial(file.slice(0, -4), readFileSync(path.join(partials, file), 'utf8'));
      }
    }
    this.layout = hbs.compile(readFileSync(path.join(dir, 'web', 'layout.hbs'), 'utf8'));
    const admin = path.join(dir, 'admin');
    for (const file of readdirSync(admin)) {
      if (!file.endsWith('.hbs')) continue;
      const source = readFileSync(path.join(admin, file), 'utf8');
      this.templates.set(file.slice(0, -4), hbs.compile(source, { strict: false, preventIndent: true }));
      // Also a partial `admin-<name>`, so a page can wrap another (the modeler body in the console's frame).
      hbs.registerPartial(`admin-${file.slice(0, -4)}`, source);
    }
  }

  /** A page: the named admin template inside the staff layout. */
  render(name: string, data: PageData): string {
    const template = this.templates.get(name);
    if (!template) throw new Error(`no admin page template ${name}`);
    const body = new this.hbs.SafeString(template(data));
    return this.layout({ ...data, body });
  }
}

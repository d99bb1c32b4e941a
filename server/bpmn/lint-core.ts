import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-ignore -- bpmnlint (CommonJS) ships no declaration for its entry; the Linter is typed below.
import bpmnlint from 'bpmnlint';
import { describe } from 'bpmnlint-plugin-platform/lib/model.js';
import type { ModdleElement } from './moddle.js';
import { MANDATORY_PLATFORM_RULES, RULE_DESCRIPTIONS } from './lint-rules.js';
import type { Problem } from './problem.js';

/**
 * The bpmnlint run itself. It is loaded only inside the lint worker (server/bpmn/lint-worker.ts, started by
 * server/bpmn/lint.ts): bpmnlint is CommonJS that requires ES-module-only packages (min-dash), which Node >= 20.19
 * loads natively but a module sandbox such as jest's cannot. See server/bpmn/lint.ts for the rule decisions.
 *
 * Rules are resolved with dynamic `import()`: the platform plugin is ES modules, bpmnlint's own rules CommonJS.
 */

const { Linter } = bpmnlint as unknown as { Linter: LinterConstructor };

interface LintReport {
  id?: string;
  message: string;
  category: 'error' | 'warn' | 'info' | 'rule-error';
  path?: string[];
}

interface LinterInstance {
  lint(root: ModdleElement, config?: LintConfig): Promise<Record<string, LintReport[]>>;
  resolveConfiguredRules(config: LintConfig): Promise<Record<string, unknown>>;
  parseRuleValue(value: unknown): { category: string; config: unknown };
}
type LinterConstructor = new (options: { config?: LintConfig; resolver: Resolver }) => LinterInstance;

export interface LintConfig {
  extends?: string | string[];
  rules?: Record<string, unknown>;
}

interface Resolver {
  resolveRule(pkg: string, ruleName: string): Promise<unknown>;
  resolveConfig(pkg: string, configName: string): Promise<unknown>;
}

const NAME = /^[A-Za-z0-9@][A-Za-z0-9@/_.-]*$/;

function esmDefault(module: unknown): unknown {
  const namespace = module as { default?: unknown };
  return namespace && 'default' in namespace ? namespace.default : module;
}

/** Resolves `bpmnlint` and `bpmnlint-plugin-*` rules and configs by dynamic import. */
export class ImportResolver implements Resolver {
  async resolveRule(pkg: string, ruleName: string): Promise<unknown> {
    if (!NAME.test(pkg) || !NAME.test(ruleName)) throw new Error(`illegal rule <${pkg}/${ruleName}>`);
    if (pkg === 'bpmnlint') return esmDefault(await import(`bpmnlint/rules/${ruleName}.js`));
    return esmDefault(await import(`${pkg}/rules/${ruleName}`));
  }

  async resolveConfig(pkg: string, configName: string): Promise<unknown> {
    if (!NAME.test(pkg) || !NAME.test(configName)) throw new Error(`illegal config <${pkg}:${configName}>`);
    if (pkg === 'bpmnlint') return esmDefault(await import(`bpmnlint/config/${configName}.js`));
    const plugin = (await import(pkg)) as { configs?: Record<string, unknown>; default?: { configs?: Record<string, unknown> } };
    const configs = plugin.configs ?? plugin.default?.configs ?? {};
    if (!Object.prototype.hasOwnProperty.call(configs, configName)) throw new Error(`cannot resolve config <${configName}> in <${pkg}>`);
    return configs[configName];
  }
}

/** The repository's `.bpmnlintrc`, found by walking up from this module (works from `server/` and `build/server/`). */
export function findLintConfigFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, '.bpmnlintrc');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('找不到 .bpmnlintrc（BPMN 检查配置）');
}

export function readLintConfig(): LintConfig {
  const parsed = JSON.parse(readFileSync(findLintConfigFile(), 'utf8')) as LintConfig & Record<string, unknown>;
  return { ...(parsed.extends !== undefined ? { extends: parsed.extends } : {}), ...(parsed.rules ? { rules: parsed.rules } : {}) };
}

interface Prepared {
  resolver: ImportResolver;
  /** `.bpmnlintrc` with its `extends` resolved: rule name → setting. */
  rules: Record<string, unknown>;
  categories: Record<string, string>;
}

let ready: Promise<Prepared> | null = null;

async function prepare(): Promise<Prepared> {
  const config = readLintConfig();
  const resolver = new ImportResolver();
  const linter = new Linter({ config, resolver });
  const rules = await linter.resolveConfiguredRules(config);
  const categories = Object.fromEntries(
    Object.entries(rules).map(([name, value]) => [name, linter.parseRuleValue(value).category]),
  );
  const weak = MANDATORY_PLATFORM_RULES.filter((name) => categories[name] !== 'error');
  if (weak.length) {
    throw new Error(`.bpmnlintrc 必须把平台规则设为 error：${weak.join(', ')}`);
  }
  return { resolver, rules, categories };
}

function prepared(): Promise<Prepared> {
  if (!ready) {
    ready = prepare();
    ready.catch(() => {
      ready = null;
    });
  }
  return ready;
}

/** The effective rule set (name → category), for tests and the admin console. */
export async function lintRules(): Promise<Record<string, string>> {
  return { ...(await prepared()).categories };
}

function lintMessage(rule: string, report: LintReport, elementsById: Record<string, ModdleElement>): string {
  if (rule.startsWith('platform/')) return report.message;
  const element = report.id ? elementsById[report.id] : undefined;
  const subject = element ? describe(element) : report.id ? `元素 ${report.id}` : '';
  const description = RULE_DESCRIPTIONS[rule] ?? `不符合建模规则 ${rule}`;
  return `${description}${subject ? `：${subject}` : ''}（bpmnlint ${rule}: ${report.message}）`;
}

/**
 * Lint a parsed diagram. Error reports become problems, `warn`/`info` reports problems with severity `warning`.
 * `elementsById` (from parseBpmn) lets messages name elements.
 */
export async function lintDefinitions(definitions: ModdleElement, elementsById: Record<string, ModdleElement> = {}): Promise<Problem[]> {
  // Nothing to check in a file without a process or diagram (the deploy checks say so in the user's terms); the
  // rules would only fail on the missing parts.
  if (!((definitions as { rootElements?: unknown[] }).rootElements?.length)) return [];
  const { resolver, rules } = await prepared();
  // A fresh Linter per diagram: bpmnlint caches rule instances per Linter, and some rules keep state between
  // the elements they visit (no-duplicate-sequence-flows), which would leak from one diagram into the next.
  const config = { rules };
  const results = await new Linter({ config, resolver }).lint(definitions, config);
  const problems: Problem[] = [];
  for (const [rule, reports] of Object.entries(results)) {
    for (const report of reports) {
      if (report.category === 'rule-error') {
        // The rule's own error speaks of our code, not of the file: the caller is told which check could not run.
        problems.push({ code: `lint/${rule}`, message: `检查规则 ${rule} 无法检查该文件：文件结构不完整或不符合 BPMN 2.0` });
        continue;
      }
      problems.push({
        code: `lint/${rule}`,
        message: lintMessage(rule, report, elementsById),
        ...(report.id ? { elementId: report.id } : {}),
        ...(report.category === 'error' ? {} : { severity: 'warning' as const }),
      });
    }
  }
  return problems;
}

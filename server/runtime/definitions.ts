import { createHash } from 'node:crypto';
import type { Collections } from '../db/collections.js';
import type { DefinitionDoc } from '../db/types.js';
import { validateDeployment } from '../bpmn/validate.js';
import { compileSource } from '../engine/compile.js';
import type { SourceContext } from '../engine/compile.js';
import type { ProcessModelInfo } from '../engine/model.js';
import { RuntimeError, type Actor } from './api.js';

/** A deployed version ready to run: parsed and compiled once, then kept in memory. */
export interface RunnableDefinition {
  doc: DefinitionDoc;
  sourceContext: SourceContext;
  model: ProcessModelInfo & {
    elementVariables: Map<string, string>;
    startForm: unknown;
    starterGroups: string[];
    initiatorVariable: string | null;
    caseUnitKinds: string[];
  };
}

type ParsedModel = Awaited<ReturnType<typeof validateDeployment>> extends infer R
  ? R extends { ok: true; model: infer M }
    ? M
    : never
  : never;

const CACHE_LIMIT = 200;

/** Deploys versions and hands out compiled ones; compiled versions are cached by definition id. */
export class DefinitionStore {
  private readonly cache = new Map<string, Promise<RunnableDefinition>>();
  /** The newest version seen of each process key (see `latest`). */
  private readonly latestVersions = new Map<string, number>();

  /**
   * `soleWriter`: this server is the database's only one (the embedded strategy), so every version deployed since
   * the first lookup was deployed here and `latest` needs no read to find it.
   */
  constructor(
    private readonly collections: Collections,
    private readonly knownTopics: Set<string>,
    private readonly soleWriter = false,
  ) {}

  async deploy(xml: string, actor: Actor | null): Promise<{ doc: DefinitionDoc; created: boolean }> {
    const result = await validateDeployment(xml, this.knownTopics);
    if (!result.ok) {
      throw new RuntimeError('invalid_bpmn', `流程文件未通过校验（${result.problems.length} 个问题）`, {
        problems: result.problems,
      });
    }
    const { key, name } = result.model;
    const hash = createHash('sha256').update(xml).digest('hex');
    const { definitions } = this.collections;
    for (let attempt = 0; attempt < 5; attempt++) {
      const same = await definitions.findOne({ key, hash });
      if (same) return { doc: same, created: false };
      const latest = await definitions.find({ key }).sort({ version: -1 }).limit(1).next();
      const version = (latest?.version ?? 0) + 1;
      const doc: DefinitionDoc = {
        _id: `${key}:${version}`,
        key,
        version,
        name: name ?? null,
        xml,
        hash,
        deployedAt: new Date(),
        deployedBy: actor?.id ?? null,
      };
      try {
        await definitions.insertOne(doc);
        if (this.latestVersions.has(key)) this.latestVersions.set(key, Math.max(version, this.latestVersions.get(key)!));
        return { doc, created: true };
      } catch (err) {
        // Another deploy of the same key took this version number: look again.
        if ((err as { code?: number }).code !== 11000) throw err;
      }
    }
    throw new RuntimeError('conflict', '同时部署的版本过多，请稍后重试');
  }

  /**
   * The newest version of a process. Versions are dense (a deploy inserts `<key>:<n + 1>`, unique by `_id`), so
   * after the first lookup a start only checks that `<key>:<n + 1>` does not exist yet: one read by `_id`, where a
   * query would make FerretDB read every deployed version, XML and all; a sole writer does not even check.
   */
  async latest(key: string): Promise<DefinitionDoc> {
    const { definitions } = this.collections;
    let version = this.latestVersions.get(key);
    if (version === undefined) {
      const found = await definitions.find({ key }, { projection: { version: 1 } }).sort({ version: -1 }).limit(1).next();
      if (!found) throw new RuntimeError('not_found', `流程不存在：${key}`);
      version = found.version;
    }
    // Deployed since on another server.
    while (!this.soleWriter && (await definitions.findOne({ _id: `${key}:${version + 1}` }, { projection: { _id: 1 } }))) version++;
    this.latestVersions.set(key, version);
    const id = `${key}:${version}`;
    const compiled = await this.cache.get(id)?.catch(() => null);
    if (compiled) return compiled.doc;
    const doc = await definitions.findOne({ _id: id });
    if (!doc) throw new RuntimeError('not_found', `流程版本不存在：${id}`);
    return doc;
  }

  async byVersion(key: string, version: number): Promise<DefinitionDoc> {
    const doc = await this.collections.definitions.findOne({ key, version });
    if (!doc) throw new RuntimeError('not_found', `流程 ${key} 没有版本 ${version}`);
    return doc;
  }

  /** The compiled form of a deployed version; parses its XML only the first time. */
  runnable(doc: DefinitionDoc): Promise<RunnableDefinition> {
    let entry = this.cache.get(doc._id);
    if (!entry) {
      entry = this.compile(doc);
      entry.catch(() => this.cache.delete(doc._id));
      this.cache.set(doc._id, entry);
      if (this.cache.size > CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    }
    return entry;
  }

  async runnableById(definitionId: string): Promise<RunnableDefinition> {
    const cached = this.cache.get(definitionId);
    if (cached) return cached;
    const doc = await this.collections.definitions.findOne({ _id: definitionId });
    if (!doc) throw new RuntimeError('not_found', `流程版本不存在：${definitionId}`);
    return this.runnable(doc);
  }

  private async compile(doc: DefinitionDoc): Promise<RunnableDefinition> {
    // Known topics are not re-checked here: a version deployed before a handler was renamed must still load.
    const result = await validateDeployment(doc.xml);
    if (!result.ok) throw new Error(`deployed version ${doc._id} no longer validates: ${result.problems[0]?.message}`);
    const compiled = await compileSource(doc.xml);
    return {
      doc,
      sourceContext: compiled.sourceContext,
      model: {
        ...toModel(result.model, compiled.elementVariables),
        starterGroups: compiled.starterGroups,
        initiatorVariable: compiled.initiatorVariable,
        caseUnitKinds: compiled.caseUnitKinds,
      },
    };
  }
}

function toModel(model: ParsedModel, elementVariables: Map<string, string>): Omit<RunnableDefinition['model'], 'starterGroups' | 'initiatorVariable' | 'caseUnitKinds'> {
  return {
    key: model.key,
    name: model.name ?? model.key,
    userTasks: model.userTasks as ProcessModelInfo['userTasks'],
    serviceTasks: model.serviceTasks as ProcessModelInfo['serviceTasks'],
    documentation: toMap(model.documentation),
    elementNames: toMap((model as { elementNames?: unknown }).elementNames),
    elementVariables,
    startForm: model.startForm ?? null,
  };
}

function toMap(value: unknown): Map<string, string> {
  if (value instanceof Map) return value as Map<string, string>;
  if (value && typeof value === 'object') return new Map(Object.entries(value as Record<string, string>));
  return new Map();
}

import type { InstanceListItem, InstanceQuery, ProcessSummary, RuntimeApi } from '../runtime/api.js';

/** Rows per runtime query (the runtime serves at most 200). */
const BATCH = 200;

type SearchRuntime = Pick<RuntimeApi, 'listInstances' | 'listProcesses'>;

/**
 * Instance lists searched by 事项名称 or 业务编号: a text matches an instance whose business key contains it or whose
 * process name does, either case. The runtime filters by one process and by a part of the business key, so a text
 * that names processes is answered as the union of those queries, merged in the runtime's order (newest first).
 */
export class InstanceSearch {
  constructor(private readonly runtime: SearchRuntime) {}

  /** One page (`skip`, `limit`) of the instances matching `query` and `text`, and how many match. */
  async page(query: InstanceQuery, text: string | undefined, skip: number, limit: number): Promise<{ items: InstanceListItem[]; total: number }> {
    const plan = await this.plan(query, text);
    if (plan.length === 1) return this.runtime.listInstances({ ...plan[0]!, skip, limit });
    const [items, total] = await Promise.all([this.take(plan, skip, limit), this.count(query, text!, plan)]);
    return { items, total };
  }

  /** The first `max` matching instances, newest first, and how many match in all. */
  async first(query: InstanceQuery, text: string | undefined, max: number): Promise<{ items: InstanceListItem[]; total: number }> {
    const plan = await this.plan(query, text);
    const [items, total] = await Promise.all([
      this.take(plan, 0, max),
      plan.length === 1 ? this.runtime.listInstances({ ...plan[0]!, limit: 1 }).then((r) => r.total) : this.count(query, text!, plan),
    ]);
    return { items, total };
  }

  /** The runtime queries whose union is the answer: the business-key search, and one per process the text names. */
  private async plan(query: InstanceQuery, text: string | undefined): Promise<InstanceQuery[]> {
    const part = text?.trim();
    if (!part) return [query];
    const keys = namedProcesses(await this.runtime.listProcesses(), part).filter((key) => !query.processKey || key === query.processKey);
    // Every instance of a process the text names matches, whatever its business key.
    if (query.processKey && keys.length) return [query];
    return [{ ...query, businessKeyContains: part }, ...keys.map((processKey) => ({ ...query, processKey }))];
  }

  /** Business-key matches, plus each named process's instances less those the business key already counted. */
  private async count(query: InstanceQuery, text: string, plan: InstanceQuery[]): Promise<number> {
    const total = async (q: InstanceQuery) => (await this.runtime.listInstances({ ...q, limit: 1 })).total;
    const [byKey, ...perProcess] = await Promise.all([
      total(plan[0]!),
      ...plan.slice(1).map(async (q) => (await total(q)) - (await total({ ...q, businessKeyContains: text }))),
    ]);
    return perProcess.reduce((a, b) => a + b, byKey!);
  }

  /** Rows `skip` to `skip + limit` of the union, each instance once. */
  private async take(plan: InstanceQuery[], skip: number, limit: number): Promise<InstanceListItem[]> {
    const sources = plan.map((q) => new Source((s, l) => this.runtime.listInstances({ ...q, skip: s, limit: l })));
    const seen = new Set<string>();
    const out: InstanceListItem[] = [];
    let passed = 0;
    while (out.length < limit) {
      let best: Source | null = null;
      let bestItem: InstanceListItem | undefined;
      for (const source of sources) {
        const item = await source.head();
        // Ties keep the earlier source first, so each source's own order (ties included) is kept.
        if (item && (!bestItem || time(item) > time(bestItem))) {
          best = source;
          bestItem = item;
        }
      }
      if (!best || !bestItem) break;
      best.shift();
      if (seen.has(bestItem._id)) continue;
      seen.add(bestItem._id);
      if (passed < skip) passed++;
      else out.push(bestItem);
    }
    return out;
  }
}

/** The keys of the processes whose name (or key, for an unnamed one) contains `text`, either case. */
export function namedProcesses(processes: ProcessSummary[], text: string): string[] {
  const part = text.toLowerCase();
  return processes.filter((p) => (p.name || p.key).toLowerCase().includes(part)).map((p) => p.key);
}

const time = (item: InstanceListItem) => new Date(item.startedAt).getTime();

/** One runtime query read lazily, a batch at a time. */
class Source {
  private buffer: InstanceListItem[] = [];
  private read = 0;
  private done = false;

  constructor(private readonly fetch: (skip: number, limit: number) => Promise<{ items: InstanceListItem[] }>) {}

  async head(): Promise<InstanceListItem | undefined> {
    if (!this.buffer.length && !this.done) {
      const { items } = await this.fetch(this.read, BATCH);
      this.read += items.length;
      this.done = items.length < BATCH;
      this.buffer = items;
    }
    return this.buffer[0];
  }

  shift(): void {
    this.buffer.shift();
  }
}

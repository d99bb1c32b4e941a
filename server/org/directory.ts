import type { Collections } from '../db/collections.js';
import { OrgSnapshot, UNIT_SEPARATOR } from './scoping.js';

/** How long another server's change of units or users may go unseen here (as the auth cache, server/auth/cache.ts). */
const DEFAULT_TTL_MS = 5_000;

/**
 * The organisation as the runtime resolves candidate groups and the pages label units: units and the roles their
 * enabled users hold, read whole (a street office's tree is hundreds of rows) and kept until this server changes
 * them (`invalidate`) or for a few seconds, so that a change made on another server is seen soon.
 */
export class OrgDirectory {
  private current: { snapshot: OrgSnapshot; until: number; epoch: number } | null = null;
  private loading: Promise<OrgSnapshot> | null = null;
  private epoch = 0;

  constructor(
    private readonly collections: Pick<Collections, 'units' | 'users'>,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {}

  /** Forget the picture: the next read sees every change acknowledged before this call. */
  invalidate(): void {
    this.epoch++;
    this.current = null;
    this.loading = null;
  }

  async snapshot(): Promise<OrgSnapshot> {
    const held = this.current;
    if (held && held.epoch === this.epoch && held.until > performance.now()) return held.snapshot;
    if (this.loading) return this.loading;
    const epoch = this.epoch;
    const loading = this.load().then((snapshot) => {
      if (epoch === this.epoch) this.current = { snapshot, until: performance.now() + this.ttlMs, epoch };
      if (this.loading === loading) this.loading = null;
      return snapshot;
    });
    this.loading = loading;
    return loading;
  }

  private async load(): Promise<OrgSnapshot> {
    const [units, users] = await Promise.all([
      this.collections.units.find({}).toArray(),
      this.collections.users.find({}, { projection: { unitId: 1, groups: 1, disabled: 1 } }).toArray(),
    ]);
    const roles = new Map<string, Set<string>>();
    const members = new Map<string, string[]>();
    const add = (key: string, user: string) => {
      const list = members.get(key) ?? [];
      list.push(user);
      members.set(key, list);
    };
    for (const user of users) {
      if (user.disabled) continue;
      for (const g of user.groups ?? []) {
        add(g, user._id);
        if (user.unitId) add(`${g}${UNIT_SEPARATOR}${user.unitId}`, user._id);
      }
      if (!user.unitId) continue;
      const set = roles.get(user.unitId) ?? new Set<string>();
      for (const g of user.groups ?? []) set.add(g);
      roles.set(user.unitId, set);
    }
    units.sort((a, b) => a.path.length - b.path.length || a.name.localeCompare(b.name, 'zh-CN') || a._id.localeCompare(b._id));
    return new OrgSnapshot(units, roles, members);
  }
}

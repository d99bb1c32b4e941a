import type { Db } from 'mongodb';
import { collections } from '../db/collections.js';
import type { UserDoc } from '../db/types.js';
import type { Actor } from '../runtime/api.js';
import { invalidateAuthCache } from './cache.js';
import { revokeUserTokens } from './tokens.js';
import { ADMIN_GROUP, groupName } from './groups.js';
import { hashPassword, MAX_PASSWORD_LENGTH, verifyAgainstDummy, verifyPassword } from './passwords.js';

/**
 * Users live in the `users` collection. A user's id is its (lower-case) user name, so task assignees,
 * candidate users and audit entries read naturally (`street-office`, `expert3`).
 */

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MIN_PASSWORD_LENGTH = 8;
export const DEMO_PASSWORD = 'demo';

export interface NewUser {
  username: string;
  password: string;
  displayName?: string;
  groups: string[];
  unitId?: string | null;
  /** A password an administrator chose: the user must change it at the next login. */
  mustChangePassword?: boolean;
}

export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  groups: string[];
  unitId: string | null;
  disabled: boolean;
  mustChangePassword: boolean;
}

export function normalizeUsername(value: unknown): string {
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
}

export function toActor(user: UserDoc): Actor {
  return {
    id: user._id,
    groups: [...user.groups],
    displayName: user.displayName,
    unitId: user.unitId ?? null,
    ...(user.mustChangePassword ? { mustChangePassword: true } : {}),
  };
}

export function toPublicUser(user: UserDoc): PublicUser {
  return {
    id: user._id,
    username: user.username,
    displayName: user.displayName,
    groups: [...user.groups],
    unitId: user.unitId ?? null,
    disabled: !!user.disabled,
    mustChangePassword: !!user.mustChangePassword,
  };
}

export function findUserById(db: Db, id: string): Promise<UserDoc | null> {
  return collections(db).users.findOne({ _id: id });
}

export function findUserByUsername(db: Db, username: string): Promise<UserDoc | null> {
  return collections(db).users.findOne({ username: normalizeUsername(username) });
}

/** Users without their password hashes, by name; of one unit when `unitId` is given. */
export function listUsers(db: Db, filter: { unitId?: string } = {}): Promise<Omit<UserDoc, 'passwordHash'>[]> {
  const query = filter.unitId ? { unitId: filter.unitId } : {};
  return collections(db).users.find(query, { projection: { passwordHash: 0 } }).sort({ username: 1 }).toArray();
}

/** The enabled user with this name and password, else null; takes the same time whether or not the user exists. */
export async function authenticateUser(db: Db, username: unknown, password: unknown): Promise<UserDoc | null> {
  const name = normalizeUsername(username);
  if (typeof password !== 'string' || !password || password.length > MAX_PASSWORD_LENGTH || !USERNAME_PATTERN.test(name)) {
    await verifyAgainstDummy(typeof password === 'string' ? password : '');
    return null;
  }
  const user = await findUserByUsername(db, name);
  if (!user) {
    await verifyAgainstDummy(password);
    return null;
  }
  const ok = await verifyPassword(password, user.passwordHash);
  return ok && !user.disabled ? user : null;
}

export class UserInputError extends Error {
  constructor(
    message: string,
    readonly field: 'username' | 'password' | 'groups' | 'currentPassword' | 'newPassword' | 'displayName' | 'unitId' | 'disabled',
  ) {
    super(message);
    this.name = 'UserInputError';
  }
}

function checkNewUser(input: NewUser, minPasswordLength: number): string {
  const username = normalizeUsername(input.username);
  if (!USERNAME_PATTERN.test(username)) {
    throw new UserInputError('用户名只能包含小写字母、数字、点、下划线和连字符，且以字母或数字开头（最多 64 个字符）', 'username');
  }
  if (typeof input.password !== 'string' || input.password.length < minPasswordLength) {
    throw new UserInputError(`密码至少需要 ${minPasswordLength} 个字符`, 'password');
  }
  if (input.password.length > MAX_PASSWORD_LENGTH) throw new UserInputError('密码过长', 'password');
  if (!Array.isArray(input.groups) || input.groups.some((g) => typeof g !== 'string' || !g)) {
    throw new UserInputError('用户组必须是组标识的列表', 'groups');
  }
  return username;
}

/** Creates a user; throws a MongoServerError with code 11000 when the name is taken. */
export async function createUser(db: Db, input: NewUser, options: { minPasswordLength?: number } = {}): Promise<UserDoc> {
  const username = checkNewUser(input, options.minPasswordLength ?? MIN_PASSWORD_LENGTH);
  const now = new Date();
  const doc: UserDoc = {
    _id: username,
    username,
    displayName: input.displayName?.trim() || username,
    groups: [...new Set(input.groups)],
    unitId: input.unitId ?? null,
    passwordHash: await hashPassword(input.password),
    disabled: false,
    ...(input.mustChangePassword ? { mustChangePassword: true } : {}),
    createdAt: now,
    updatedAt: now,
  };
  await collections(db).users.insertOne(doc);
  return doc;
}

/** Sets a password the user chose (clearing "must change"), or — `temporary` — one an administrator chose. */
export async function setPassword(db: Db, id: string, password: string, options: { temporary?: boolean } = {}): Promise<void> {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new UserInputError(`密码至少需要 ${MIN_PASSWORD_LENGTH} 个字符`, 'password');
  }
  if (password.length > MAX_PASSWORD_LENGTH) throw new UserInputError('密码过长', 'password');
  await collections(db).users.updateOne(
    { _id: id },
    { $set: { passwordHash: await hashPassword(password), mustChangePassword: !!options.temporary, updatedAt: new Date() } },
  );
  invalidateAuthCache();
}

/** What an administrator may change of a user; each field is optional. */
export interface UserPatch {
  displayName?: string;
  unitId?: string | null;
  groups?: string[];
  disabled?: boolean;
}

/** Applies an administrator's change; disabling a user or changing their unit or roles also ends their tokens. */
export async function updateUser(db: Db, id: string, patch: UserPatch): Promise<UserDoc> {
  const users = collections(db).users;
  const user = await users.findOne({ _id: id });
  if (!user) throw new UserInputError('用户不存在', 'username');
  const set: Partial<UserDoc> = { updatedAt: new Date() };
  if (patch.displayName !== undefined) {
    const name = typeof patch.displayName === 'string' ? patch.displayName.trim() : '';
    if (!name || name.length > 60) throw new UserInputError('姓名不能为空，最多 60 个字', 'displayName');
    set.displayName = name;
  }
  if (patch.unitId !== undefined) set.unitId = patch.unitId;
  if (patch.groups !== undefined) {
    if (!Array.isArray(patch.groups) || patch.groups.some((g) => typeof g !== 'string' || !g)) {
      throw new UserInputError('角色必须是角色标识的列表', 'groups');
    }
    set.groups = [...new Set(patch.groups)];
  }
  if (patch.disabled !== undefined) {
    if (typeof patch.disabled !== 'boolean') throw new UserInputError('disabled 应为 true 或 false', 'disabled');
    set.disabled = patch.disabled;
  }
  await users.updateOne({ _id: id }, { $set: set });
  invalidateAuthCache();
  if (set.disabled) await revokeUserTokens(db, id);
  return { ...user, ...set };
}

/**
 * A user changes their own password: the current one must be right and the new one valid. Every bearer token of the
 * user is revoked (a token taken with the old password stops working); the caller keeps its session.
 */
export async function changeOwnPassword(db: Db, id: string, currentPassword: unknown, newPassword: unknown): Promise<void> {
  const user = await collections(db).users.findOne({ _id: id });
  if (!user || user.disabled) throw new UserInputError('用户不存在或已停用', 'currentPassword');
  if (typeof currentPassword !== 'string' || !(await verifyPassword(currentPassword, user.passwordHash))) {
    throw new UserInputError('当前密码不正确', 'currentPassword');
  }
  if (typeof newPassword !== 'string') throw new UserInputError('请输入新密码', 'newPassword');
  if (newPassword === currentPassword) throw new UserInputError('新密码不能与当前密码相同', 'newPassword');
  if (newPassword.length > MAX_PASSWORD_LENGTH) throw new UserInputError('密码过长', 'newPassword');
  try {
    await setPassword(db, id, newPassword);
  } catch (err) {
    if (err instanceof UserInputError) throw new UserInputError(err.message, 'newPassword');
    throw err;
  }
  await revokeUserTokens(db, id);
}

export async function setUserDisabled(db: Db, id: string, disabled: boolean): Promise<void> {
  await collections(db).users.updateOne({ _id: id }, { $set: { disabled, updatedAt: new Date() } });
  invalidateAuthCache();
}

export interface AdminBootstrap {
  action: 'created' | 'restored' | 'kept';
  username: string;
}

/**
 * Production: make sure an administrator exists. With ADMIN_USERNAME and ADMIN_PASSWORD set, that user is created
 * when missing (or re-enabled with that password when it had been disabled); an existing enabled user keeps its
 * password. Without them, start-up fails unless some enabled administrator already exists.
 */
export async function ensureProductionAdmin(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<AdminBootstrap> {
  const users = collections(db).users;
  const username = normalizeUsername(env.ADMIN_USERNAME);
  const password = env.ADMIN_PASSWORD ?? '';
  if (!username || !password) {
    const existing = await users.findOne({ groups: ADMIN_GROUP, disabled: false });
    if (existing) return { action: 'kept', username: existing.username };
    throw new Error(
      'NODE_ENV=production and no administrator exists: set ADMIN_USERNAME and ADMIN_PASSWORD to create one ' +
        '(生产模式下没有管理员账号：请设置 ADMIN_USERNAME 和 ADMIN_PASSWORD 以创建管理员)',
    );
  }
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`ADMIN_PASSWORD must have at least ${MIN_PASSWORD_LENGTH} characters (管理员密码至少 ${MIN_PASSWORD_LENGTH} 个字符)`);
  }
  if (password === DEMO_PASSWORD) throw new Error('ADMIN_PASSWORD must not be the demo password');
  const existing = await users.findOne({ _id: username });
  if (!existing) {
    await createUser(db, { username, password, displayName: groupName(ADMIN_GROUP), groups: [ADMIN_GROUP] });
    return { action: 'created', username };
  }
  if (existing.disabled || !existing.groups.includes(ADMIN_GROUP)) {
    await users.updateOne(
      { _id: username },
      {
        $set: { passwordHash: await hashPassword(password), disabled: false, updatedAt: new Date() },
        $addToSet: { groups: ADMIN_GROUP },
      },
    );
    invalidateAuthCache();
    return { action: 'restored', username };
  }
  return { action: 'kept', username };
}

import type { Db } from 'mongodb';
import { findUserById } from '../auth/users.js';
import { eachLimited } from './each-limited.js';

/** Display names of user ids (the id itself for a user no longer known), as records name people rather than accounts. */
export async function displayNames(db: Db, ids: Iterable<string | null | undefined>): Promise<Map<string, string>> {
  const unique = [...new Set([...ids].filter((id): id is string => !!id))];
  const names = new Map<string, string>();
  await eachLimited(unique, 8, async (id) => {
    names.set(id, (await findUserById(db, id))?.displayName || id);
  });
  return names;
}

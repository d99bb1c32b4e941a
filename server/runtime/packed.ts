import { BSON } from 'mongodb';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Large values only the runtime reads (the engine state, a commit's payload) are stored deflated, as binary of a
 * subtype of our own: FerretDB decodes and re-encodes a whole document at every read and update, so its cost
 * follows the document's size, and the engine state is most of an instance document (docs/BENCHMARK.md).
 *
 * Level 1: the state compresses well at any level, and the step's own CPU is the scarcer resource.
 */
const PACKED_SUBTYPE = 0x80;

export function pack(bytes: string | Uint8Array): BSON.Binary {
  return new BSON.Binary(deflateRawSync(bytes, { level: 1 }), PACKED_SUBTYPE);
}

/** Whether a value read back is one `pack` wrote (by `_bsontype`, as bson recommends: not tied to one copy of it). */
export function isPacked(value: unknown): value is BSON.Binary {
  const binary = value as { _bsontype?: unknown; sub_type?: unknown } | null;
  return typeof binary === 'object' && binary !== null && binary._bsontype === 'Binary' && binary.sub_type === PACKED_SUBTYPE;
}

export function unpack(value: BSON.Binary): Buffer {
  return inflateRawSync(value.buffer.subarray(0, value.position));
}

/** The engine state as kept in memory (its JSON text) from what is stored; null for none. */
export function engineStateFromStore(stored: unknown): string | null {
  return isPacked(stored) ? unpack(stored).toString('utf8') : null;
}

/** The engine state as stored: its JSON text packed. */
export function engineStateToStore(state: string | null): BSON.Binary | null {
  return state === null ? null : pack(state);
}

import { BSON } from 'mongodb';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Large values only the runtime reads (the engine state, a commit's payload) are stored deflated, as binary of a
 * subtype of our own. FerretDB decodes and re-encodes a whole document at every read and update, so its cost
 * follows the document's size: the engine state is most of an instance document, and as JSON text inside FerretDB's
 * JSON it was stored with every quote escaped. Deflated it is about a quarter (docs/BENCHMARK.md, sixth round).
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

/** The engine state as kept in memory (its JSON text) from what is stored: packed, text, or an old object. */
export function engineStateFromStore(stored: unknown): unknown {
  return isPacked(stored) ? unpack(stored).toString('utf8') : stored;
}

/** The engine state as stored: its JSON text packed; anything else (null, an old object) as it is. */
export function engineStateToStore(state: unknown): unknown {
  return typeof state === 'string' ? pack(state) : state;
}

import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GridFSBucket, ObjectId, type Db, type GridFSFile } from 'mongodb';
import type { Clock } from '../engine/clock.js';
import { acceptedType, FileTypeRefused, MAX_ATTACHMENT_BYTES, type FileType } from './file-types.js';

/** GridFS bucket of the attachments: `attachments.files` and `attachments.chunks` (server/db/collections.ts). */
export const ATTACHMENTS_BUCKET = 'attachments';

/** What is kept of an attachment besides its bytes: the record of who added it, when and at which step. */
export interface AttachmentMeta {
  instanceId: string;
  /** The task it was added to, or null when it was added to the case as a whole. */
  taskId: string | null;
  elementId: string | null;
  /** The step's name as it was when the file was added. */
  step: string | null;
  uploadedBy: string;
  uploadedByName: string;
  /** By the runtime's clock, as every other date of a case. */
  uploadedAt: Date;
  size: number;
  sha256: string;
  ext: string;
  contentType: string;
}

export interface Attachment extends AttachmentMeta {
  id: string;
  /** The file name the uploader's computer gave it. */
  name: string;
}

export interface NewAttachment extends Omit<AttachmentMeta, 'uploadedAt' | 'size' | 'sha256' | 'ext' | 'contentType'> {
  name: string;
  bytes: Buffer;
}

/** An upload refused for its size or content, with the Chinese reason. */
export class AttachmentRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttachmentRefused';
  }
}

/** The refusal of a file over {@link MAX_ATTACHMENT_BYTES}, for whoever measures a file before it is stored. */
export const TOO_LARGE = `文件过大（最大 ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB）`;

/**
 * The checks every stored file passes (not empty, not too large, an allowed type whose first bytes match its
 * extension), exported so that a form can check its files before it acts on them; answers the name as it is kept.
 */
export function checkAttachment(fileName: string, bytes: Buffer): { name: string; type: FileType } {
  if (!bytes.length) throw new AttachmentRefused('文件是空的，请重新选择');
  if (bytes.length > MAX_ATTACHMENT_BYTES) throw new AttachmentRefused(TOO_LARGE);
  const name = cleanName(fileName);
  try {
    return { name, type: acceptedType(name, bytes) };
  } catch (err) {
    if (err instanceof FileTypeRefused) throw new AttachmentRefused(err.message);
    throw err;
  }
}

/** The longest file name kept (longer ones keep their extension). */
const MAX_NAME_LENGTH = 200;

/**
 * Attachments live in the database (GridFS) rather than on disk, so that a backup of the database is a backup of
 * every case with its files.
 */
export class AttachmentStore {
  private readonly bucket: GridFSBucket;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.bucket = new GridFSBucket(db, { bucketName: ATTACHMENTS_BUCKET });
  }

  /** Checks and stores a file; who may add it is the caller's rule (server/records/case-files.ts). */
  async save(input: NewAttachment): Promise<Attachment> {
    const { name, type } = checkAttachment(input.name, input.bytes);
    const meta: AttachmentMeta = {
      instanceId: input.instanceId,
      taskId: input.taskId,
      elementId: input.elementId,
      step: input.step,
      uploadedBy: input.uploadedBy,
      uploadedByName: input.uploadedByName,
      uploadedAt: this.clock.now(),
      size: input.bytes.length,
      sha256: createHash('sha256').update(input.bytes).digest('hex'),
      ext: type.ext,
      contentType: type.contentType,
    };
    const upload = this.bucket.openUploadStream(name, { metadata: meta });
    await new Promise<void>((resolve, reject) => {
      upload.once('error', reject);
      upload.once('finish', () => resolve());
      upload.end(input.bytes);
    }).catch(async (err: unknown) => {
      // Chunks written before the failure would otherwise stay behind without a file.
      await upload.abort().catch(() => undefined);
      throw err;
    });
    return { id: upload.id.toHexString(), name, ...meta };
  }

  /** A case's attachments, oldest first. */
  async list(instanceId: string): Promise<Attachment[]> {
    const files = await this.bucket.find({ 'metadata.instanceId': instanceId }).toArray();
    return files.map(toAttachment).sort((a, b) => a.uploadedAt.getTime() - b.uploadedAt.getTime() || a.id.localeCompare(b.id));
  }

  /** One attachment's record, or null for an id that names none. */
  async get(id: string): Promise<Attachment | null> {
    if (!/^[0-9a-f]{24}$/i.test(id)) return null;
    const [file] = await this.bucket.find({ _id: new ObjectId(id) }).limit(1).toArray();
    return file ? toAttachment(file) : null;
  }

  /** The bytes of an attachment `get` found. */
  open(id: string): Readable {
    return this.bucket.openDownloadStream(new ObjectId(id));
  }
}

function toAttachment(file: GridFSFile): Attachment {
  const meta = (file.metadata ?? {}) as Partial<AttachmentMeta>;
  return {
    id: file._id.toHexString(),
    name: file.filename,
    instanceId: meta.instanceId ?? '',
    taskId: meta.taskId ?? null,
    elementId: meta.elementId ?? null,
    step: meta.step ?? null,
    uploadedBy: meta.uploadedBy ?? '',
    uploadedByName: meta.uploadedByName ?? meta.uploadedBy ?? '',
    uploadedAt: meta.uploadedAt ?? file.uploadDate,
    size: meta.size ?? file.length,
    sha256: meta.sha256 ?? '',
    ext: meta.ext ?? '',
    contentType: meta.contentType ?? 'application/octet-stream',
  };
}

/** The file name without any folder part or control characters, at most {@link MAX_NAME_LENGTH} characters. */
export function cleanName(name: string): string {
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim() || '附件';
  if (base.length <= MAX_NAME_LENGTH) return base;
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 && base.length - dot <= 11 ? base.slice(dot) : '';
  return base.slice(0, MAX_NAME_LENGTH - ext.length) + ext;
}

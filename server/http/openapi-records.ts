/** The OpenAPI paths of server/http/record-routes.ts, built with the helpers of server/http/openapi.ts. */

type Schema = Record<string, unknown>;

export interface OpenApiHelpers {
  op(o: { summary: string; access: 'public' | 'auth' | 'admin'; tags: string[]; parameters?: unknown[]; requestBody?: unknown; responses: Record<string, unknown>; description?: string }): unknown;
  E: Record<400 | 401 | 403 | 404 | 409 | 413, unknown>;
  json(schema: Schema, description?: string): unknown;
  errorResponse(description: string): unknown;
  pathParam(name: string, description: string): unknown;
  queryParam(name: string, schema: Schema, description: string): unknown;
  /** The filters of GET /api/instances, which its export shares. */
  instanceFilters: unknown[];
}

const dateTime: Schema = { type: 'string', format: 'date-time' };

export const attachmentSchema: Schema = {
  type: 'object',
  description: 'A file of a case, kept in the database (GridFS bucket `attachments`) with the record of who added it, when and at which step',
  properties: {
    id: { type: 'string' },
    name: { type: 'string', description: 'The file name as uploaded' },
    size: { type: 'integer', description: 'Bytes' },
    sha256: { type: 'string' },
    contentType: { type: 'string' },
    instanceId: { type: 'string' },
    taskId: { type: ['string', 'null'], description: 'The task it was added to; null when added to the case as a whole' },
    elementId: { type: ['string', 'null'] },
    step: { type: ['string', 'null'], description: "The step's name when the file was added" },
    uploadedBy: { type: 'string' },
    uploadedByName: { type: 'string' },
    uploadedAt: dateTime,
    url: { type: 'string', description: 'GET it to download the file' },
  },
};

export function recordPaths(h: OpenApiHelpers): Record<string, Record<string, unknown>> {
  const { op, E, json, errorResponse, pathParam, queryParam } = h;
  const instanceId = pathParam('id', 'Instance id');
  const xlsx = (description: string) => ({
    description,
    content: { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } } },
  });
  return {
    '/api/instances/{id}/attachments': {
      get: op({
        summary: "A case's attachments, oldest first",
        access: 'auth',
        tags: ['attachments'],
        description: 'For whoever may see the instance; while an independent review is open, the other reviewers\' files are left out.',
        parameters: [instanceId],
        responses: { 200: json({ type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Attachment' } } } }), 403: E[403], 404: E[404] },
      }),
      post: op({
        summary: 'Add a file to a case, or to one of its open tasks',
        access: 'auth',
        tags: ['attachments'],
        description:
          'With `taskId`: whoever may act on that open task; without: the starter or whoever may act on one of its open tasks, ' +
          'while the instance runs. At most 10 MB; pdf, jpg/jpeg, png, gif, webp, doc, docx, xls, xlsx, txt, csv, ' +
          'checked by extension and by the first bytes. Cookie sessions send the CSRF token as the `_csrf` field or the X-CSRF-Token header.',
        parameters: [instanceId],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['file'],
                properties: { file: { type: 'string', format: 'binary' }, taskId: { type: 'string' }, _csrf: { type: 'string' } },
              },
            },
          },
        },
        responses: {
          201: json({ type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, size: { type: 'integer' } } }, 'Stored'),
          400: errorResponse('No file, an empty file, or a type not allowed (fields.file says which)'),
          403: E[403],
          404: E[404],
          409: errorResponse('The instance has ended, or the task is done'),
          413: errorResponse('Larger than 10 MB'),
        },
      }),
    },
    '/api/attachments/{id}': {
      get: op({
        summary: 'Download an attachment',
        access: 'auth',
        tags: ['attachments'],
        description: 'For whoever may see its instance. Content-Disposition names the file (RFC 5987 filename*); pictures inline, other files as downloads; X-Content-Type-Options: nosniff.',
        parameters: [pathParam('id', 'Attachment id')],
        responses: { 200: { description: 'The file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, 403: E[403], 404: E[404] },
      }),
    },
    '/api/instances/export.xlsx': {
      get: op({
        summary: 'The instance list as an Excel file',
        access: 'auth',
        tags: ['exports'],
        description:
          'The filters and permission rules of GET /api/instances. One row per instance (process, business key, unit, status, starter, ' +
          'started and ended in Beijing time); with `process` also the start form\'s fields and the values its steps recorded. At most ' +
          '10,000 rows: a longer list is cut and the file says so.',
        parameters: [...h.instanceFilters, queryParam('processKey', { type: 'string' }, 'Same as process')],
        responses: { 200: xlsx('The workbook'), 400: E[400], 403: E[403] },
      }),
    },
    '/api/tasks/export.xlsx': {
      get: op({
        summary: 'A task list as an Excel file (我的待办, 已办)',
        access: 'auth',
        tags: ['exports'],
        description:
          'scope=inbox: my 待办 (claimed by me and claimable by my roles); mine: claimed by me, or with status=completed the tasks I completed (已办); ' +
          'candidate: claimable; all: administrators. At most 10,000 rows.',
        parameters: [
          queryParam('scope', { enum: ['inbox', 'mine', 'candidate', 'all'], default: 'mine' }, 'Which tasks'),
          queryParam('status', { enum: ['open', 'completed'], default: 'open' }, 'Task status'),
          queryParam('process', { type: 'string' }, 'Filter by process key'),
          queryParam('businessKey', { type: 'string' }, 'Filter by business key'),
          queryParam('q', { type: 'string' }, 'Part of the business key, the step name or the process name, either case'),
        ],
        responses: { 200: xlsx('The workbook'), 400: E[400], 403: E[403] },
      }),
    },
  };
}

/**
 * The OpenAPI 3.1 description of the REST API (`GET /api/openapi.json`). It must name every route of
 * server/http/api-router.ts; test/api.test.ts compares the two.
 */

import { attachmentSchema, recordPaths } from './openapi-records.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });
const nullable = (type: string, extra: Schema = {}): Schema => ({ type: [type, 'null'], ...extra });
const dateTime: Schema = { type: 'string', format: 'date-time' };
const nullableDateTime: Schema = { type: ['string', 'null'], format: 'date-time' };

const schemas: Record<string, Schema> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: {
            type: 'string',
            description:
              'unauthorized, invalid_credentials, forbidden, csrf_failed, not_found, bad_request, validation_failed, ' +
              'invalid_bpmn, conflict, incident, payload_too_large, unsupported_media_type, rate_limited, unavailable, internal_error',
          },
          message: { type: 'string', description: 'Chinese message for people' },
          fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'Message per field id' },
          problems: arrayOf(ref('Problem')),
          errors: { ...arrayOf(ref('Problem')), description: 'invalid_bpmn: the problems that refuse the file (what blocks execution)' },
          warnings: { ...arrayOf(ref('Problem')), description: 'invalid_bpmn: the problems that do not (style)' },
          conversion: ref('Conversion'),
        },
      },
    },
  },
  Problem: {
    type: 'object',
    required: ['code', 'message'],
    properties: {
      code: { type: 'string', description: 'e.g. xml/doctype, lint/platform/user-task-assignment, lint/label-required, import/unknown-group' },
      message: { type: 'string' },
      elementId: { type: 'string' },
      line: { type: 'integer' },
      column: { type: 'integer' },
      severity: { enum: ['error', 'warning'], description: 'error (also when absent) refuses the deployment; warning does not' },
    },
  },
  ConversionItem: {
    type: 'object',
    required: ['dialect', 'from', 'message'],
    properties: {
      dialect: { enum: ['camunda8', 'flowable', 'activiti', 'camunda7', 'bpmn'] },
      elementId: { type: 'string' },
      from: { type: 'string', description: 'What the file said, as written' },
      to: { type: 'string', description: 'What it became (absent for what was dropped)' },
      message: { type: 'string', description: 'Chinese sentence for the administrator' },
    },
  },
  Conversion: {
    type: 'object',
    description: 'What the import converted to the platform writing (other tools, other encodings, other expression syntax) and what it dropped',
    properties: { converted: arrayOf(ref('ConversionItem')), dropped: arrayOf(ref('ConversionItem')) },
  },
  ImportResult: {
    type: 'object',
    properties: {
      xml: { type: 'string', description: 'The converted diagram, UTF-8' },
      encoding: { type: 'string', description: 'The encoding the file was read in, e.g. UTF-8, GBK, ISO-8859-1, UTF-16LE' },
      conversion: ref('Conversion'),
      errors: { ...arrayOf(ref('Problem')), description: 'What would refuse its deployment (what blocks execution)' },
      warnings: { ...arrayOf(ref('Problem')), description: 'What would not (style)' },
    },
  },
  Health: {
    type: 'object',
    properties: { status: { const: 'ok' }, now: dateTime, manualClock: { type: 'boolean' } },
  },
  LoginRequest: {
    type: 'object',
    required: ['username', 'password'],
    properties: { username: { type: 'string' }, password: { type: 'string' } },
  },
  PasswordChange: {
    type: 'object',
    required: ['currentPassword', 'newPassword'],
    properties: { currentPassword: { type: 'string' }, newPassword: { type: 'string', minLength: 8 } },
  },
  LoginResponse: {
    type: 'object',
    properties: {
      token: { type: 'string', description: 'Bearer token (Authorization: Bearer …)' },
      tokenType: { const: 'Bearer' },
      expiresAt: dateTime,
      csrfToken: { type: 'string', description: 'Send as X-CSRF-Token with unsafe requests authenticated by the session cookie' },
      user: ref('User'),
      mustChangePassword: { const: true, description: 'Present when the token may only call POST /api/auth/password' },
    },
  },
  Me: {
    type: 'object',
    properties: {
      user: ref('User'),
      authMethod: { enum: ['bearer', 'session'] },
      csrfToken: { type: 'string', description: 'Only for session (cookie) authentication' },
    },
  },
  User: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      username: { type: 'string' },
      displayName: { type: 'string' },
      groups: arrayOf({ type: 'string', description: 'Roles (group ids)' }),
      unitId: nullable('string', { description: 'The unit the user belongs to; null for an administrator of the whole organisation' }),
      disabled: { type: 'boolean' },
      mustChangePassword: { type: 'boolean', description: 'The password was set by an administrator and must be changed first' },
    },
  },
  AdminUser: {
    type: 'object',
    description: 'A user as administrators manage it',
    properties: {
      id: { type: 'string' },
      username: { type: 'string' },
      displayName: { type: 'string' },
      roles: arrayOf({ type: 'string' }),
      roleNames: arrayOf({ type: 'string' }),
      groups: arrayOf({ type: 'string' }),
      unitId: nullable('string'),
      unitName: nullable('string'),
      disabled: { type: 'boolean' },
      mustChangePassword: { type: 'boolean' },
    },
  },
  NewUser: {
    type: 'object',
    required: ['username', 'unitId', 'password'],
    properties: {
      username: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' },
      displayName: { type: 'string' },
      unitId: { type: 'string' },
      roles: arrayOf({ type: 'string' }),
      password: { type: 'string', minLength: 8, description: 'Temporary: the user must change it at the first login' },
    },
  },
  UserPatch: {
    type: 'object',
    properties: {
      displayName: { type: 'string' },
      unitId: nullable('string'),
      roles: arrayOf({ type: 'string' }),
      disabled: { type: 'boolean' },
      password: { type: 'string', minLength: 8, description: 'A new temporary password; ends the user\'s tokens' },
    },
  },
  ImportReport: {
    type: 'object',
    properties: {
      created: arrayOf({ type: 'string' }),
      refused: arrayOf({ type: 'object', properties: { row: { type: 'integer' }, username: { type: 'string' }, reason: { type: 'string' } } }),
    },
  },
  Unit: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      kind: { enum: ['city', 'district', 'street', 'community', 'grid', 'organization'] },
      kindName: { type: 'string' },
      parentId: nullable('string'),
      path: arrayOf({ type: 'string' }),
      pathNames: arrayOf({ type: 'string' }),
    },
  },
  NewUnit: {
    type: 'object',
    required: ['name', 'kind'],
    properties: {
      name: { type: 'string', maxLength: 60 },
      kind: { enum: ['city', 'district', 'street', 'community', 'grid', 'organization'] },
      parentId: nullable('string'),
      id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'Optional readable id, for diagrams that name a unit (role@id)' },
    },
  },
  Group: {
    type: 'object',
    required: ['id', 'name'],
    properties: { id: { type: 'string' }, name: { type: 'string', description: 'Chinese display name' } },
  },
  FormSchema: {
    type: ['object', 'null'],
    description: 'Form read from camunda:formData',
    properties: {
      approval: { type: 'boolean' },
      fields: arrayOf({
        type: 'object',
        properties: {
          id: { type: 'string' },
          label: { type: 'string' },
          type: { enum: ['string', 'long', 'boolean', 'date', 'enum'] },
          defaultValue: {},
          values: arrayOf({ type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } }),
          constraints: { type: 'object' },
          help: { type: 'string' },
          widget: { type: 'string' },
          source: { type: 'string' },
          rules: arrayOf({ type: 'object', properties: { expression: { type: 'string' }, message: { type: 'string' } } }),
        },
      }),
    },
  },
  ProcessSummary: {
    type: 'object',
    properties: {
      key: { type: 'string' },
      name: nullable('string'),
      latestVersion: { type: 'integer' },
      deployedAt: dateTime,
      starterGroups: arrayOf({ type: 'string' }),
      canStart: { type: 'boolean' },
      startForm: ref('FormSchema'),
    },
  },
  ProcessVersion: {
    type: 'object',
    properties: {
      version: { type: 'integer' },
      name: nullable('string'),
      hash: { type: 'string', description: 'sha256 of the XML' },
      deployedAt: dateTime,
      deployedBy: nullable('string'),
    },
  },
  DeployResult: {
    allOf: [
      ref('ProcessVersion'),
      {
        type: 'object',
        properties: {
          key: { type: 'string' },
          created: { type: 'boolean', description: 'false when identical XML was already deployed (that version is returned)' },
          warnings: { ...arrayOf(ref('Problem')), description: 'What the checks remark without refusing (style: names, layout…)' },
          encoding: { type: 'string', description: 'The encoding the file was read in' },
          conversion: ref('Conversion'),
        },
      },
    ],
  },
  ProcessVersions: {
    type: 'object',
    properties: {
      key: { type: 'string' },
      name: nullable('string'),
      latestVersion: { type: 'integer' },
      versions: arrayOf(ref('ProcessVersion')),
    },
  },
  StartInstanceRequest: {
    type: 'object',
    properties: {
      businessKey: nullable('string', { maxLength: 200 }),
      variables: { type: 'object', description: 'Start form values (validated against the start form when there is one)' },
      unitId: nullable('string', { description: "The unit the case belongs to: the starter's own (default) or one under it" }),
    },
  },
  Incident: {
    type: 'object',
    properties: {
      elementId: nullable('string'),
      message: { type: 'string' },
      at: nullableDateTime,
      topic: nullable('string'),
      detail: nullable('string', { description: 'Technical detail, administrators only' }),
    },
  },
  Instance: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      processKey: { type: 'string' },
      processName: nullable('string'),
      version: { type: 'integer' },
      businessKey: nullable('string'),
      status: { enum: ['running', 'completed', 'incident', 'cancelled'] },
      activeElements: arrayOf({ type: 'string' }),
      nextTimerAt: nullableDateTime,
      incident: { anyOf: [ref('Incident'), { type: 'null' }] },
      startedBy: nullable('string'),
      startedAt: dateTime,
      updatedAt: dateTime,
      endedAt: nullableDateTime,
    },
  },
  InstanceDetail: {
    allOf: [
      ref('Instance'),
      {
        type: 'object',
        properties: {
          variables: { type: 'object' },
          timers: arrayOf({
            type: 'object',
            properties: { elementId: { type: 'string' }, dueAt: dateTime, expression: { type: 'string' } },
          }),
          incidents: arrayOf(ref('Incident')),
          openTasks: arrayOf(ref('Task')),
        },
      },
    ],
  },
  InstanceList: {
    type: 'object',
    properties: { items: arrayOf(ref('Instance')), total: { type: 'integer' } },
  },
  AuditEntry: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      at: dateTime,
      type: { type: 'string', description: 'instance.started, task.created, task.claimed, task.completed, timer.fired, incident, …' },
      elementId: nullable('string'),
      taskId: nullable('string'),
      actor: nullable('string', { description: 'User id; null for the system' }),
      data: { type: 'object' },
    },
  },
  Signoff: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      taskId: { type: 'string' },
      elementId: { type: 'string' },
      stepName: { type: 'string' },
      decision: { enum: ['approve', 'reject', 'return'] },
      opinion: nullable('string'),
      by: { type: 'string' },
      byName: nullable('string'),
      at: dateTime,
      source: nullable('string'),
      loopIndex: nullable('integer'),
    },
  },
  Task: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      instanceId: { type: 'string' },
      processKey: { type: 'string' },
      processName: nullable('string'),
      version: { type: 'integer' },
      elementId: { type: 'string' },
      name: { type: 'string' },
      businessKey: nullable('string'),
      candidateGroups: arrayOf({ type: 'string' }),
      candidateUsers: arrayOf({ type: 'string' }),
      assignee: nullable('string'),
      dueAt: nullableDateTime,
      priority: { type: 'number' },
      documentation: nullable('string'),
      status: { enum: ['open', 'completed', 'cancelled'] },
      createdAt: dateTime,
      completedAt: nullableDateTime,
      completedBy: nullable('string'),
      isMultiInstance: { type: 'boolean' },
      loopIndex: nullable('integer'),
      /** The sub-process iteration the task belongs to, e.g. the community of a P1 track. */
      subject: nullable('string'),
    },
  },
  TaskDetail: {
    allOf: [
      ref('Task'),
      {
        type: 'object',
        properties: {
          form: ref('FormSchema'),
          case: {
            type: 'array',
            description: 'The case: the start values and every completed step\'s submitted values, labelled, in order; an open independent review hides the other reviewers\' entries (hidden: true)',
            items: {
              type: 'object',
              properties: {
                step: { type: 'string' },
                elementId: { type: 'string', nullable: true },
                by: { type: 'string', nullable: true },
                at: { type: 'string', format: 'date-time' },
                hidden: { type: 'boolean' },
                fields: {
                  type: 'array',
                  items: { type: 'object', properties: { id: { type: 'string' }, label: { type: 'string' }, value: {}, display: { type: 'string' } } },
                },
              },
            },
          },
          actions: {
            type: 'object',
            properties: { claim: { type: 'boolean' }, unclaim: { type: 'boolean' }, complete: { type: 'boolean' } },
          },
        },
      },
    ],
  },
  CompleteTaskRequest: {
    type: 'object',
    properties: { variables: { type: 'object', description: 'Form values by field id' } },
  },
  CompleteTaskResponse: {
    type: 'object',
    properties: { task: ref('Task'), instance: ref('InstanceDetail') },
  },
  ReasonRequest: {
    type: 'object',
    required: ['reason'],
    properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } },
  },
  ReassignRequest: {
    type: 'object',
    required: ['assignee', 'reason'],
    properties: {
      assignee: nullable('string', { description: 'User name; null returns the task to its candidates' }),
      reason: { type: 'string', minLength: 1 },
    },
  },
  Draft: {
    type: 'object',
    properties: { key: { type: 'string' }, xml: { type: 'string' }, updatedAt: dateTime },
  },
  DraftSaved: {
    type: 'object',
    properties: { key: { type: 'string' }, updatedAt: dateTime, bytes: { type: 'integer' } },
  },
  Notice: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      title: { type: 'string' },
      kind: { type: 'string' },
      processKey: { type: 'string' },
      businessKey: nullable('string'),
      html: { type: 'string', description: 'Rendered notice body (HTML, escaped at rendering)' },
      days: { type: 'integer' },
      workingDays: { type: 'boolean' },
      publishedAt: dateTime,
      endAt: dateTime,
    },
  },
  ClockRequest: {
    type: 'object',
    description: 'Exactly one of advance and set',
    properties: {
      advance: { type: 'string', description: 'ISO 8601 duration, e.g. P1Y, P30D, PT2H' },
      set: { type: 'string', description: 'ISO date or date-time; a bare date is midnight in China (UTC+8)' },
    },
  },
  ClockResponse: {
    type: 'object',
    properties: { now: dateTime, fired: { type: 'integer', description: 'Instances advanced by due timers' } },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});

const E = {
  400: errorResponse('Invalid request (see fields)'),
  401: errorResponse('Not signed in'),
  403: errorResponse('Signed in, but not allowed (or missing CSRF token with cookie authentication)'),
  404: errorResponse('Not found'),
  409: errorResponse('Conflict with the current state'),
  413: errorResponse('Body too large'),
  429: errorResponse('Too many failed login attempts'),
};

const json = (schema: Schema, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const jsonBody = (schema: Schema, required = true) => ({ required, content: { 'application/json': { schema } } });
const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description,
});
const queryParam = (name: string, schema: Schema, description: string) => ({ name, in: 'query', required: false, schema, description });

type Access = 'public' | 'auth' | 'admin';

interface Operation {
  summary: string;
  access: Access;
  tags: string[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  description?: string;
}

function op(o: Operation) {
  const { access, ...rest } = o;
  const responses: Record<string, unknown> = { ...o.responses };
  if (access !== 'public') {
    responses['401'] ??= E[401];
    if (access === 'admin') responses['403'] ??= E[403];
  }
  const accessText = access === 'public' ? 'Public (no login).' : access === 'admin' ? 'Administrators (group `admin`).' : 'Any signed-in user.';
  return {
    ...rest,
    description: [accessText, o.description].filter(Boolean).join(' '),
    'x-access': access,
    security: access === 'public' ? [] : [{ bearerAuth: [] }, { cookieAuth: [] }],
    responses,
  };
}

const key = pathParam('key', 'Process key (bpmn:process id)');
const instanceId = pathParam('id', 'Instance id');
const taskId = pathParam('id', 'Task id (<instanceId>:<executionId>)');
const xmlRequest = {
  required: true,
  content: {
    'application/xml': { schema: { type: 'string', description: 'The file as it is: its bytes are read in the encoding its XML declaration names' } },
    'application/json': { schema: { type: 'object', required: ['xml'], properties: { xml: { type: 'string' } } } },
  },
};

const instanceFilters = [
  queryParam('scope', { enum: ['mine', 'unit', 'all'] }, 'Which instances'),
  queryParam('unitId', { type: 'string' }, 'Administrators: instances of this unit and the units under it'),
  queryParam('status', { enum: ['running', 'completed', 'incident', 'cancelled'] }, 'Filter by status'),
  queryParam('process', { type: 'string' }, 'Filter by process key'),
  queryParam('businessKey', { type: 'string' }, 'Filter by business key'),
  queryParam('q', { type: 'string' }, '事项名称/业务编号: part of the process name or of the business key, either case'),
  queryParam('from', { type: 'string', format: 'date' }, 'Started on or after this day (Beijing time)'),
  queryParam('to', { type: 'string', format: 'date' }, 'Started on or before this day (Beijing time)'),
  queryParam('startedBy', { type: 'string' }, 'Filter by starter (administrators)'),
];

export function buildOpenApiDocument(options: { manualClock: boolean }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {
    '/api/health': {
      get: op({ summary: 'Liveness and database check', access: 'public', tags: ['system'], responses: { 200: json(ref('Health')), 503: errorResponse('Database unavailable') } }),
    },
    '/api/openapi.json': {
      get: op({ summary: 'This document', access: 'public', tags: ['system'], responses: { 200: json({ type: 'object' }) } }),
    },
    '/api/auth/login': {
      post: op({
        summary: 'Sign in: sets the session cookie and returns a bearer token',
        access: 'public',
        tags: ['auth'],
        description: 'Failed attempts (here and on the web form together) are limited per user name and per client address.',
        requestBody: jsonBody(ref('LoginRequest')),
        responses: { 200: json(ref('LoginResponse')), 400: E[400], 401: errorResponse('Wrong user name or password'), 429: E[429] },
      }),
    },
    '/api/auth/logout': {
      post: op({
        summary: 'Sign out: revokes the bearer token used, or ends the session and revokes the token its login issued',
        access: 'auth',
        tags: ['auth'],
        responses: { 204: { description: 'Signed out' }, 403: E[403] },
      }),
    },
    '/api/auth/password': {
      post: op({
        summary: 'Change one\'s own password; every bearer token of the user is revoked',
        access: 'auth',
        tags: ['auth'],
        requestBody: jsonBody(ref('PasswordChange')),
        responses: { 204: { description: 'Changed' }, 400: errorResponse('Wrong current password, or the new one is not acceptable (fields)'), 403: E[403] },
      }),
    },
    '/api/auth/me': {
      get: op({ summary: 'The signed-in user (and the CSRF token of a cookie session)', access: 'auth', tags: ['auth'], responses: { 200: json(ref('Me')) } }),
    },
    '/api/groups': {
      get: op({ summary: 'Candidate groups with Chinese names', access: 'auth', tags: ['auth'], responses: { 200: json(arrayOf(ref('Group'))) } }),
    },
    '/api/processes': {
      get: op({ summary: 'Deployed processes (latest versions)', access: 'auth', tags: ['processes'], responses: { 200: json(arrayOf(ref('ProcessSummary'))) } }),
      post: op({
        summary: 'Deploy a BPMN file',
        access: 'admin',
        tags: ['processes'],
        description:
          'The bytes are read in the encoding the XML declaration names (UTF-8, UTF-16, ISO-8859-1, GBK, GB18030…) and what ' +
          'Camunda 8, Flowable and Activiti write is converted first (`conversion`). Identical XML returns the existing version ' +
          'with created:false (200), and the answer lists `warnings`. Invalid BPMN: 400 invalid_bpmn with `errors` (what blocks ' +
          'execution), `warnings` (style), both in `problems`, and `conversion`.',
        requestBody: xmlRequest,
        responses: {
          201: json(ref('DeployResult'), 'New version deployed'),
          200: json(ref('DeployResult'), 'Identical XML already deployed'),
          400: errorResponse('Invalid BPMN (errors, warnings, conversion)'),
          413: E[413],
        },
      }),
    },
    '/api/bpmn/import': {
      post: op({
        summary: 'Read and convert a diagram made elsewhere, and check it as a deployment would, without deploying it',
        access: 'admin',
        tags: ['modeler'],
        description: 'What the modeler opens when a file is imported (导入). 400 invalid_bpmn only when the file cannot be read at all.',
        requestBody: xmlRequest,
        responses: { 200: json(ref('ImportResult')), 400: errorResponse('Unreadable file (encoding, XML safety)'), 413: E[413] },
      }),
    },
    '/api/processes/{key}': {
      get: op({ summary: 'Versions of a process', access: 'auth', tags: ['processes'], parameters: [key], responses: { 200: json(ref('ProcessVersions')), 404: E[404] } }),
    },
    '/api/processes/{key}/versions/{version}/xml': {
      get: op({
        summary: 'BPMN XML of one version',
        access: 'auth',
        tags: ['processes'],
        parameters: [key, { ...pathParam('version', 'Version number or `latest`') }],
        responses: { 200: { description: 'The XML', content: { 'application/xml': { schema: { type: 'string' } } } }, 400: E[400], 404: E[404] },
      }),
    },
    '/api/processes/{key}/instances': {
      post: op({
        summary: 'Start an instance of the latest version',
        access: 'auth',
        tags: ['instances'],
        description: 'Only members of the process starter groups (if it names any) or administrators.',
        parameters: [key],
        requestBody: jsonBody(ref('StartInstanceRequest'), false),
        responses: { 201: json(ref('InstanceDetail'), 'Started'), 400: E[400], 403: E[403], 404: E[404] },
      }),
    },
    '/api/instances': {
      get: op({
        summary: 'List instances',
        access: 'auth',
        tags: ['instances'],
        description: 'scope=mine (default for users): the instances I started; unit: those of my unit and the units under it; all (default for administrators): every instance.',
        parameters: [
          ...instanceFilters,
          queryParam('limit', { type: 'integer', minimum: 1, maximum: 200 }, 'Page size (default 50)'),
          queryParam('skip', { type: 'integer', minimum: 0 }, 'Offset'),
        ],
        responses: { 200: json(ref('InstanceList')), 400: E[400], 403: E[403] },
      }),
    },
    '/api/instances/{id}': {
      get: op({
        summary: 'One instance: status, variables, active elements, open tasks, incidents',
        access: 'auth',
        tags: ['instances'],
        description: 'Visible to administrators, its starter, users who can act on an open task, and participants.',
        parameters: [instanceId],
        responses: { 200: json(ref('InstanceDetail')), 403: E[403], 404: E[404] },
      }),
    },
    '/api/instances/{id}/audit': {
      get: op({ summary: 'Audit trail of an instance', access: 'auth', tags: ['instances'], parameters: [instanceId], responses: { 200: json(arrayOf(ref('AuditEntry'))), 403: E[403], 404: E[404] } }),
    },
    '/api/instances/{id}/signoffs': {
      get: op({ summary: 'Sign-offs (approval decisions) of an instance', access: 'auth', tags: ['instances'], parameters: [instanceId], responses: { 200: json(arrayOf(ref('Signoff'))), 403: E[403], 404: E[404] } }),
    },
    '/api/instances/{id}/retry': {
      post: op({
        summary: 'Retry an instance stopped by an incident',
        access: 'admin',
        tags: ['administration'],
        parameters: [instanceId],
        requestBody: jsonBody(ref('ReasonRequest')),
        responses: { 200: json(ref('InstanceDetail')), 400: E[400], 404: E[404], 409: E[409] },
      }),
    },
    '/api/instances/{id}/cancel': {
      post: op({
        summary: 'Cancel an instance',
        access: 'admin',
        tags: ['administration'],
        parameters: [instanceId],
        requestBody: jsonBody(ref('ReasonRequest')),
        responses: { 200: json(ref('InstanceDetail')), 400: E[400], 404: E[404], 409: E[409] },
      }),
    },
    '/api/tasks': {
      get: op({
        summary: 'Task lists',
        access: 'auth',
        tags: ['tasks'],
        description:
          'scope=mine: claimed by me (or completed by me with status=completed); candidate: unclaimed tasks of my groups; signer: open tasks waiting for my signature as an added signer (加签, 待我签署); all: administrators.',
        parameters: [
          queryParam('scope', { enum: ['mine', 'candidate', 'signer', 'all', 'cc'], default: 'mine' }, 'Which tasks (cc: 抄送我的, the cases copied to me)'),
          queryParam('status', { enum: ['open', 'completed'], default: 'open' }, 'Task status'),
          queryParam('process', { type: 'string' }, 'Filter by process key'),
          queryParam('businessKey', { type: 'string' }, 'Filter by business key'),
          queryParam('limit', { type: 'integer', minimum: 1, maximum: 200 }, 'Page size (default 50)'),
        ],
        responses: { 200: json(arrayOf(ref('Task'))), 400: E[400], 403: E[403] },
      }),
    },
    '/api/tasks/count': {
      get: op({
        summary: 'How many open tasks I hold, how many unclaimed ones my roles in my unit may claim, and how many wait for my signature (加签)',
        access: 'auth',
        tags: ['tasks'],
        responses: { 200: json({ type: 'object', properties: { mine: { type: 'integer' }, candidate: { type: 'integer' }, signer: { type: 'integer' } } }) },
      }),
    },
    '/api/tasks/{id}': {
      get: op({ summary: 'One task with its form schema and the case so far', access: 'auth', tags: ['tasks'], parameters: [taskId], responses: { 200: json(ref('TaskDetail')), 403: E[403], 404: E[404] } }),
    },
    '/api/tasks/{id}/claim': {
      post: op({ summary: 'Claim a task', access: 'auth', tags: ['tasks'], parameters: [taskId], responses: { 200: json(ref('Task')), 403: E[403], 404: E[404], 409: E[409] } }),
    },
    '/api/tasks/{id}/unclaim': {
      post: op({ summary: 'Give a claimed task back to its candidates', access: 'auth', tags: ['tasks'], parameters: [taskId], responses: { 200: json(ref('Task')), 403: E[403], 404: E[404], 409: E[409] } }),
    },
    '/api/tasks/{id}/complete': {
      post: op({
        summary: 'Complete a task with its form values',
        access: 'auth',
        tags: ['tasks'],
        parameters: [taskId],
        requestBody: jsonBody(ref('CompleteTaskRequest')),
        responses: {
          200: json(ref('CompleteTaskResponse')),
          400: errorResponse('Form values invalid (fields)'),
          403: errorResponse('Not your task'),
          404: E[404],
          409: errorResponse('Task already completed'),
          503: errorResponse('Completion recorded, follow-up writes failed; the server finishes them (do not repeat)'),
        },
      }),
    },
    '/api/tasks/{id}/reassign': {
      post: op({
        summary: 'Reassign a task',
        access: 'admin',
        tags: ['administration'],
        parameters: [taskId],
        requestBody: jsonBody(ref('ReassignRequest')),
        responses: { 200: json(ref('Task')), 400: E[400], 404: E[404], 409: E[409] },
      }),
    },
    '/api/drafts/{key}': {
      get: op({ summary: "The modeler draft of a process (the caller's own)", access: 'admin', tags: ['modeler'], parameters: [key], responses: { 200: json(ref('Draft')), 404: E[404] } }),
      put: op({
        summary: 'Save a modeler draft',
        access: 'admin',
        tags: ['modeler'],
        parameters: [key],
        requestBody: xmlRequest,
        responses: { 200: json(ref('DraftSaved')), 400: E[400], 413: E[413] },
      }),
    },
    '/api/notices': {
      get: op({
        summary: 'Published notices (公示)',
        access: 'public',
        tags: ['notices'],
        parameters: [
          queryParam('unitId', { type: 'string' }, 'Only the notices of the cases of this unit and the units under it'),
          queryParam('current', { type: 'boolean' }, 'Only notices within their publicity period'),
          queryParam('limit', { type: 'integer', minimum: 1, maximum: 200 }, 'Page size (default 50)'),
        ],
        responses: { 200: json(arrayOf(ref('Notice'))), 400: E[400] },
      }),
    },
    '/api/notices/{id}': {
      get: op({ summary: 'One notice', access: 'public', tags: ['notices'], parameters: [pathParam('id', 'Notice id')], responses: { 200: json(ref('Notice')), 404: E[404] } }),
    },
  };


  const reasonBody = (required: boolean) =>
    jsonBody({ type: 'object', required: ['to', ...(required ? ['reason'] : [])], properties: { to: { type: 'string', description: 'User name' }, reason: { type: 'string', maxLength: 500 } } });
  const brief = json({ type: 'object', properties: { id: { type: 'string' }, assignee: nullable('string'), owner: nullable('string'), status: { type: 'string' } } });
  paths['/api/tasks/{id}/draft'] = {
    put: op({
      summary: '暂存: keep the form as typed without completing; GET /api/tasks/{id} returns it to its author as `draft`',
      access: 'auth',
      tags: ['approval'],
      parameters: [taskId],
      requestBody: jsonBody({ type: 'object', required: ['values'], properties: { values: { type: 'object' } } }),
      responses: { 200: json({ type: 'object', properties: { savedAt: dateTime } }), 400: E[400], 403: E[403], 404: E[404], 409: E[409] },
    }),
  };
  paths['/api/tasks/{id}/transfer'] = {
    post: op({ summary: '转办: hand the task to another person (reason required)', access: 'auth', tags: ['approval'], parameters: [taskId], requestBody: reasonBody(true), responses: { 200: brief, 400: E[400], 403: E[403], 404: E[404], 409: E[409] } }),
  };
  paths['/api/tasks/{id}/delegate'] = {
    post: op({
      summary: '委派: another person does the work; their submission returns the task to the delegator as a draft',
      access: 'auth',
      tags: ['approval'],
      parameters: [taskId],
      requestBody: reasonBody(false),
      responses: { 200: brief, 400: E[400], 403: E[403], 404: E[404], 409: E[409] },
    }),
  };
  paths['/api/tasks/{id}/return'] = {
    post: op({
      summary: '退回: send the task back to an earlier completed user step of the case (GET /api/tasks/{id} lists them as returnTargets)',
      access: 'auth',
      tags: ['approval'],
      parameters: [taskId],
      requestBody: jsonBody({ type: 'object', required: ['targetElementId', 'reason'], properties: { targetElementId: { type: 'string' }, reason: { type: 'string' } } }),
      responses: { 200: json({ type: 'object', properties: { returnedTo: { type: 'string' }, name: { type: 'string' } } }), 400: E[400], 403: E[403], 404: E[404], 409: E[409] },
    }),
  };
  paths['/api/tasks/{id}/recall'] = {
    post: op({
      summary: '撤回 a completion (the id of the task one completed) while the next step is untouched: the step waits again, held by the caller',
      access: 'auth',
      tags: ['approval'],
      parameters: [taskId],
      requestBody: jsonBody({ type: 'object', properties: { reason: { type: 'string' } } }, false),
      responses: { 200: brief, 403: E[403], 404: E[404], 409: errorResponse('The next step has been touched, or the case has parallel work') },
    }),
  };
  paths['/api/tasks/{id}/add-signers'] = {
    post: op({
      summary:
        '加签 (reason required): `before` (default) — the users sign first, then the holder submits; `after` (后加签) — the holder submits `values` now, checked like a completion, and the task completes with them once every user agrees (one 不同意 returns it to the holder, values as a draft); `instance` — one more iteration of a multi-instance step per user, held by them (409 where the step\'s size is not a variable)',
      access: 'auth',
      tags: ['approval'],
      parameters: [taskId],
      requestBody: jsonBody({
        type: 'object',
        required: ['users', 'reason'],
        properties: {
          users: arrayOf({ type: 'string' }),
          reason: { type: 'string' },
          position: { type: 'string', enum: ['before', 'after', 'instance'] },
          values: { type: 'object', description: 'the form, with `after`' },
        },
      }),
      responses: {
        200: json({
          type: 'object',
          properties: {
            id: { type: 'string' },
            assignee: nullable('string'),
            cosigners: arrayOf({ type: 'string' }),
            held: { type: 'boolean', description: 'submitted, waiting for the signers (after)' },
            created: arrayOf({ type: 'string' }),
          },
        }),
        400: E[400],
        403: E[403],
        404: E[404],
        409: E[409],
      },
    }),
  };
  paths['/api/tasks/{id}/cosign'] = {
    post: op({
      summary: 'An added signer signs: decision approve or reject, opinion required unless approve; once',
      access: 'auth',
      tags: ['approval'],
      parameters: [taskId],
      requestBody: jsonBody({ type: 'object', required: ['decision'], properties: { decision: { enum: ['approve', 'reject'] }, opinion: { type: 'string' } } }),
      responses: { 200: json({ type: 'object', properties: { decision: { type: 'string' }, opinion: nullable('string'), at: dateTime, valuesHash: { type: 'string' } } }), 400: E[400], 403: E[403], 404: E[404], 409: E[409] },
    }),
  };
  paths['/api/tasks/{id}/cc'] = {
    post: op({
      summary: '抄送: copy the case to people (user names) and roles (their holders in the case\'s unit)',
      access: 'auth',
      tags: ['approval'],
      parameters: [taskId],
      requestBody: jsonBody({ type: 'object', properties: { users: arrayOf({ type: 'string' }), groups: arrayOf({ type: 'string' }), note: { type: 'string' } } }),
      responses: { 200: json({ type: 'object', properties: { copied: arrayOf({ type: 'string' }) } }), 400: E[400], 403: E[403], 404: E[404] },
    }),
  };
  paths['/api/tasks/{id}/remind'] = {
    post: op({
      summary: '催办: remind whoever can act on the task; at most once per interval (REMIND_INTERVAL_MINUTES, 60)',
      access: 'auth',
      tags: ['approval'],
      parameters: [taskId],
      responses: { 200: json({ type: 'object', properties: { reminded: arrayOf({ type: 'string' }), nextAllowedAt: dateTime } }), 400: E[400], 403: E[403], 404: E[404], 409: E[409], 429: errorResponse('Reminded within the interval') },
    }),
  };
  paths['/api/instances/{id}/withdraw'] = {
    post: op({
      summary: '撤回: the starter cancels the case while nobody else has acted on it (reason required)',
      access: 'auth',
      tags: ['approval'],
      parameters: [instanceId],
      requestBody: jsonBody({ type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } }),
      responses: { 200: json({ type: 'object', properties: { id: { type: 'string' }, status: { const: 'cancelled' } } }), 400: E[400], 403: E[403], 404: E[404], 409: errorResponse('Somebody else has acted on it, or it has ended') },
    }),
  };
  paths['/api/messages'] = {
    get: op({
      summary: '站内消息: stored messages (reminders, copies, transfers, delegations) and notices of new tasks and due dates, newest first',
      access: 'auth',
      tags: ['messages'],
      responses: { 200: json({ type: 'object', properties: { unread: { type: 'integer' }, items: arrayOf({ type: 'object' }) } }) },
    }),
  };
  paths['/api/messages/{id}/read'] = {
    post: op({ summary: 'Mark one message read', access: 'auth', tags: ['messages'], parameters: [pathParam('id', 'Message id')], responses: { 204: { description: 'Read' } } }),
  };
  paths['/api/messages/read-all'] = {
    post: op({ summary: 'Mark every message read', access: 'auth', tags: ['messages'], responses: { 204: { description: 'Read' } } }),
  };
  paths['/api/users'] = {
    get: op({
      summary: 'The person picker: enabled users by name, role or unit (at most 20)',
      access: 'auth',
      tags: ['approval'],
      parameters: [
        queryParam('q', { type: 'string' }, 'Part of the user name or display name'),
        queryParam('group', { type: 'string' }, 'A role id'),
        queryParam('unitId', { type: 'string' }, 'A unit: its users and those of the units under it'),
      ],
      responses: { 200: json(arrayOf({ type: 'object', properties: { id: { type: 'string' }, displayName: { type: 'string' }, unitId: nullable('string'), unitName: nullable('string'), roles: arrayOf({ type: 'string' }) } })) },
    }),
  };
  const unitId = pathParam('id', 'Unit id');
  const userId = pathParam('id', 'User id (the user name)');
  paths['/api/admin/units'] = {
    get: op({ summary: 'The organisation tree, root first', access: 'admin', tags: ['organisation'], responses: { 200: json({ type: 'object', properties: { items: arrayOf(ref('Unit')) } }) } }),
    post: op({ summary: 'Add a unit', access: 'admin', tags: ['organisation'], requestBody: jsonBody(ref('NewUnit')), responses: { 201: json(ref('Unit'), 'Created'), 400: E[400], 409: E[409] } }),
  };
  paths['/api/admin/units/{id}'] = {
    patch: op({
      summary: 'Rename a unit, or move it while nothing belongs to it',
      access: 'admin',
      tags: ['organisation'],
      parameters: [unitId],
      requestBody: jsonBody({ type: 'object', properties: { name: { type: 'string' }, parentId: nullable('string') } }),
      responses: { 200: json(ref('Unit')), 400: E[400], 404: E[404], 409: E[409] },
    }),
    delete: op({
      summary: 'Delete a unit that has no units under it, no users and no running instances',
      access: 'admin',
      tags: ['organisation'],
      parameters: [unitId],
      responses: { 204: { description: 'Deleted' }, 404: E[404], 409: errorResponse('The unit still has units, users or running instances (the message says which)') },
    }),
  };
  paths['/api/admin/users'] = {
    get: op({
      summary: 'Users, by name',
      access: 'admin',
      tags: ['organisation'],
      parameters: [queryParam('unitId', { type: 'string' }, 'Only the users of this unit')],
      responses: { 200: json({ type: 'object', properties: { items: arrayOf(ref('AdminUser')) } }) },
    }),
    post: op({ summary: 'Create a user with a temporary password', access: 'admin', tags: ['organisation'], requestBody: jsonBody(ref('NewUser')), responses: { 201: json(ref('AdminUser'), 'Created'), 400: E[400] } }),
  };
  paths['/api/admin/users/{id}'] = {
    patch: op({
      summary: 'Change a user: name, unit, roles, disabled, or a new temporary password',
      access: 'admin',
      tags: ['organisation'],
      parameters: [userId],
      requestBody: jsonBody(ref('UserPatch')),
      responses: { 200: json(ref('AdminUser')), 400: E[400], 404: E[404] },
    }),
  };
  paths['/api/admin/users/import'] = {
    post: op({
      summary: 'Create users from an .xlsx or .csv file (columns 用户名, 姓名, 所属单位, 角色, 初始密码); each refused row says why',
      access: 'admin',
      tags: ['organisation'],
      requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } } } },
      responses: { 200: json(ref('ImportReport')), 400: E[400], 413: errorResponse('Larger than 2 MB') },
    }),
  };
  paths['/api/admin/org-audit'] = {
    get: op({ summary: 'What administrators did to units and users, newest first', access: 'admin', tags: ['organisation'], responses: { 200: json({ type: 'object', properties: { items: arrayOf({ type: 'object' }) } }) } }),
  };

  Object.assign(paths, recordPaths({ op, E, json, errorResponse, pathParam, queryParam, instanceFilters }));

  if (options.manualClock) {
    paths['/api/admin/clock'] = {
      get: op({ summary: 'The manual clock (CLOCK=manual only)', access: 'admin', tags: ['administration'], responses: { 200: json({ type: 'object', properties: { now: dateTime, manual: { const: true } } }) } }),
      post: op({
        summary: 'Move the manual clock and fire due timers (CLOCK=manual only)',
        access: 'admin',
        tags: ['administration'],
        requestBody: jsonBody(ref('ClockRequest')),
        responses: { 200: json(ref('ClockResponse')), 400: E[400] },
      }),
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: '社区治理流程平台 API',
      version: '0.1.0',
      description:
        'JSON API of the community governance BPMN platform. Errors are `{ "error": { "code", "message", "fields"?, "problems"? } }` ' +
        '(a refused BPMN file also has `errors`, `warnings` and `conversion`) ' +
        'with Chinese messages. Authenticate with the bearer token from POST /api/auth/login, or with the session cookie; ' +
        'unsafe requests authenticated by the cookie must send the X-CSRF-Token header.',
    },
    servers: [{ url: '/' }],
    tags: ['system', 'auth', 'processes', 'instances', 'tasks', 'attachments', 'exports', 'administration', 'modeler', 'notices'].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...schemas, Attachment: attachmentSchema },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'Token from POST /api/auth/login' },
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'cg.sid', description: 'Session cookie; unsafe requests also need X-CSRF-Token' },
      },
    },
  };
}

/**
 * `/api/rules`: the loaded rules (list, show), a check of a rule set that changes nothing (the errors `vigil check`
 * prints, as data), and hot reload, from the service's folders or from a rule set in the body. A rule set that
 * does not compile is refused with 422 and its positioned errors; one that cannot be swapped in now, or only by
 * losing state the caller did not agree to lose, with 409. Either way the running job goes on untouched.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ServiceControl } from '../../app/service/control.js';
import { type ReloadRefusal, ReloadRefused, type RuleSetCheck, RuleSetRejected } from '../../app/service/rule-control.js';
import { PATTERN_FILE_NAME, RULE_FILE_NAME, type RuleSetText } from '../../app/service/rule-set.js';
import { ApiError, ErrorCode, errorBody, errorResponses, errorSchema } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';
import { OPTIONAL_BODY } from './docs.js';

export interface RulesOptions {
  readonly control: ServiceControl;
  readonly guards: Guards;
}

/** A rule set in a body: the shipped rules and patterns are a few kilobytes; this leaves room for a city's own. */
export const RULE_SET_BODY_LIMIT = 2 * 1024 * 1024;
const MAX_FILES = 1000;

const filesOf = (name: RegExp, what: string) =>
  ({
    type: 'object',
    description: `${what} files by file name (${name.source}): their texts.`,
    maxProperties: MAX_FILES,
    propertyNames: { pattern: name.source },
    additionalProperties: { type: 'string' },
  }) as const;

const ruleSetBody = {
  type: 'object',
  additionalProperties: false,
  required: ['rules'],
  properties: {
    rules: filesOf(RULE_FILE_NAME, 'Rule'),
    patterns: {
      ...filesOf(PATTERN_FILE_NAME, 'Pattern'),
      description: "Pattern files by file name: their texts. Without them the running set's pattern files are used.",
    },
  },
} as const;

const diagnostic = {
  type: 'object',
  required: ['file', 'line', 'col', 'message', 'text'],
  properties: {
    file: { type: 'string' },
    line: { type: 'integer' },
    col: { type: 'integer' },
    message: { type: 'string' },
    text: { type: 'string', description: '`file:line:col: message`, the line and a caret, as `vigil check` prints it.' },
  },
} as const;

const route = {
  type: 'object',
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: ['kafka', 'webhook'] },
    topic: { type: 'string' },
    url: { type: 'string' },
    secret: { type: ['string', 'null'] },
  },
} as const;

const ruleProperties = {
  id: { type: 'string' },
  file: { type: 'string' },
  pattern: { type: 'string' },
  description: { type: 'string' },
  severity: { type: 'string' },
  enabled: { type: 'boolean' },
  routes: { type: 'array', items: route },
  suppress: {
    type: ['object', 'null'],
    required: ['key', 'forMs'],
    properties: { key: { type: 'array', items: { type: 'string' } }, forMs: { type: 'number' } },
  },
  params: { type: 'object', additionalProperties: { type: ['number', 'string', 'boolean'] }, description: 'The parameters the rule file sets.' },
} as const;
const ruleRequired = ['id', 'file', 'pattern', 'description', 'severity', 'enabled', 'routes', 'suppress', 'params'] as const;

const ruleSetView = {
  type: 'object',
  required: ['version', 'loadedAt', 'origin', 'ruleFiles', 'patternFiles', 'rules'],
  properties: {
    version: { type: 'string', description: "A hash of the set's files: equal on every process that runs the same set." },
    loadedAt: { type: 'number', description: 'Epoch ms.' },
    origin: {
      type: 'string',
      enum: ['disk', 'api', 'group'],
      description:
        "Read from --rules/--patterns, sent with PUT /api/rules, or the group's stored set (another process's reload, or stored before this process started).",
    },
    ruleFiles: { type: 'array', items: { type: 'string' } },
    patternFiles: { type: 'array', items: { type: 'string' } },
    rules: { type: 'array', items: { type: 'object', required: ruleRequired, properties: ruleProperties } },
    group: {
      type: ['object', 'null'],
      description: "The consumer group's stored set and the version each process reports running (null before the service started).",
      required: ['stored', 'members'],
      properties: {
        stored: { type: ['string', 'null'] },
        members: {
          type: 'array',
          items: {
            type: 'object',
            required: ['member', 'version', 'at'],
            properties: {
              member: { type: 'string', description: 'host#pid' },
              version: { type: 'string' },
              at: { type: 'number', description: 'Epoch ms of its last report.' },
            },
          },
        },
      },
    },
  },
} as const;

const ruleDetail = {
  type: 'object',
  required: [...ruleRequired, 'patternFile', 'patternParams', 'text'],
  properties: {
    ...ruleProperties,
    patternFile: { type: 'string' },
    patternParams: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'type', 'default', 'value'],
        properties: { name: { type: 'string' }, type: { type: 'string' }, default: {}, value: { description: 'What the rule runs with.' } },
      },
    },
    text: { type: 'string', description: 'The rule file.' },
  },
} as const;

const checkResult = {
  type: 'object',
  required: ['ok', 'version', 'errors', 'warnings', 'rules', 'enabled'],
  properties: {
    ok: { type: 'boolean' },
    version: { type: ['string', 'null'] },
    errors: { type: 'array', items: diagnostic },
    warnings: { type: 'array', items: diagnostic, description: 'Lint warnings and notes, as `vigil check` prints them.' },
    rules: { type: 'integer' },
    enabled: { type: 'integer' },
  },
} as const;

/** 422: the one error shape, plus the positioned errors. */
const rejected = {
  type: 'object',
  required: ['ok', 'error', 'errors'],
  properties: { ok: { type: 'boolean', enum: [false] }, error: errorSchema.properties.error, errors: { type: 'array', items: diagnostic } },
} as const;

const ruleReload = {
  type: 'object',
  required: ['id', 'outcome', 'changed'],
  properties: {
    id: { type: 'string' },
    outcome: { type: 'string', enum: ['kept', 'reset', 'dropped', 'added'] },
    changed: { type: 'boolean', description: "Its rule file or its pattern's file changed." },
  },
} as const;

/** 409: the one error shape, plus what each rule's state would come to (state_not_restored). */
const refused = {
  type: 'object',
  required: ['error'],
  properties: { error: errorSchema.properties.error, rules: { type: 'array', items: ruleReload } },
} as const;

const reloadResult = {
  type: 'object',
  required: ['from', 'version', 'origin', 'durationMs', 'phasesMs', 'tasks', 'rules', 'operators', 'unchanged'],
  properties: {
    from: { type: 'string', description: 'The version that ran before.' },
    version: { type: 'string' },
    origin: { type: 'string', enum: ['disk', 'api', 'group'] },
    durationMs: { type: 'number' },
    phasesMs: {
      type: 'object',
      description: 'compile: read, check and build the set; wait: for the batch boundary; swap: snapshot, rebuild, restore; checkpoint: of the new tasks.',
      required: ['compile', 'wait', 'swap', 'checkpoint'],
      properties: { compile: { type: 'number' }, wait: { type: 'number' }, swap: { type: 'number' }, checkpoint: { type: 'number' } },
    },
    tasks: { type: 'integer', description: 'Tasks of this process rebuilt.' },
    rules: { type: 'array', items: ruleReload },
    operators: {
      type: 'object',
      required: ['reset', 'dropped'],
      properties: { reset: { type: 'array', items: { type: 'string' } }, dropped: { type: 'array', items: { type: 'string' } } },
    },
    unchanged: { type: 'boolean', description: 'The set was the running one: nothing was rebuilt.' },
  },
} as const;

const reloadQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    allowNonRestoredState: {
      type: 'string',
      enum: ['true', 'false'],
      description: 'true: drop the state of removed rules and reset state a changed rule no longer fits (as --allow-non-restored-state).',
    },
  },
} as const;

const REFUSAL_CODES: Readonly<Record<ReloadRefusal, ErrorCode>> = {
  not_running: ErrorCode.notRunning,
  topology_changed: ErrorCode.topologyChanged,
  state_not_restored: ErrorCode.stateNotRestored,
  reload_in_progress: ErrorCode.reloadInProgress,
};

/** Sends a rejected or refused reload as its status and body; anything else goes to the error handler. */
function sendFailure(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof RuleSetRejected) {
    return reply.code(422).send({ ok: false, ...errorBody(ErrorCode.invalidRules, error.message), errors: error.diagnostics });
  }
  if (error instanceof ReloadRefused) {
    return reply.code(409).send({ ...errorBody(REFUSAL_CODES[error.reason], error.message), ...(error.rules.length > 0 ? { rules: error.rules } : {}) });
  }
  throw error;
}

export const rulesPlugin: FastifyPluginAsync<RulesOptions> = async (app, { control, guards }) => {
  const readSecurity = guards.readsNeedToken ? { security: bearerSecurity } : {};
  const writeSecurity = guards.writesNeedToken ? { security: bearerSecurity } : {};
  const rules = control.rules;

  app.get(
    '/api/rules',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['rules'],
        summary: 'The loaded rule set: its version and every rule',
        ...readSecurity,
        response: { 200: ruleSetView, ...errorResponses(401) },
      },
    },
    async () => ({ ...rules.view(), group: await rules.group() }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/rules/:id',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['rules'],
        summary: "A rule, its pattern's parameters and its file",
        ...readSecurity,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 200 } } },
        response: { 200: ruleDetail, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const rule = rules.rule(request.params.id);
      if (rule === undefined) throw new ApiError(404, ErrorCode.ruleNotFound, `no rule '${request.params.id.slice(0, 200)}' in the loaded set`);
      return rule;
    },
  );

  // Compiling a set costs CPU: like the writes, it wants the token.
  app.post<{ Body: RuleSetText }>(
    '/api/rules/validate',
    {
      onRequest: guards.write,
      bodyLimit: RULE_SET_BODY_LIMIT,
      schema: {
        tags: ['rules'],
        summary: 'Check a rule set as `vigil check` does; nothing changes',
        description: '200 with ok:true (and lint warnings), or 422 with every error positioned as file:line:col. Files show as rules/NAME and patterns/NAME.',
        ...writeSecurity,
        body: ruleSetBody,
        response: { 200: checkResult, 422: checkResult, ...errorResponses(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      const result: RuleSetCheck = await rules.validate(request.body);
      return reply.code(result.ok ? 200 : 422).send(result);
    },
  );

  app.post<{ Querystring: { allowNonRestoredState?: 'true' | 'false' } }>(
    '/api/rules/reload',
    {
      onRequest: guards.write,
      schema: {
        tags: ['rules'],
        summary: "Hot reload from the service's --patterns and --rules folders",
        description:
          'Reads and checks the folders; a set with errors is refused (422) and the running job goes on. A good one is swapped in at a batch boundary: ' +
          'state restores by rule id and operator uid, as a savepoint does. Without allowNonRestoredState=true a reload that would drop or reset state is refused (409).',
        ...writeSecurity,
        querystring: reloadQuery,
        [OPTIONAL_BODY]: true,
        response: { 200: reloadResult, 409: refused, 422: rejected, ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      try {
        return await rules.reload(null, { allowNonRestoredState: request.query.allowNonRestoredState === 'true' });
      } catch (error) {
        return sendFailure(reply, error);
      }
    },
  );

  app.put<{ Body: RuleSetText; Querystring: { allowNonRestoredState?: 'true' | 'false' } }>(
    '/api/rules',
    {
      onRequest: guards.write,
      bodyLimit: RULE_SET_BODY_LIMIT,
      schema: {
        tags: ['rules'],
        summary: 'Hot reload with the rule set in the body',
        description:
          'As POST /api/rules/reload, with the rule files (and optionally the pattern files) in the body. The set runs until the next reload or restart: ' +
          'a restart reads the folders again.',
        ...writeSecurity,
        querystring: reloadQuery,
        body: ruleSetBody,
        response: { 200: reloadResult, 409: refused, 422: rejected, ...errorResponses(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      try {
        return await rules.reload(request.body, { allowNonRestoredState: request.query.allowNonRestoredState === 'true' });
      } catch (error) {
        return sendFailure(reply, error);
      }
    },
  );
};

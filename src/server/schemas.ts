/** JSON schemas of the API's bodies (the service's status, savepoints), shared by routes and the OpenAPI document. */

const nullable = <T extends string>(type: T) => [type, 'null'] as const;

export const statusSchema = {
  $id: 'JobStatus',
  type: 'object',
  description: "The service's state, its running tasks and the enabled rules.",
  required: ['state', 'group', 'inputTopic', 'tasks', 'rules'],
  properties: {
    state: { type: 'string', enum: ['starting', 'running', 'standby', 'stopping', 'stopped', 'failed'] },
    group: { type: 'string', description: 'The Kafka consumer group.' },
    inputTopic: { type: 'string' },
    tasks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'topic', 'partitions', 'watermark', 'lastCheckpoint'],
        properties: {
          id: { type: 'string' },
          topic: { type: 'string' },
          partitions: { type: 'array', items: { type: 'integer' } },
          watermark: { type: nullable('number'), description: 'Epoch ms; null before the first watermark.' },
          lastCheckpoint: {
            type: nullable('object'),
            required: ['id', 'at', 'bytes', 'durationMs'],
            properties: {
              id: { type: 'integer' },
              at: { type: 'number', description: 'Epoch ms.' },
              bytes: { type: 'integer' },
              durationMs: { type: 'number' },
            },
          },
        },
      },
    },
    rules: { type: 'array', items: { type: 'string' }, description: 'Enabled rule ids.' },
    rulesVersion: { type: 'string', description: 'The version (hash) of the rule set this process runs (see GET /api/rules).' },
    error: { type: 'string', description: 'Why the service failed (state failed).' },
    checkpointFailure: {
      type: 'object',
      description: 'Present while checkpoints cannot be stored: the job runs on, offsets stay at the last stored checkpoint.',
      required: ['since', 'error', 'failures'],
      properties: {
        since: { type: 'number', description: 'Epoch ms of the first failed save.' },
        error: { type: 'string' },
        failures: { type: 'integer', description: 'Task checkpoints not stored since.' },
      },
    },
  },
} as const;

export const savepointTakenSchema = {
  $id: 'SavepointTaken',
  type: 'object',
  required: ['name', 'path', 'takenAt', 'tasks'],
  properties: {
    name: { type: 'string' },
    path: { type: 'string', description: 'The folder: what `vigil serve --from-savepoint` takes.' },
    takenAt: { type: 'number', description: 'Epoch ms.' },
    tasks: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const savepointFolderSchema = {
  $id: 'SavepointFolder',
  type: 'object',
  required: ['name', 'path', 'takenAt', 'tasks', 'files'],
  properties: {
    name: { type: 'string' },
    path: { type: 'string' },
    takenAt: { type: 'number', description: 'Epoch ms, from the files (else the folder time).' },
    tasks: { type: 'array', items: { type: 'string' } },
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'bytes'],
        properties: { name: { type: 'string' }, bytes: { type: 'integer' } },
      },
    },
  },
} as const;

export const alertSchema = {
  $id: 'Alert',
  type: 'object',
  description: 'An alert as its Kafka routes carry it. Its id is stable: a replay after a crash emits the same id.',
  required: ['id', 'rule', 'pattern', 'severity', 'key', 'event_time', 'detected_at', 'payload', 'evidence'],
  properties: {
    id: { type: 'string' },
    rule: { type: 'string' },
    pattern: { type: 'string' },
    severity: { type: 'string', enum: ['info', 'low', 'medium', 'high', 'critical'] },
    key: { type: 'string', description: "The alert key (the rule's key by, e.g. a plate)." },
    event_time: { type: 'number', description: 'Event time of the match (its last event), epoch ms.' },
    detected_at: { type: 'number', description: 'When Vigil detected it (processing time), epoch ms.' },
    payload: { description: "The rule's emit expression, any JSON." },
    evidence: {
      type: 'object',
      description: 'The matched events by pattern variable.',
      additionalProperties: { type: 'array', items: {} },
    },
    timeout: { type: 'boolean', enum: [true], description: 'Present on alerts from `on timeout emit`.' },
  },
} as const;

export const alertPageSchema = {
  $id: 'AlertPage',
  type: 'object',
  description: 'Alerts of the history, newest first, and the cursor of the next (older) page.',
  required: ['alerts', 'next'],
  properties: {
    alerts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['entry', 'alert'],
        properties: {
          entry: { type: 'string', description: 'The Redis stream entry id: a cursor, and the id of the SSE event.' },
          alert: { $ref: 'Alert#' },
        },
      },
    },
    next: {
      type: nullable('string'),
      description: 'Pass as `cursor` for older alerts; null when there are none that could match.',
    },
  },
} as const;

const jobCounts = {
  type: 'object',
  description: 'Jobs of the route by state, in Redis (every process of the group).',
  required: ['waiting', 'delayed', 'active', 'failed', 'completed'],
  properties: {
    waiting: { type: 'integer' },
    delayed: { type: 'integer', description: 'Waiting for a retry, or for the circuit breaker to let them through.' },
    active: { type: 'integer' },
    failed: { type: 'integer', description: 'Dead letters.' },
    completed: { type: 'integer', description: 'Delivered and kept for de-duplication (24 h, at most 10,000).' },
  },
} as const;

export const webhookRouteSchema = {
  $id: 'WebhookRoute',
  type: 'object',
  description: "A rule's webhook route: its settings, its queue, this process's circuit breaker and counters.",
  required: [
    'route',
    'rule',
    'url',
    'concurrency',
    'timeoutMs',
    'attempts',
    'jobs',
    'breaker',
    'enqueued',
    'deliveryAttempts',
    'delivered',
    'failedAttempts',
    'deadLettered',
  ],
  properties: {
    route: { type: 'string', description: 'The route id: the rule id, `<rule>.2` for its second webhook route.' },
    rule: { type: 'string' },
    url: { type: 'string' },
    concurrency: { type: 'integer' },
    timeoutMs: { type: 'number' },
    attempts: { type: 'integer' },
    jobs: jobCounts,
    breaker: {
      type: 'object',
      required: ['state', 'consecutiveFailures', 'opened', 'retryInMs'],
      properties: {
        state: { type: 'string', enum: ['closed', 'open', 'half-open'] },
        consecutiveFailures: { type: 'integer' },
        opened: { type: 'integer', description: 'Times it opened since this process started.' },
        retryInMs: { type: 'number', description: 'Until an open breaker lets a probe through.' },
      },
    },
    enqueued: { type: 'integer', description: 'Alerts this process enqueued (an alert already queued counts, and is not queued twice).' },
    deliveryAttempts: { type: 'integer', description: 'POSTs this process sent.' },
    delivered: { type: 'integer' },
    failedAttempts: { type: 'integer' },
    deadLettered: { type: 'integer', description: 'Alerts that became dead letters in this process.' },
  },
} as const;

export const deadLetterPageSchema = {
  $id: 'WebhookDeadLetters',
  type: 'object',
  description: "A page of a route's dead letters (alerts whose attempts ran out, or that the receiver refused), newest first.",
  required: ['route', 'total', 'offset', 'limit', 'jobs'],
  properties: {
    route: { type: 'string' },
    total: { type: 'integer' },
    offset: { type: 'integer' },
    limit: { type: 'integer' },
    jobs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'alert', 'attemptsMade', 'failedReason', 'enqueuedAt', 'failedAt'],
        properties: {
          id: { type: 'string', description: 'The job id: the alert id (with `:` and `%` percent-encoded).' },
          alert: { type: 'object', additionalProperties: true, description: 'The alert as it would be POSTed.' },
          attemptsMade: { type: 'integer' },
          failedReason: { type: 'string' },
          enqueuedAt: { type: 'number', description: 'Epoch ms.' },
          failedAt: { type: nullable('number'), description: 'Epoch ms.' },
        },
      },
    },
  },
} as const;

/** Every shared schema, added to the root instance before the routes that `$ref` them. */
export const sharedSchemas = [
  statusSchema,
  savepointTakenSchema,
  savepointFolderSchema,
  alertSchema,
  alertPageSchema,
  webhookRouteSchema,
  deadLetterPageSchema,
] as const;

export const ref = (id: (typeof sharedSchemas)[number]['$id'] | 'ApiError') => ({ $ref: `${id}#` }) as const;

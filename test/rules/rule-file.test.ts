import { describe, expect, it } from 'vitest';
import { formatDslError } from '../../src/dsl/errors.js';
import { severityOf } from '../../src/dsl/rules/alert.js';
import { parseDurationText, parseRuleFile } from '../../src/dsl/rules/rule-file.js';

const ok = `id: cloned-plate
pattern: cloned_plate
description: One plate at two places no car could link in time
severity: high
params:
  max_speed_kmh: 160
routes:
  - kafka: vigil.alerts
  - webhook: { url: "https://ops.example/hook", secret: env:OPS_HOOK_SECRET }
suppress:
  key: [plate, first, second]
  for: 30m
`;

function errorsOf(source: string): string[] {
  const r = parseRuleFile(source, 'rules/x.yaml');
  return r.errors.map((e) => formatDslError(e, source));
}

describe('rule files', () => {
  it('reads a complete rule', () => {
    const { rule, errors } = parseRuleFile(ok, 'rules/cloned-plate.yaml');
    expect(errors).toEqual([]);
    expect(rule).toMatchObject({
      id: 'cloned-plate',
      pattern: 'cloned_plate',
      enabled: true,
      severity: 'high',
      params: { max_speed_kmh: 160 },
      routes: [
        { kind: 'kafka', topic: 'vigil.alerts' },
        { kind: 'webhook', url: 'https://ops.example/hook', secret: 'env:OPS_HOOK_SECRET' },
      ],
      suppress: { key: ['plate', 'first', 'second'], forMs: 1_800_000 },
      paramPositions: { max_speed_kmh: { line: 6, col: 3 } },
    });
  });

  it('defaults severity, routes and enabled', () => {
    const { rule } = parseRuleFile('id: r1\npattern: p\n', 'r.yaml');
    expect(rule).toMatchObject({ severity: 'medium', enabled: true, routes: [{ kind: 'kafka', topic: 'vigil.alerts' }], suppress: null });
  });

  it('reports an unknown key with file:line:col and a caret', () => {
    expect(errorsOf('id: r1\npattern: p\nseverty: high\n')).toEqual([
      'rules/x.yaml:3:1: severty: unknown key; a rule has id, pattern, description, enabled, severity, severity_by, params, routes, suppress\nseverty: high\n^',
    ]);
  });

  it('reports every error of the file at once, with key paths', () => {
    const src =
      'id: Bad:Id\nseverity: urgent\nroutes:\n  - kafka: "no spaces allowed"\n  - webhook: { url: ftp://x, secret: hunter2 }\nsuppress:\n  key: plate\n  for: soon\n';
    expect(errorsOf(src).map((e) => e.split('\n')[0])).toEqual([
      "rules/x.yaml:1:1: missing required key 'pattern'",
      'rules/x.yaml:1:5: id: must be lower-case letters, digits, - and _ (it names Kafka keys and job ids)',
      'rules/x.yaml:2:11: severity: must be one of info, low, medium, high, critical',
      'rules/x.yaml:4:12: routes[0].kafka: expected a Kafka topic name (letters, digits, . _ -)',
      'rules/x.yaml:5:21: routes[1].webhook.url: expected an http(s) URL',
      'rules/x.yaml:5:38: routes[1].webhook.secret: expected a reference such as env:VIGIL_WEBHOOK_SECRET, never the secret itself',
      'rules/x.yaml:8:8: suppress.for: expected a positive duration such as 30m',
    ]);
  });

  it('reports invalid YAML with its position', () => {
    const [first] = errorsOf('id: r1\npattern: [unclosed\n');
    expect(first).toMatch(/^rules\/x\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('rejects a non-mapping document and ill-typed values', () => {
    expect(errorsOf('- a\n- b\n')[0]?.split('\n')[0]).toBe('rules/x.yaml:1:1: a rule file must be a mapping with at least `id` and `pattern`');
    expect(errorsOf('id: r1\npattern: p\nenabled: "yes"\nparams: [1]\n').map((e) => e.split('\n')[0])).toEqual([
      'rules/x.yaml:3:10: enabled: expected a boolean',
      'rules/x.yaml:4:9: params: expected a mapping of parameter names to values',
    ]);
  });

  it('reads severity_by and gives each alert the severity of its payload field', () => {
    const src = 'id: c\npattern: p\nseverity: high\nseverity_by:\n  field: level\n  values: { suspected: medium, "2": low }\n';
    const { rule, errors } = parseRuleFile(src, 'rules/c.yaml');
    expect(errors).toEqual([]);
    expect(rule?.severityBy).toEqual({ field: 'level', values: { suspected: 'medium', '2': 'low' } });
    expect(severityOf(rule!, { level: 'suspected' })).toBe('medium');
    expect(severityOf(rule!, { level: 'confirmed' })).toBe('high');
    expect(severityOf(rule!, { level: 2 })).toBe('low');
    expect(severityOf(rule!, { other: 'suspected' })).toBe('high');
    expect(severityOf(rule!, null)).toBe('high');
  });

  it('reports a malformed severity_by with its key path', () => {
    const bad = 'id: c\npattern: p\nseverity_by:\n  field: level\n  values: { suspected: urgent }\n  by: x\n';
    expect(errorsOf(bad).map((e) => e.split('\n')[0])).toEqual([
      'rules/x.yaml:5:24: severity_by.values.suspected: must be one of info, low, medium, high, critical',
      'rules/x.yaml:6:3: severity_by.by: unknown key; severity_by has field and values',
    ]);
    expect(errorsOf('id: c\npattern: p\nseverity_by: { field: level }\n').map((e) => e.split('\n')[0])).toEqual([
      "rules/x.yaml:3:14: severity_by: missing required key 'values'",
    ]);
    expect(errorsOf('id: c\npattern: p\nseverity_by: high\n').map((e) => e.split('\n')[0])).toEqual([
      'rules/x.yaml:3:14: severity_by: expected a mapping with `field` and `values`, e.g. `{ field: level, values: { suspected: medium } }`',
    ]);
  });

  it('parses durations', () => {
    expect(parseDurationText('500ms')).toBe(500);
    expect(parseDurationText('2h')).toBe(7_200_000);
    expect(parseDurationText('1.5m')).toBe(90_000);
    expect(parseDurationText('5 minutes')).toBeNull();
  });
});

describe('webhook routes in rule files', () => {
  const withHook = (hook: string) => `id: r1\npattern: p\nroutes:\n  - webhook: ${hook}\n`;

  it('reads the delivery options, in their units, with where the route was written', () => {
    const { rule, errors } = parseRuleFile(
      withHook(
        '{ url: "http://127.0.0.1:9000/hook", secret: env:HOOK, concurrency: 8, timeout: 2s, attempts: 5, backoff: 500ms, breaker_failures: 3, breaker_cooldown: 1m }',
      ),
      'rules/r1.yaml',
    );
    expect(errors).toEqual([]);
    expect(rule?.routes).toEqual([
      {
        kind: 'webhook',
        url: 'http://127.0.0.1:9000/hook',
        secret: 'env:HOOK',
        concurrency: 8,
        timeoutMs: 2000,
        attempts: 5,
        backoffMs: 500,
        breakerFailures: 3,
        breakerCooldownMs: 60_000,
        position: { line: 4, col: 14 },
      },
    ]);
  });

  it('leaves unset options to the service defaults', () => {
    const { rule } = parseRuleFile(withHook('{ url: "https://ops.example/hook", secret: env:HOOK }'), 'r.yaml');
    expect(rule?.routes[0]).toEqual({ kind: 'webhook', url: 'https://ops.example/hook', secret: 'env:HOOK', position: { line: 4, col: 14 } });
  });

  it('reports bad options and a missing secret with file:line:col and key paths', () => {
    const src =
      withHook('{ url: "https://x.example/h", secret: env:H, concurrency: 0, timeout: forever, attempts: 2.5, backoff: 0s, retries: 3 }') +
      '  - webhook: { url: "https://x.example/h" }\n';
    expect(errorsOf(src).map((e) => e.split('\n')[0])).toEqual([
      'rules/x.yaml:4:72: routes[0].webhook.concurrency: expected a whole number from 1 to 64',
      'rules/x.yaml:4:84: routes[0].webhook.timeout: expected a duration from 100ms to 5m, such as 10s',
      'rules/x.yaml:4:103: routes[0].webhook.attempts: expected a whole number from 1 to 50',
      'rules/x.yaml:4:117: routes[0].webhook.backoff: expected a duration from 10ms to 60m, such as 10s',
      'rules/x.yaml:4:121: routes[0].webhook.retries: unknown key; a webhook has url, secret, concurrency, timeout, attempts, backoff, breaker_failures, breaker_cooldown',
      "rules/x.yaml:5:14: routes[1].webhook: missing required key 'secret' (env:NAME: the environment variable that holds the signing secret)",
    ]);
  });
});

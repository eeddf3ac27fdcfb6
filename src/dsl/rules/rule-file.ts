import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { type DslError, sortErrors } from '../errors.js';
import { DURATION_UNITS, type DurationUnit } from '../lexer.js';
import { parseYamlFile, type Report } from '../yaml-file.js';
import { DEFAULT_ALERT_TOPIC, type ParamValue, type Route, type Rule, SEVERITIES, type Severity, type SeverityBy, type Suppression } from './rule.js';

const RULE_ID = /^[a-z0-9][a-z0-9_-]*$/;
const DURATION_TEXT = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const KNOWN_KEYS = ['id', 'pattern', 'description', 'enabled', 'severity', 'severity_by', 'params', 'routes', 'suppress'] as const;

/** Reads `30m`, `500ms`, or a number of ms. */
export function parseDurationText(text: string): number | null {
  const m = DURATION_TEXT.exec(text.trim());
  if (m === null) return null;
  const ms = Number(m[1]) * DURATION_UNITS[m[2] as DurationUnit];
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Parses and validates one rule file (YAML). Every error names file:line:col and the key path; all errors of
 * the file are returned together. Parameters are checked against their pattern later, when rules meet patterns.
 */
export function parseRuleFile(source: string, file: string): { rule: Rule | null; errors: DslError[] } {
  const { doc, errors, at, posOf } = parseYamlFile(source, file);
  if (errors.length > 0) return { rule: null, errors };
  const root = doc.contents;
  if (!isMap(root)) {
    at(root, '', 'a rule file must be a mapping with at least `id` and `pattern`');
    return { rule: null, errors };
  }

  const entries = new Map<string, Pair>();
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      at(pair.key as Node, key, `unknown key; a rule has ${KNOWN_KEYS.join(', ')}`);
      continue;
    }
    entries.set(key, pair);
  }
  const value = (key: string): Node | null => (entries.get(key)?.value as Node | undefined) ?? null;
  const scalarOf = (key: string, type: 'string' | 'boolean', required: boolean): string | boolean | undefined => {
    const node = value(key);
    if (node === null) {
      if (required) at(root, '', `missing required key '${key}'`);
      return undefined;
    }
    if (!isScalar(node) || typeof node.value !== type) {
      at(node, key, `expected a ${type}`);
      return undefined;
    }
    return node.value as string | boolean;
  };

  const id = scalarOf('id', 'string', true) as string | undefined;
  if (id !== undefined && !RULE_ID.test(id)) at(value('id'), 'id', 'must be lower-case letters, digits, - and _ (it names Kafka keys and job ids)');
  const pattern = scalarOf('pattern', 'string', true) as string | undefined;
  const description = (scalarOf('description', 'string', false) as string | undefined) ?? '';
  const enabled = (scalarOf('enabled', 'boolean', false) as boolean | undefined) ?? true;

  let severity: Severity = 'medium';
  const sev = scalarOf('severity', 'string', false) as string | undefined;
  if (sev !== undefined) {
    if ((SEVERITIES as readonly string[]).includes(sev)) severity = sev as Severity;
    else at(value('severity'), 'severity', `must be one of ${SEVERITIES.join(', ')}`);
  }

  const severityBy = parseSeverityBy(value('severity_by'), at);

  const params: Record<string, ParamValue> = {};
  const paramPositions: Record<string, { line: number; col: number }> = {};
  const paramsNode = value('params');
  if (paramsNode !== null) {
    if (!isMap(paramsNode)) at(paramsNode, 'params', 'expected a mapping of parameter names to values');
    else {
      for (const pair of paramsNode.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : '';
        const v = pair.value as Node | null;
        if (!isScalar(v) || !['number', 'string', 'boolean'].includes(typeof v.value)) {
          at(v ?? (pair.key as Node), `params.${name}`, 'expected a number, string, boolean or duration such as 30m');
          continue;
        }
        // YAML spells NaN and infinities `.nan` / `.inf`, and 1e400 overflows: no parameter means either.
        if (typeof v.value === 'number' && !Number.isFinite(v.value)) {
          at(v, `params.${name}`, `expected a finite number, got ${String(v.source ?? v.value)}`);
          continue;
        }
        params[name] = v.value as ParamValue;
        paramPositions[name] = posOf(pair.key as Node);
      }
    }
  }

  const routes = parseRoutes(value('routes'), at, posOf);
  const suppress = parseSuppress(value('suppress'), at);

  if (errors.length > 0 || id === undefined || pattern === undefined) return { rule: null, errors: sortErrors(errors) };
  return {
    rule: {
      id,
      file,
      pattern,
      description,
      enabled,
      severity,
      ...(severityBy === null ? {} : { severityBy }),
      params,
      routes: routes ?? [{ kind: 'kafka', topic: DEFAULT_ALERT_TOPIC }],
      suppress,
      paramPositions,
      patternPosition: posOf(value('pattern')),
    },
    errors,
  };
}

function parseRoutes(node: Node | null, at: Report, posOf: (node: Node | null) => { line: number; col: number }): Route[] | null {
  if (node === null) return null;
  if (!isSeq(node)) {
    at(node, 'routes', 'expected a list of routes, e.g. `- kafka: vigil.alerts` or `- webhook: { url: ..., secret: env:NAME }`');
    return null;
  }
  const routes: Route[] = [];
  node.items.forEach((item, i) => {
    const path = `routes[${i}]`;
    if (!isMap(item) || item.items.length !== 1) {
      at(item as Node, path, 'expected one of `kafka: <topic>` or `webhook: { url, secret: env:NAME }`');
      return;
    }
    const pair = item.items[0] as Pair;
    const kind = isScalar(pair.key) ? String(pair.key.value) : '';
    const v = pair.value as Node | null;
    if (kind === 'kafka') {
      if (isScalar(v) && typeof v.value === 'string' && /^[A-Za-z0-9._-]{1,249}$/.test(v.value)) routes.push({ kind: 'kafka', topic: v.value });
      else at(v ?? (pair.key as Node), `${path}.kafka`, 'expected a Kafka topic name (letters, digits, . _ -)');
    } else if (kind === 'webhook') {
      routes.push(...parseWebhook(v, `${path}.webhook`, at, posOf));
    } else {
      at(pair.key as Node, path, `unknown route '${kind}'; routes are kafka and webhook`);
    }
  });
  return routes;
}

/** A webhook's delivery options: their bounds keep one route from holding a process's sockets or Redis forever. */
const WEBHOOK_LIMITS = {
  concurrency: { min: 1, max: 64 },
  attempts: { min: 1, max: 50 },
  timeoutMs: { min: 100, max: 5 * 60_000 },
  backoffMs: { min: 10, max: 60 * 60_000 },
  breakerFailures: { min: 1, max: 1000 },
  breakerCooldownMs: { min: 100, max: 60 * 60_000 },
} as const;
const WEBHOOK_KEYS = ['url', 'secret', 'concurrency', 'timeout', 'attempts', 'backoff', 'breaker_failures', 'breaker_cooldown'] as const;

function parseWebhook(node: Node | null, path: string, at: Report, posOf: (node: Node | null) => { line: number; col: number }): Route[] {
  if (!isMap(node)) {
    at(node, path, 'expected a mapping with `url` and `secret` (and optional concurrency, timeout, attempts, backoff, breaker_failures, breaker_cooldown)');
    return [];
  }
  let url: string | null = null;
  let secret: string | null = null;
  const options: { concurrency?: number; timeoutMs?: number; attempts?: number; backoffMs?: number; breakerFailures?: number; breakerCooldownMs?: number } = {};
  let bad = false;
  const integer = (v: Node | null, key: 'concurrency' | 'attempts' | 'breakerFailures', name: string, keyNode: Node): void => {
    const { min, max } = WEBHOOK_LIMITS[key];
    if (isScalar(v) && typeof v.value === 'number' && Number.isInteger(v.value) && v.value >= min && v.value <= max) options[key] = v.value;
    else {
      at(v ?? keyNode, `${path}.${name}`, `expected a whole number from ${min} to ${max}`);
      bad = true;
    }
  };
  const duration = (v: Node | null, key: 'timeoutMs' | 'backoffMs' | 'breakerCooldownMs', name: string, keyNode: Node): void => {
    const { min, max } = WEBHOOK_LIMITS[key];
    const ms = isScalar(v) ? (typeof v.value === 'number' ? v.value : typeof v.value === 'string' ? parseDurationText(v.value) : null) : null;
    if (ms !== null && ms >= min && ms <= max) options[key] = ms;
    else {
      at(v ?? keyNode, `${path}.${name}`, `expected a duration from ${min}ms to ${max / 60_000}m, such as 10s`);
      bad = true;
    }
  };
  for (const pair of (node as YAMLMap).items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const keyNode = pair.key as Node;
    const v = pair.value as Node | null;
    const text = isScalar(v) && typeof v.value === 'string' ? v.value : null;
    if (key === 'url') {
      if (text !== null && /^https?:\/\/\S+$/.test(text)) url = text;
      else at(v ?? keyNode, `${path}.url`, 'expected an http(s) URL');
    } else if (key === 'secret') {
      if (text !== null && /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(text)) secret = text;
      else at(v ?? keyNode, `${path}.secret`, 'expected a reference such as env:VIGIL_WEBHOOK_SECRET, never the secret itself');
    } else if (key === 'concurrency' || key === 'attempts') integer(v, key, key, keyNode);
    else if (key === 'breaker_failures') integer(v, 'breakerFailures', key, keyNode);
    else if (key === 'timeout') duration(v, 'timeoutMs', 'timeout', keyNode);
    else if (key === 'backoff') duration(v, 'backoffMs', 'backoff', keyNode);
    else if (key === 'breaker_cooldown') duration(v, 'breakerCooldownMs', key, keyNode);
    else at(keyNode, `${path}.${key}`, `unknown key; a webhook has ${WEBHOOK_KEYS.join(', ')}`);
  }
  const has = (k: string): boolean => node.items.some((p) => isScalar(p.key) && p.key.value === k);
  // Every POST is signed, so a route without a secret could not be verified by its receiver.
  if (!has('url')) at(node, path, "missing required key 'url'");
  if (!has('secret')) at(node, path, "missing required key 'secret' (env:NAME: the environment variable that holds the signing secret)");
  if (url === null || secret === null || bad) return [];
  return [{ kind: 'webhook', url, secret, ...options, position: posOf(node) }];
}

function parseSeverityBy(node: Node | null, at: Report): SeverityBy | null {
  if (node === null) return null;
  if (!isMap(node)) {
    at(node, 'severity_by', 'expected a mapping with `field` and `values`, e.g. `{ field: level, values: { suspected: medium } }`');
    return null;
  }
  let field: string | null = null;
  let values: Record<string, Severity> | null = null;
  for (const pair of node.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const v = pair.value as Node | null;
    if (name === 'field') {
      if (isScalar(v) && typeof v.value === 'string' && v.value !== '') field = v.value;
      else at(v ?? (pair.key as Node), 'severity_by.field', 'expected a payload field name');
    } else if (name === 'values') {
      if (!isMap(v) || v.items.length === 0) {
        at(v ?? (pair.key as Node), 'severity_by.values', 'expected a mapping of payload values to severities');
        continue;
      }
      const out: Record<string, Severity> = {};
      for (const item of v.items) {
        const value = isScalar(item.key) ? String(item.key.value) : '';
        const sev = item.value as Node | null;
        if (isScalar(sev) && typeof sev.value === 'string' && (SEVERITIES as readonly string[]).includes(sev.value)) out[value] = sev.value as Severity;
        else at(sev ?? (item.key as Node), `severity_by.values.${value}`, `must be one of ${SEVERITIES.join(', ')}`);
      }
      values = out;
    } else {
      at(pair.key as Node, `severity_by.${name}`, 'unknown key; severity_by has field and values');
    }
  }
  if (field === null || values === null) {
    for (const k of ['field', 'values']) {
      if (!node.items.some((p) => isScalar(p.key) && p.key.value === k)) at(node, 'severity_by', `missing required key '${k}'`);
    }
    return null;
  }
  return { field, values };
}

function parseSuppress(node: Node | null, at: Report): Suppression | null {
  if (node === null) return null;
  if (!isMap(node)) {
    at(node, 'suppress', 'expected a mapping with `key` and `for`');
    return null;
  }
  let key: string[] | null = null;
  let forMs: number | null = null;
  for (const pair of node.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const v = pair.value as Node | null;
    if (name === 'key') {
      if (isScalar(v) && typeof v.value === 'string') key = [v.value];
      else if (isSeq(v) && v.items.length > 0 && v.items.every((x) => isScalar(x) && typeof x.value === 'string')) {
        key = v.items.map((x) => String((x as { value: unknown }).value));
      } else at(v ?? (pair.key as Node), 'suppress.key', 'expected a payload field name or a list of them');
    } else if (name === 'for') {
      const ms = isScalar(v) ? (typeof v.value === 'number' ? v.value : typeof v.value === 'string' ? parseDurationText(v.value) : null) : null;
      if (ms !== null && ms > 0 && Number.isFinite(ms)) forMs = ms;
      else at(v ?? (pair.key as Node), 'suppress.for', 'expected a positive duration such as 30m');
    } else {
      at(pair.key as Node, `suppress.${name}`, 'unknown key; suppress has key and for');
    }
  }
  if (key === null || forMs === null) {
    if (key === null && !node.items.some((p) => isScalar(p.key) && p.key.value === 'key')) at(node, 'suppress', "missing required key 'key'");
    if (forMs === null && !node.items.some((p) => isScalar(p.key) && p.key.value === 'for')) at(node, 'suppress', "missing required key 'for'");
    return null;
  }
  return { key, forMs };
}

/**
 * The webhook routes of the enabled rules, with their secrets read from the environment: what `vigil serve` delivers
 * to. A secret the environment lacks, or one that cannot sign, stops the service at startup with the rule file's
 * position, the rule and the variable, rather than turning every alert of the route into a dead letter.
 */
import type { Rule, WebhookRoute } from '../../dsl/index.js';
import { WEBHOOK_DEFAULTS, type WebhookRouteSpec } from '../../io/webhook/route.js';
import { secretProblem } from '../../io/webhook/signing.js';
import { UserError } from '../errors.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface WebhookRoutes {
  readonly specs: readonly WebhookRouteSpec[];
  /**
   * The route id of one of a rule's webhook routes (an object from `rule.routes`), by the rule's id, the route's place
   * among its webhook routes and its url, so a rule recompiled by a hot reload keeps its queue. undefined for a route
   * the service did not start with (its secret is read at start only).
   */
  readonly idOf: (rule: Rule, route: WebhookRoute) => string | undefined;
}

/** A rule's first webhook route is named after the rule; later ones `<rule>.2`, `<rule>.3` (rule ids have no dots). */
export function webhookRouteId(rule: string, ordinal: number): string {
  return ordinal === 1 ? rule : `${rule}.${ordinal}`;
}

export function webhookRoutes(rules: readonly Rule[], env: Environment): WebhookRoutes {
  const specs: WebhookRouteSpec[] = [];
  const urls = new Map<string, string>();
  const problems: string[] = [];
  for (const rule of rules) {
    let ordinal = 0;
    rule.routes.forEach((route, i) => {
      if (route.kind !== 'webhook') return;
      const id = webhookRouteId(rule.id, ++ordinal);
      const name = route.secret.replace(/^env:/, '');
      const where = `${rule.file}:${route.position?.line ?? 1}:${route.position?.col ?? 1}: rule ${rule.id}: routes[${i}].webhook.secret`;
      const secret = env[name];
      if (secret === undefined || secret === '') {
        problems.push(`${where}: environment variable ${name} is not set (the signing secret of ${route.url}: whsec_ and base64)`);
        return;
      }
      const problem = secretProblem(secret);
      if (problem !== null) {
        problems.push(`${where}: environment variable ${name} cannot sign: ${problem}`);
        return;
      }
      urls.set(id, route.url);
      specs.push({
        ...WEBHOOK_DEFAULTS,
        id,
        rule: rule.id,
        url: route.url,
        secret,
        ...(route.concurrency === undefined ? {} : { concurrency: route.concurrency }),
        ...(route.timeoutMs === undefined ? {} : { timeoutMs: route.timeoutMs }),
        ...(route.attempts === undefined ? {} : { attempts: route.attempts }),
        ...(route.backoffMs === undefined ? {} : { backoffMs: route.backoffMs }),
        ...(route.breakerFailures === undefined ? {} : { breakerFailures: route.breakerFailures }),
        ...(route.breakerCooldownMs === undefined ? {} : { breakerCooldownMs: route.breakerCooldownMs }),
        maxBackoffMs: Math.max(WEBHOOK_DEFAULTS.maxBackoffMs, route.backoffMs ?? 0),
      });
    });
  }
  if (problems.length > 0) throw new UserError(problems.join('\n'));
  const idOf = (rule: Rule, route: WebhookRoute): string | undefined => {
    let ordinal = 0;
    for (const r of rule.routes) {
      if (r.kind !== 'webhook') continue;
      ordinal++;
      if (r === route) break;
    }
    const id = webhookRouteId(rule.id, ordinal);
    return urls.get(id) === route.url ? id : undefined;
  };
  return { specs, idOf };
}

/** The service's webhook routes from rule files: ids, options over defaults, secrets from the environment. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { webhookRoutes } from '../../src/app/service/webhook-routes.js';
import type { Rule } from '../../src/dsl/index.js';
import { parseRuleFile } from '../../src/dsl/index.js';
import { WEBHOOK_DEFAULTS } from '../../src/io/webhook/route.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

function rule(source: string, file = 'rules/clone.yaml'): Rule {
  const { rule, errors } = parseRuleFile(source, file);
  if (rule === null) throw new Error(errors.map((e) => e.message).join('\n'));
  return rule;
}

const clone = rule(`id: cloned-plate
pattern: cloned_plate
routes:
  - kafka: vigil.alerts
  - webhook: { url: "https://ops.example/a", secret: env:OPS_A, attempts: 3, backoff: 2s }
  - webhook: { url: "https://ops.example/b", secret: env:OPS_B }
`);

describe('webhookRoutes', () => {
  it('names routes after their rule, applies the rule file options over the defaults, reads the secrets', () => {
    const { specs, idOf } = webhookRoutes([clone], { OPS_A: SECRET, OPS_B: SECRET });
    expect(specs.map((s) => s.id)).toEqual(['cloned-plate', 'cloned-plate.2']);
    expect(specs[0]).toEqual({
      ...WEBHOOK_DEFAULTS,
      id: 'cloned-plate',
      rule: 'cloned-plate',
      url: 'https://ops.example/a',
      secret: SECRET,
      attempts: 3,
      backoffMs: 2000,
    });
    expect(specs[1]).toMatchObject({ id: 'cloned-plate.2', url: 'https://ops.example/b', attempts: WEBHOOK_DEFAULTS.attempts });
    const hooks = clone.routes.filter((r) => r.kind === 'webhook');
    expect(hooks.map((r) => idOf(clone, r))).toEqual(['cloned-plate', 'cloned-plate.2']);
  });

  it('finds a route again in the rule recompiled by a hot reload, and not a route the service did not start with', () => {
    const { idOf } = webhookRoutes([clone], { OPS_A: SECRET, OPS_B: SECRET });
    const reloaded = rule(`id: cloned-plate
pattern: cloned_plate
severity: medium
routes:
  - webhook: { url: "https://ops.example/a", secret: env:OPS_A }
  - webhook: { url: "https://ops.example/c", secret: env:OPS_B }
`);
    const hooks = reloaded.routes.filter((r) => r.kind === 'webhook');
    expect(hooks.map((r) => idOf(reloaded, r))).toEqual(['cloned-plate', undefined]);
  });

  it('stops at startup when a secret is missing or cannot sign, naming the file, rule and variable', () => {
    expect(() => webhookRoutes([clone], { OPS_A: SECRET })).toThrow(
      'rules/clone.yaml:6:14: rule cloned-plate: routes[2].webhook.secret: environment variable OPS_B is not set (the signing secret of https://ops.example/b: whsec_ and base64)',
    );
    expect(() => webhookRoutes([clone], { OPS_A: 'hunter2', OPS_B: '' })).toThrow(
      /rules\/clone\.yaml:5:14: rule cloned-plate: routes\[1\]\.webhook\.secret: environment variable OPS_A cannot sign: expected whsec_[^\n]*\nrules\/clone\.yaml:6:14: [^\n]*OPS_B is not set/,
    );
  });
});

import { ExitCode } from '../io.js';
import { callService, DEFAULT_SERVICE_URL, ServiceRefusal, serviceCommand } from '../service-client.js';

const usage = `usage: vigil reload [--allow-non-restored-state] [--url ${DEFAULT_SERVICE_URL}]

Asks the running 'vigil serve' at --url (or VIGIL_URL) to read its --patterns and --rules folders again and
run the new rule set without a restart; every process of its group follows. A set with errors is refused
with the errors as 'vigil check' prints them (exit 1) and the service goes on with the running set. Rules in
both sets keep their state and partial matches where it still fits; --allow-non-restored-state lets a reload
drop the state of removed rules and reset state a changed rule no longer fits (without it such a reload is
refused). Prints the outcome as one JSON line (version, and kept/reset/dropped/added per rule).
The bearer token comes from VIGIL_TOKEN.
`;

interface ReloadAnswer {
  readonly from: string;
  readonly version: string;
  readonly durationMs: number;
  readonly unchanged: boolean;
  readonly rules: readonly { readonly id: string; readonly outcome: string }[];
}

export const run = serviceCommand(
  'reload',
  usage,
  [],
  async (values, target, io) => {
    const query = values['allow-non-restored-state'] === 'true' ? '?allowNonRestoredState=true' : '';
    let answer: ReloadAnswer;
    try {
      // A reload checkpoints every task of the process: give it time.
      answer = (await callService(target, { method: 'POST', path: `/api/rules/reload${query}`, timeoutMs: 300_000 })) as ReloadAnswer;
    } catch (error) {
      const errors = error instanceof ServiceRefusal ? (error.body as { errors?: { text?: unknown }[] }).errors : undefined;
      if (errors === undefined) throw error;
      // The set's errors as `vigil check` prints them.
      io.stderr(`${errors.map((e) => String(e.text)).join('\n')}\nvigil reload: refused; the service runs the set it ran\n`);
      return ExitCode.userError;
    }
    io.stdout(`${JSON.stringify(answer)}\n`);
    const summary = answer.unchanged
      ? `the folders hold the running set ${answer.version}: nothing to do`
      : `${answer.from} -> ${answer.version} in ${answer.durationMs.toFixed(0)} ms; ${answer.rules.map((r) => `${r.id} ${r.outcome}`).join(', ')}`;
    io.stderr(`vigil reload: ${summary}\n`);
    return ExitCode.ok;
  },
  ['allow-non-restored-state'],
);

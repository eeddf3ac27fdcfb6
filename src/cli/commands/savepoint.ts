import { ExitCode } from '../io.js';
import { callService, DEFAULT_SERVICE_URL, serviceCommand } from '../service-client.js';

const usage = `usage: vigil savepoint [--name NAME] [--url ${DEFAULT_SERVICE_URL}]

Asks the running 'vigil serve' at --url (or VIGIL_URL) to take a savepoint: every task's state and input
offsets, written into a new folder NAME (default savepoint-<UTC time>) under the service's --savepoint-dir and
kept until deleted. Prints the savepoint as one JSON line ({name, path, takenAt, tasks}); restore it with
'vigil serve --from-savepoint PATH'. The bearer token comes from VIGIL_TOKEN.
`;

export const run = serviceCommand('savepoint', usage, ['name'], async (values, target, io) => {
  // A savepoint flushes the sinks and writes the whole state: give it time.
  const body = values['name'] === undefined ? {} : { name: values['name'] };
  const taken = (await callService(target, { method: 'POST', path: '/api/savepoints', body, timeoutMs: 300_000 })) as { name: string; path: string };
  io.stdout(`${JSON.stringify(taken)}\n`);
  io.stderr(`vigil savepoint: ${taken.name} at ${taken.path}\n`);
  return ExitCode.ok;
});

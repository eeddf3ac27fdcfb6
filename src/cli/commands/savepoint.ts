import { parseArgs } from 'node:util';
import { type Command, ExitCode } from '../io.js';
import { HELP, withUsage } from '../flags.js';
import { DEFAULT_SERVICE_URL, againstService, callService, serviceTarget } from '../service-client.js';

const usage = `usage: vigil savepoint [--name NAME] [--url ${DEFAULT_SERVICE_URL}]

Asks the running 'vigil serve' at --url (or VIGIL_URL) to take a savepoint: every task's state and input
offsets, written into a new folder NAME (default savepoint-<UTC time>) under the service's --savepoint-dir and
kept until deleted. Prints the savepoint as one JSON line ({name, path, takenAt, tasks}); restore it with
'vigil serve --from-savepoint PATH'. The bearer token comes from VIGIL_TOKEN.
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({ args: [...args], options: { name: { type: 'string' }, url: { type: 'string' }, ...HELP }, allowPositionals: false, strict: true }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const target = serviceTarget(values.url, io.env);
  return againstService(io, 'savepoint', async () => {
    // A savepoint flushes the sinks and writes the whole state: give it time.
    const taken = (await callService(target, { method: 'POST', path: '/api/savepoints', body: values.name === undefined ? {} : { name: values.name }, timeoutMs: 300_000 })) as { name: string; path: string };
    io.stdout(`${JSON.stringify(taken)}\n`);
    io.stderr(`vigil savepoint: ${taken.name} at ${taken.path}\n`);
    return ExitCode.ok;
  });
};

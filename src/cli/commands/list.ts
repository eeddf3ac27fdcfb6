import { ExitCode } from '../io.js';
import { callService, DEFAULT_SERVICE_URL, serviceCommand } from '../service-client.js';

const usage = `usage: vigil list [--url ${DEFAULT_SERVICE_URL}]

Lists the savepoints of the running 'vigil serve' at --url (or VIGIL_URL): one JSON line per savepoint folder
under its --savepoint-dir, oldest first ({name, path, takenAt, tasks, files: [{name, bytes}]}). The bearer
token comes from VIGIL_TOKEN (not needed when the service runs with --public-read).
`;

export const run = serviceCommand('list', usage, [], async (_values, target, io) => {
  const { savepoints } = (await callService(target, { method: 'GET', path: '/api/savepoints' })) as { savepoints: unknown[] };
  for (const s of savepoints) io.stdout(`${JSON.stringify(s)}\n`);
  io.stderr(`vigil list: ${savepoints.length} savepoint(s)\n`);
  return ExitCode.ok;
});

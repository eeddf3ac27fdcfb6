/**
 * The savepoints under the server's savepoint directory, as the service left them: one folder per savepoint
 * holding the JSON files it wrote (a task's checkpoint each). Names are checked before any path is built.
 */
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

/** A savepoint's name: a plain folder name, never a path (no separators, no leading dot, so no `..`). */
export const SAVEPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSavepointName(name: string): boolean {
  return SAVEPOINT_NAME.test(name) && !name.includes('..');
}

/** A name from a clock reading: `savepoint-2026-03-02T08-00-00-000Z`. */
export function timestampName(ms: number): string {
  return `savepoint-${new Date(ms).toISOString().replace(/[:.]/g, '-')}`;
}

/** The folder of a savepoint; throws when the name is not a plain folder name. */
export function savepointPath(dir: string, name: string): string {
  if (!isSavepointName(name)) throw new Error(`not a savepoint name: ${JSON.stringify(name)}`);
  const root = resolve(dir);
  const path = resolve(root, name);
  if (!path.startsWith(root + sep)) throw new Error(`not a savepoint name: ${JSON.stringify(name)}`);
  return path;
}

export interface SavepointFile {
  readonly name: string;
  readonly bytes: number;
}

export interface SavepointFolder {
  readonly name: string;
  readonly path: string;
  /** Epoch ms: the latest `takenAt` its files record, else the folder's modification time. */
  readonly takenAt: number;
  /** The jobs (tasks) whose state it holds, as its files record them. */
  readonly tasks: readonly string[];
  readonly files: readonly SavepointFile[];
}

/** A checkpoint file starts with its version, job, id and takenAt: read its head, not the whole state. */
const HEAD_BYTES = 4096;

async function readHead(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await file.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}

function headFields(head: string): { job?: string; takenAt?: number } {
  const takenAt = /"takenAt"\s*:\s*(\d+)/.exec(head);
  const job = /"job"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(head);
  const out: { job?: string; takenAt?: number } = {};
  if (takenAt !== null) out.takenAt = Number(takenAt[1]);
  if (job !== null) {
    try {
      out.job = JSON.parse(job[1] as string) as string;
    } catch {
      // not a job name after all
    }
  }
  return out;
}

async function readFolder(dir: string, name: string): Promise<SavepointFolder | null> {
  const path = join(dir, name);
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isDirectory()) return null;
  const files: SavepointFile[] = [];
  const tasks = new Set<string>();
  let takenAt: number | undefined;
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
    const file = join(path, entry.name);
    const size = await stat(file).catch(() => null);
    if (size === null) continue;
    files.push({ name: entry.name, bytes: size.size });
    const fields = headFields(await readHead(file).catch(() => ''));
    if (fields.job !== undefined) tasks.add(fields.job);
    if (fields.takenAt !== undefined) takenAt = Math.max(takenAt ?? 0, fields.takenAt);
  }
  return { name, path, takenAt: takenAt ?? Math.round(info.mtimeMs), tasks: [...tasks].sort(), files };
}

/** Every savepoint folder under `dir` (none when it does not exist yet), oldest first. */
export async function listSavepoints(dir: string): Promise<SavepointFolder[]> {
  const root = resolve(dir);
  const entries = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const out: SavepointFolder[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !isSavepointName(entry.name)) continue;
    const folder = await readFolder(root, entry.name);
    if (folder !== null) out.push(folder);
  }
  return out.sort((a, b) => a.takenAt - b.takenAt || a.name.localeCompare(b.name));
}

export async function savepointExists(dir: string, name: string): Promise<boolean> {
  return (await stat(savepointPath(dir, name)).catch(() => null)) !== null;
}

/** Deletes a savepoint folder; false when there was none. */
export async function deleteSavepoint(dir: string, name: string): Promise<boolean> {
  const path = savepointPath(dir, name);
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isDirectory()) return false;
  await rm(path, { recursive: true, force: true });
  return true;
}

/**
 * What the outage tests stop and start: a private Kafka broker (services/kafka/start.sh on a port of its own, data in
 * a temp folder) and a private Redis with AOF persistence, never the shared ones on 9092 and 6379, which other test
 * files and people use. Also the reference alerts `vigil run` gives on the same input.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraffic } from '../../src/app/index.js';
import { REPO, until } from '../serve/harness.js';

/** True when nothing listens on 127.0.0.1:port (we could bind it just now). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A random free port in 19100-19999 whose `span - 1` successors are free too (a broker wants its controller port). */
export async function freePorts(span = 1): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 19100 + Math.floor(Math.random() * (900 - span));
    let free = true;
    for (let k = 0; k < span && free; k++) free = await portFree(port + k);
    if (free) return port;
  }
  throw new Error('no free port in 19100-19999');
}

/** Runs a bash script of the repository with extra environment; rejects with its output when it fails. */
function script(relative: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REPO, relative)], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('error', reject);
    // 'close' waits for the pipes: start.sh detaches the broker from them (setsid, its own log file).
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`bash ${relative} failed (${code}):\n${out}`))));
  });
}

/**
 * A single-node broker of this test alone, started and stopped with the repository's scripts (the jars come from
 * services/kafka/lib, fetched there by start.sh on first use). Its data outlives stop(): a restart keeps the topics.
 */
export class PrivateKafka {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'vigil-outage-kafka-'));
  port = 0;
  private env: Record<string, string> = {};

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<string> {
    if (this.port === 0) {
      this.port = await freePorts(2);
      this.env = {
        KAFKA_PORT: String(this.port),
        KAFKA_CONTROLLER_PORT: String(this.port + 1),
        KAFKA_DATA_DIR: this.dataDir,
        KAFKA_HEAP_OPTS: '-Xmx384m -Xms128m',
      };
    }
    return script('services/kafka/start.sh', this.env);
  }

  async stop(): Promise<string> {
    if (this.port === 0) return '';
    return script('services/kafka/stop.sh', this.env);
  }

  /** Stops it if it runs and deletes its data. */
  async remove(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * A redis-server of this test alone, in the foreground as our child, persisting to a temp folder with an
 * append-only file (fsync every second, Redis' default): what a production Redis that holds checkpoints, first_seen
 * and webhook jobs is expected to run with. stop() is a clean shutdown (SIGTERM), which writes the file out; start()
 * again on the same port reloads it.
 */
export class PrivateRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'vigil-outage-redis-'));
  port = 0;
  private child: ChildProcess | undefined;
  private log = '';

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePorts(1);
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--protected-mode',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.log += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (this.log += d.toString('utf8')));
    await until('the private Redis to accept connections', () => /Ready to accept connections/.test(this.log) || child.exitCode !== null, 20_000, 50);
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${this.log}`);
  }

  /** A clean shutdown, as `systemctl stop redis` does; resolves once the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    this.log = '';
  }

  async remove(): Promise<void> {
    this.child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The alerts `vigil run` gives on `lines` (shipped rules, Redis-less first_seen), by id, each its NDJSON line. */
export async function referenceAlerts(lines: readonly string[]): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-outage-ref-'));
  try {
    const input = join(dir, 'traffic.ndjson');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const out = join(dir, 'alerts.ndjson');
    await runTraffic({ cwd: REPO, input, out }, { stdout: () => {}, stderr: () => {} });
    const byId = new Map<string, string>();
    for (const l of readFileSync(out, 'utf8').split('\n')) if (l.length > 0) byId.set((JSON.parse(l) as { id: string }).id, l);
    return byId;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ids of `expected` missing from `got`, and those in `got` that `expected` lacks, for failure messages. */
export function difference(expected: ReadonlySet<string>, got: ReadonlySet<string>): { missing: string[]; extra: string[] } {
  return { missing: [...expected].filter((id) => !got.has(id)), extra: [...got].filter((id) => !expected.has(id)) };
}

/** The service's own log lines (kafkajs' retry chatter left out), the last `n`, for failure messages. */
export function serviceLog(stderr: string, n = 60): string {
  return stderr
    .split('\n')
    .filter((l) => !l.startsWith('warn kafka') && !l.includes('restored checkpoint'))
    .slice(-n)
    .join('\n');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

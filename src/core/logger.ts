/** Structured logging seam: the CLI writes to stderr, tests capture. */
export interface Logger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export const silentLogger: Logger = { warn: () => {}, info: () => {} };

export function stderrLogger(write: (text: string) => void): Logger {
  const line = (level: string, message: string, fields?: Readonly<Record<string, unknown>>): void =>
    write(`${level} ${message}${fields === undefined ? '' : ' ' + JSON.stringify(fields)}\n`);
  return { warn: (m, f) => line('warn', m, f), info: (m, f) => line('info', m, f) };
}

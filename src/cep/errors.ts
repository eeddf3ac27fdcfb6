/** Thrown when a pattern cannot be built or compiled (Flink's MalformedPatternException). */
export class MalformedPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedPatternError';
  }
}

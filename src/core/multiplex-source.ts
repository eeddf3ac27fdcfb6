import type { PollResult, Source, SourcePositions } from './source.js';

/**
 * Several sources read as one (a job over several inputs runs one task): their partitions are renumbered
 * 0..n-1 in input order, positions are kept per input under `<input>/<key>`. Polls take the inputs in turn, so
 * none starves another; an idle input is skipped, the whole is idle when every input still open is.
 *
 * `current` is the input whose batch was returned last: a task parses a batch completely before it polls again,
 * so a deserializer (and an event-time extractor) may read it to know which input a record came from.
 */
export class MultiplexSource<R> implements Source<R> {
  readonly name: string;
  private readonly globalIds: Map<number, number>[] = [];
  private readonly owners: { input: number; partition: number }[] = [];
  private readonly ended: boolean[];
  private next = 0;
  private last = 0;

  constructor(private readonly inputs: readonly Source<R>[]) {
    if (inputs.length === 0) throw new RangeError('a MultiplexSource needs at least one input');
    this.name = inputs.map((s) => s.name).join('+');
    inputs.forEach((s, input) => {
      const ids = new Map<number, number>();
      for (const partition of s.partitions()) {
        ids.set(partition, this.owners.length);
        this.owners.push({ input, partition });
      }
      this.globalIds.push(ids);
    });
    this.ended = inputs.map(() => false);
  }

  /** The index of the input the last batch came from. */
  get current(): number {
    return this.last;
  }

  /** The input a (renumbered) partition belongs to. */
  inputOf(partition: number): number {
    const owner = this.owners[partition];
    if (owner === undefined) throw new RangeError(`no partition ${partition}`);
    return owner.input;
  }

  partitions(): readonly number[] {
    return this.owners.map((_, i) => i);
  }

  async poll(): Promise<PollResult<R>> {
    const n = this.inputs.length;
    for (let tried = 0; tried < n; tried++) {
      const input = this.next;
      this.next = (this.next + 1) % n;
      if (this.ended[input] === true) continue;
      const polled = await (this.inputs[input] as Source<R>).poll();
      if (polled === 'end') {
        this.ended[input] = true;
        continue;
      }
      if (polled === 'idle') continue;
      this.last = input;
      return { ...polled, partition: this.globalId(input, polled.partition) };
    }
    return this.ended.every((e) => e) ? 'end' : 'idle';
  }

  private globalId(input: number, partition: number): number {
    const ids = this.globalIds[input] as Map<number, number>;
    let id = ids.get(partition);
    if (id === undefined) {
      // A partition the input did not list up front (it grew): numbered after all others.
      id = this.owners.length;
      ids.set(partition, id);
      this.owners.push({ input, partition });
    }
    return id;
  }

  positions(): SourcePositions {
    const out: Record<string, number> = {};
    this.inputs.forEach((s, i) => {
      for (const [key, offset] of Object.entries(s.positions())) out[`${i}/${key}`] = offset;
    });
    return out;
  }

  async seek(positions: SourcePositions): Promise<void> {
    const per: Record<string, number>[] = this.inputs.map(() => ({}));
    for (const [key, offset] of Object.entries(positions)) {
      const slash = key.indexOf('/');
      const own = per[Number(key.slice(0, slash))];
      if (slash > 0 && own !== undefined) own[key.slice(slash + 1)] = offset;
    }
    await Promise.all(this.inputs.map((s, i) => s.seek(per[i] as Record<string, number>)));
  }

  async close(): Promise<void> {
    await Promise.all(this.inputs.map((s) => s.close()));
  }
}

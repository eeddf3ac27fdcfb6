import type { PollResult, Source, SourcePositions } from '../../core/index.js';
import type { KafkaSource } from '../../io/kafka/kafka-source.js';

/**
 * A task's view of the service's Kafka source: message values as byte lines, the job's input format. The
 * service owns the consumer, which outlives the tasks it feeds (a task is rebuilt when the assignment changes),
 * so closing the view leaves the consumer open.
 */
export class KafkaLines implements Source<string> {
  readonly name: string;

  constructor(private readonly source: KafkaSource) {
    this.name = source.name;
  }

  partitions(): readonly number[] {
    return this.source.partitions();
  }

  async poll(): Promise<PollResult<string>> {
    const polled = await this.source.poll();
    if (typeof polled === 'string') return polled;
    const records = polled.records;
    const values = new Array<string>(records.length);
    for (let i = 0; i < records.length; i++) values[i] = (records[i] as (typeof records)[number]).value;
    return { partition: polled.partition, records: values, firstOffset: polled.firstOffset, endOfPartition: false };
  }

  positions(): SourcePositions {
    return this.source.positions();
  }

  seek(positions: SourcePositions): Promise<void> {
    return this.source.seek(positions);
  }

  async close(): Promise<void> {}
}

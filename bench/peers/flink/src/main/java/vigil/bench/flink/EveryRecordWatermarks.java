package vigil.bench.flink;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * A bounded-out-of-orderness watermark (max event time seen - bound - 1) emitted as soon as it advances, after the
 * record that advanced it, as Vigil advances its watermark. Flink's own strategy emits it periodically (every 200 ms
 * of processing time), so which records it finds late depends on how fast the job runs; this one makes lateness a
 * function of the input alone, for comparing outputs. It costs a watermark per advancing record.
 */
public final class EveryRecordWatermarks implements WatermarkGenerator<Sighting> {
  private final long boundMs;
  private long maxTs = Long.MIN_VALUE;

  public EveryRecordWatermarks(long boundMs) {
    this.boundMs = boundMs;
  }

  @Override
  public void onEvent(Sighting s, long eventTimestamp, WatermarkOutput output) {
    if (eventTimestamp > maxTs) {
      maxTs = eventTimestamp;
      output.emitWatermark(new Watermark(maxTs - boundMs - 1));
    }
  }

  @Override
  public void onPeriodicEmit(WatermarkOutput output) {}
}

package vigil.bench.flink;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.cep.CEP;
import org.apache.flink.cep.functions.PatternProcessFunction;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.cep.pattern.conditions.IterativeCondition;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * The Flink CEP peer of `npm run bench:peers`: the same work as bench/peers/vigil/peers.pattern, over the same NDJSON
 * file, in a local MiniCluster (heap state, object reuse, a bounded-out-of-orderness watermark).
 *
 * <pre>
 * java -jar target/vigil-flink-peer.jar --input FILE --registry fixtures/checkpoints.json --out DIR
 *      [--work hop,impossible,flow] [--parallelism 1] [--bound-ms 300000] [--watermarks periodic|every-record]
 * </pre>
 *
 * Parts of the work (each writes DIR/PART-SUBTASK.csv):
 * <ul>
 *   <li>hop: per vehicle (plate, colour), `a next b within 10m` with b at another checkpoint than a; lines
 *       from-id,to-id.
 *   <li>impossible: per vehicle, `a followed by b within 30m` where b is at least 3 km from a and the distance over the
 *       time between (widened by 2 minutes of camera clock skew) implies more than 150 km/h; lines from-id,to-id.
 *   <li>flow: per checkpoint, a 1-minute tumbling event-time count of every capture; lines checkpoint,window_start,count.
 * </ul>
 * The hop and impossible parts read captures with a readable plate only (Vigil's `plates` stream); flow reads all.
 * Prints one JSON line on stdout at the end: the job's net runtime and the peak heap in use (sampled every 20 ms).
 */
public final class PeerBench {
  static final long HOP_WITHIN_MS = 10 * 60_000L;
  static final long IMPOSSIBLE_WITHIN_MS = 30 * 60_000L;
  static final double MAX_SPEED_KMH = 150;
  static final double MIN_KM = 3;
  static final long MAX_SKEW_MS = 2 * 60_000L;

  private PeerBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> flags = Flags.parse(args);
    String input = Flags.required(flags, "input");
    String registryPath = Flags.required(flags, "registry");
    String out = Flags.required(flags, "out");
    List<String> work = List.of(flags.getOrDefault("work", "hop,impossible,flow").split(","));
    int parallelism = Integer.parseInt(flags.getOrDefault("parallelism", "1"));
    long boundMs = Long.parseLong(flags.getOrDefault("bound-ms", "300000"));
    String watermarks = flags.getOrDefault("watermarks", "periodic");
    if (!watermarks.equals("periodic") && !watermarks.equals("every-record")) throw new IllegalArgumentException("--watermarks: periodic or every-record");
    for (String part : work) {
      if (!List.of("hop", "impossible", "flow").contains(part)) throw new IllegalArgumentException("unknown --work part: " + part);
    }
    Files.createDirectories(Path.of(out));
    Registry registry = Registry.load(registryPath);

    HeapSampler heap = new HeapSampler();
    heap.start();

    Configuration conf = new Configuration();
    conf.setString("state.backend.type", "hashmap");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
    env.setRuntimeMode(RuntimeExecutionMode.STREAMING);
    env.getConfig().enableObjectReuse();

    // One reader (a text file is one split); with parallelism 2 the lines are dealt round-robin to two parsers, each
    // of which assigns timestamps and watermarks (the downstream watermark is the smaller of the two).
    FileSource<String> source = FileSource.forRecordStreamFormat(new TextLineInputFormat(), new org.apache.flink.core.fs.Path(input)).build();
    DataStream<String> lines = env.fromSource(source, WatermarkStrategy.noWatermarks(), "ndjson").setParallelism(1);
    if (parallelism > 1) lines = lines.rebalance();
    // Every consumer of the parsed records is behind a keyBy (serialised there), so the parser may reuse one object.
    DataStream<Sighting> sightings = lines
        .flatMap(new ParseSighting(registry, true))
        .name("parse")
        .assignTimestampsAndWatermarks(
            (watermarks.equals("periodic")
                    ? WatermarkStrategy.<Sighting>forBoundedOutOfOrderness(Duration.ofMillis(boundMs))
                    : WatermarkStrategy.<Sighting>forGenerator(ctx -> new EveryRecordWatermarks(boundMs)))
                .withTimestampAssigner((s, previous) -> s.ts))
        .name("watermarks");
    DataStream<Sighting> plates = sightings.filter(s -> s.plateReadable).name("plates");

    if (work.contains("hop")) {
      CEP.pattern(plates.keyBy(s -> s.vehicle), hopPattern())
          .process(new PairIds())
          .name("hop")
          .sinkTo(new LineFileSink(out, "hop"))
          .name("hop-out");
    }
    if (work.contains("impossible")) {
      CEP.pattern(plates.keyBy(s -> s.vehicle), impossiblePattern(registry))
          .process(new PairIds())
          .name("impossible")
          .sinkTo(new LineFileSink(out, "impossible"))
          .name("impossible-out");
    }
    if (work.contains("flow")) {
      sightings
          .keyBy(s -> s.checkpoint)
          .window(TumblingEventTimeWindows.of(Duration.ofMinutes(1)))
          .aggregate(new Count(), new CountLine())
          .name("flow")
          .sinkTo(new LineFileSink(out, "flow"))
          .name("flow-out");
    }

    JobExecutionResult result = env.execute("vigil-peer " + String.join(",", work) + " p" + parallelism);
    heap.stop();
    System.out.println("{\"engine\":\"flink\",\"work\":\"" + String.join(",", work) + "\",\"parallelism\":" + parallelism
        + ",\"job_ms\":" + result.getNetRuntime() + ",\"heap_peak_bytes\":" + heap.peak() + ",\"heap_max_bytes\":"
        + Runtime.getRuntime().maxMemory() + "}");
    System.exit(0);
  }

  /** a next b within 10m: consecutive sightings of one vehicle at two checkpoints. */
  static Pattern<Sighting, Sighting> hopPattern() {
    return Pattern.<Sighting>begin("a")
        .next("b")
        .where(new IterativeCondition<Sighting>() {
          private static final long serialVersionUID = 1L;

          @Override
          public boolean filter(Sighting b, Context<Sighting> ctx) throws Exception {
            Sighting a = ctx.getEventsForPattern("a").iterator().next();
            return !b.checkpoint.equals(a.checkpoint);
          }
        })
        .within(Duration.ofMillis(HOP_WITHIN_MS));
  }

  /** a followed by b within 30m, b too far from a for the time between at 150 km/h (after 2 minutes of clock skew). */
  static Pattern<Sighting, Sighting> impossiblePattern(Registry registry) {
    return Pattern.<Sighting>begin("a")
        .followedBy("b")
        .where(new IterativeCondition<Sighting>() {
          private static final long serialVersionUID = 1L;

          @Override
          public boolean filter(Sighting b, Context<Sighting> ctx) throws Exception {
            Sighting a = ctx.getEventsForPattern("a").iterator().next();
            double km = registry.distanceKm(a.cp, b.cp);
            if (km < MIN_KM) return false;
            double hours = (Math.abs(b.ts - a.ts) + MAX_SKEW_MS) / 3_600_000.0;
            return km / hours > MAX_SPEED_KMH;
          }
        })
        .within(Duration.ofMillis(IMPOSSIBLE_WITHIN_MS));
  }

  /** A match of a and b as a.id,b.id. */
  static final class PairIds extends PatternProcessFunction<Sighting, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public void processMatch(Map<String, List<Sighting>> match, Context ctx, Collector<String> out) {
      out.collect(match.get("a").get(0).id + "," + match.get("b").get(0).id);
    }
  }

  static final class Count implements AggregateFunction<Sighting, long[], Long> {
    private static final long serialVersionUID = 1L;

    @Override
    public long[] createAccumulator() {
      return new long[1];
    }

    @Override
    public long[] add(Sighting s, long[] acc) {
      acc[0]++;
      return acc;
    }

    @Override
    public Long getResult(long[] acc) {
      return acc[0];
    }

    @Override
    public long[] merge(long[] a, long[] b) {
      a[0] += b[0];
      return a;
    }
  }

  static final class CountLine extends ProcessWindowFunction<Long, String, String, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(String checkpoint, Context ctx, Iterable<Long> counts, Collector<String> out) {
      out.collect(checkpoint + "," + ctx.window().getStart() + "," + counts.iterator().next());
    }
  }

  /** The highest heap in use seen, sampled every 20 ms by a daemon thread (a sum of pool peaks would overstate it). */
  static final class HeapSampler {
    private volatile boolean running = true;
    private volatile long peak;
    private final List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP)
        .toList();
    private final Thread thread = new Thread(this::loop, "heap-sampler");

    void start() {
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
      sample();
    }

    long peak() {
      return peak;
    }

    private void loop() {
      while (running) {
        sample();
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private void sample() {
      long used = 0;
      for (MemoryPoolMXBean p : pools) used += p.getUsage().getUsed();
      if (used > peak) peak = used;
    }
  }

  /** --name value flags. */
  static final class Flags {
    private Flags() {}

    static Map<String, String> parse(String[] args) {
      Map<String, String> flags = new java.util.HashMap<>();
      for (int i = 0; i < args.length; i++) {
        if (!args[i].startsWith("--") || i + 1 >= args.length) throw new IllegalArgumentException("expected --name value, got " + args[i]);
        flags.put(args[i].substring(2), args[++i]);
      }
      return flags;
    }

    static String required(Map<String, String> flags, String name) {
      String v = flags.get(name);
      if (v == null) throw new IllegalArgumentException("--" + name + " is required");
      return v;
    }
  }

}

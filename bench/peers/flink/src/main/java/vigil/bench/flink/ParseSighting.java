package vigil.bench.flink;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * An NDJSON line to a Sighting, with the checks and normalisation of Vigil's traffic schema that the bench's work
 * depends on: a known checkpoint, a numeric ts (epoch ms), the plate normalised and marked unreadable when the camera
 * read none. Lines that fail are dropped and counted (the generated file has none). Jackson's streaming parser reads
 * only the fields the work uses.
 */
public final class ParseSighting extends RichFlatMapFunction<String, Sighting> {
  private static final long serialVersionUID = 1L;

  private final Registry registry;
  private transient JsonFactory json;
  private transient Sighting reused;
  private final boolean reuse;

  /** reuse: emit one Sighting object over and over (only safe when every downstream operator copies what it keeps). */
  public ParseSighting(Registry registry, boolean reuse) {
    this.registry = registry;
    this.reuse = reuse;
  }

  @Override
  public void open(OpenContext openContext) {
    json = new JsonFactory();
    reused = new Sighting();
  }

  @Override
  public void flatMap(String line, Collector<Sighting> out) throws IOException {
    if (line.isEmpty()) return;
    Sighting s = reuse ? reused : new Sighting();
    s.id = null;
    s.plate = "";
    s.plateColor = "";
    s.checkpoint = null;
    s.ts = Long.MIN_VALUE;
    s.speed = 0;
    try (JsonParser p = json.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        switch (name) {
          case "id" -> s.id = p.getValueAsString();
          case "plate" -> s.plate = t == JsonToken.VALUE_STRING ? p.getText() : "";
          case "plate_color" -> s.plateColor = t == JsonToken.VALUE_STRING ? p.getText() : "";
          case "checkpoint" -> s.checkpoint = t == JsonToken.VALUE_STRING ? p.getText() : null;
          case "ts" -> s.ts = t == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : Long.MIN_VALUE;
          case "speed" -> s.speed = t.isNumeric() ? p.getDoubleValue() : 0;
          default -> p.skipChildren();
        }
      }
    } catch (IOException bad) {
      return;
    }
    if (s.checkpoint == null || s.ts == Long.MIN_VALUE) return;
    s.cp = registry.indexOf(s.checkpoint);
    if (s.cp < 0) return;
    s.plate = Plates.normalize(s.plate);
    s.plateReadable = !Plates.unreadable(s.plate);
    s.vehicle = s.plate + "|" + s.plateColor;
    out.collect(s);
  }
}

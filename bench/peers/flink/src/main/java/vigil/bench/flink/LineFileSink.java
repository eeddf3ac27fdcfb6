package vigil.bench.flink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;

/** Writes each string as a line to DIR/NAME-SUBTASK.csv: one file per parallel subtask, merged by the bench script. */
public final class LineFileSink implements Sink<String> {
  private static final long serialVersionUID = 1L;
  private final String dir;
  private final String name;

  public LineFileSink(String dir, String name) {
    this.dir = dir;
    this.name = name;
  }

  @Override
  @SuppressWarnings("deprecation")
  public SinkWriter<String> createWriter(InitContext context) throws IOException {
    Path file = Path.of(dir, name + "-" + context.getTaskInfo().getIndexOfThisSubtask() + ".csv");
    BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    return new SinkWriter<>() {
      @Override
      public void write(String line, Context ctx) throws IOException {
        out.write(line);
        out.write('\n');
      }

      @Override
      public void flush(boolean endOfInput) throws IOException {
        out.flush();
      }

      @Override
      public void close() throws IOException {
        out.close();
      }
    };
  }
}

package vigil.bench.flink;

/**
 * One camera capture, as much of it as the bench's work reads. A Flink POJO (public fields, no-arg constructor), so
 * Flink serialises it with its POJO serializer rather than Kryo.
 */
public class Sighting {
  public String id;
  /** Normalised plate (half-width, no separators, upper case), as Vigil's traffic schema normalises it. */
  public String plate;
  public String plateColor;
  /** plate + "|" + colour: the vehicle key (Vigil keys by plate, plate_color). */
  public String vehicle;
  public boolean plateReadable;
  public String checkpoint;
  /** The checkpoint's index in the registry (for distances). */
  public int cp;
  public long ts;
  public double speed;

  public Sighting() {}
}

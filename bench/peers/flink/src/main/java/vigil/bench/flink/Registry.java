package vigil.bench.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * The checkpoint registry (fixtures/checkpoints.json): ids and coordinates, and the great-circle distance between two
 * checkpoints in km, precomputed for every pair (a few hundred checkpoints: a small table). Vigil's distance_km uses
 * the haversine formula on a sphere of the mean Earth radius; so does this.
 */
public final class Registry implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final double EARTH_RADIUS_KM = 6371.0088;

  private final Map<String, Integer> index = new HashMap<>();
  private final double[] distances;
  private final int size;

  private Registry(String[] ids, double[] lat, double[] lon) {
    size = ids.length;
    for (int i = 0; i < size; i++) index.put(ids[i], i);
    distances = new double[size * size];
    for (int i = 0; i < size; i++) {
      for (int j = 0; j < size; j++) distances[i * size + j] = haversineKm(lat[i], lon[i], lat[j], lon[j]);
    }
  }

  public static Registry load(String path) throws IOException {
    JsonNode root = new ObjectMapper().readTree(new File(path));
    JsonNode list = root.isArray() ? root : root.path("checkpoints");
    if (!list.isArray() || list.size() == 0) throw new IOException(path + ": no checkpoints (expected a JSON array)");
    String[] ids = new String[list.size()];
    double[] lat = new double[ids.length];
    double[] lon = new double[ids.length];
    for (int i = 0; i < ids.length; i++) {
      JsonNode c = list.get(i);
      ids[i] = c.path("id").asText();
      lat[i] = c.path("lat").asDouble(Double.NaN);
      lon[i] = c.path("lon").asDouble(Double.NaN);
    }
    return new Registry(ids, lat, lon);
  }

  /** The checkpoint's index, -1 when the registry does not know it. */
  public int indexOf(String id) {
    Integer i = index.get(id);
    return i == null ? -1 : i;
  }

  public double distanceKm(int from, int to) {
    return distances[from * size + to];
  }

  static double haversineKm(double lat1, double lon1, double lat2, double lon2) {
    double rad = Math.PI / 180;
    double s1 = Math.sin((lat2 - lat1) * rad / 2);
    double s2 = Math.sin((lon2 - lon1) * rad / 2);
    double h = s1 * s1 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * s2 * s2;
    return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
  }
}

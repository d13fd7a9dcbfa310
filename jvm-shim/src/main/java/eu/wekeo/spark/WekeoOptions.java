package eu.wekeo.spark;

import java.io.Serializable;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The options of {@code spark.read.format("wekeo")}, validated once on the driver. */
public final class WekeoOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String DEFAULT_ENDPOINT = "grpc://localhost:8815";

  public final String endpoint;
  public final String dataset;
  public final List<String> variables;
  /** west, south, east, north; null when not given. */
  public final double[] bbox;
  public final String start;
  public final String end;

  private WekeoOptions(String endpoint, String dataset, List<String> variables, double[] bbox, String start, String end) {
    this.endpoint = endpoint;
    this.dataset = dataset;
    this.variables = variables;
    this.bbox = bbox;
    this.start = start;
    this.end = end;
  }

  public static WekeoOptions parse(Map<String, String> options) {
    String endpoint = get(options, "endpoint", DEFAULT_ENDPOINT);
    try {
      URI uri = new URI(endpoint);
      if (!"grpc".equals(uri.getScheme()) && !"grpc+tcp".equals(uri.getScheme())) {
        throw new IllegalArgumentException("option endpoint must be grpc://host:port, got " + endpoint);
      }
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("option endpoint is not a URI: " + endpoint, e);
    }
    String dataset = get(options, "dataset", null);
    if (dataset == null || dataset.isBlank()) {
      throw new IllegalArgumentException("option \"dataset\" is required, e.g. .option(\"dataset\", \"cmems-currents\")");
    }
    List<String> variables = new ArrayList<>();
    String vars = get(options, "variables", null);
    if (vars != null) {
      for (String v : vars.split(",")) if (!v.isBlank()) variables.add(v.trim());
    }
    double[] bbox = null;
    String b = get(options, "bbox", null);
    if (b != null) {
      String[] parts = b.split(",");
      if (parts.length != 4) throw new IllegalArgumentException("option bbox must be \"west,south,east,north\", got " + b);
      bbox = Arrays.stream(parts).mapToDouble(s -> Double.parseDouble(s.trim())).toArray();
    }
    return new WekeoOptions(endpoint, dataset, variables, bbox, get(options, "start", null), get(options, "end", null));
  }

  private static String get(Map<String, String> options, String key, String dflt) {
    // Spark passes a case-insensitive map; plain maps from tests may use any case.
    for (Map.Entry<String, String> e : options.entrySet()) if (e.getKey().equalsIgnoreCase(key)) return e.getValue();
    return dflt;
  }
}

package eu.wekeo.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.SparkSession;

/**
 * The options of {@code spark.read.format("wekeo")} (and of the catalog), validated once on the
 * driver. Each option may also come from the Spark conf as {@code spark.wekeo.<option>}; an
 * explicit option wins. A misspelt option is an error listing the valid ones: silently ignoring
 * {@code bbx} would scan the whole dataset.
 */
public final class WekeoOptions implements Serializable {
  private static final long serialVersionUID = 4L;

  public static final String DEFAULT_ENDPOINT = "grpc://localhost:8815";
  public static final String CONF_PREFIX = "spark.wekeo.";

  /** Every option the source understands, in the order the README documents them. */
  public static final List<String> KNOWN = List.of(
      "endpoint", "dataset", "group", "variables", "bbox", "start", "end", "layout", "tile", "filters", "token", "tlsRootCerts", "pushDownAggregate");

  /**
   * Keys Spark itself adds to a table's options (DataFrameReader path(s), CREATE TABLE's location
   * and table properties); they are not the user's and are ignored.
   */
  static final Set<String> SPARK_KEYS = Set.of("path", "paths", "provider", "location", "owner", "comment", "external",
      "is_managed_location", "serialization.format");

  public final String endpoint;
  public final String dataset;
  /** One variable group of the dataset (an id from ListFlights PATH [dataset, group]); null = every group. */
  public final String group;
  public final List<String> variables;
  /** west, south, east, north; null when not given. */
  public final double[] bbox;
  public final String start;
  public final String end;
  /** "points" (default) or "tiles". */
  public final String layout;
  /** Chip [height, width] for the tiles layout; null = the bridge's default. */
  public final int[] tile;
  /** HDA dataset-specific search keys; empty when not given. */
  public final Map<String, String> filters;
  /** Bearer token sent as `authorization: Bearer <token>`; null = none. */
  public final String token;
  /** PEM bytes of the CA/server certificate trusted for grpc+tls:// (read on the driver); null = system trust. */
  public final byte[] tlsRootCerts;
  /** COUNT(*) answered from the bridge's exact planned row count (named like Spark's JDBC option); default true. */
  public final boolean pushDownAggregate;

  private WekeoOptions(Builder b) {
    this.endpoint = b.endpoint;
    this.dataset = b.dataset;
    this.group = b.group;
    this.variables = b.variables;
    this.bbox = b.bbox;
    this.start = b.start;
    this.end = b.end;
    this.layout = b.layout;
    this.tile = b.tile;
    this.filters = b.filters;
    this.token = b.token;
    this.tlsRootCerts = b.tlsRootCerts;
    this.pushDownAggregate = b.pushDownAggregate;
  }

  private static final class Builder {
    String endpoint;
    String dataset;
    String group;
    List<String> variables = new ArrayList<>();
    double[] bbox;
    String start;
    String end;
    String layout = "points";
    int[] tile;
    Map<String, String> filters = new LinkedHashMap<>();
    String token;
    byte[] tlsRootCerts;
    boolean pushDownAggregate = true;
  }

  /** Options of a read, the dataset required. */
  public static WekeoOptions parse(Map<String, String> options) {
    return parse(options, true);
  }

  /** Same with the Spark conf of the active session as fallback for each option. */
  public static WekeoOptions parse(Map<String, String> options, boolean needDataset) {
    Map<String, String> given = normalize(options);
    Map<String, String> conf = activeConf();
    Builder b = new Builder();
    b.endpoint = value(given, conf, "endpoint", DEFAULT_ENDPOINT).trim();
    checkEndpoint(b.endpoint);
    b.dataset = value(given, conf, "dataset", null);
    if (needDataset && (b.dataset == null || b.dataset.isBlank())) {
      throw new IllegalArgumentException("option \"dataset\" is required, e.g. .option(\"dataset\", \"cmems-currents\")");
    }
    b.group = value(given, conf, "group", null);
    if (b.group != null && b.group.isBlank()) throw new IllegalArgumentException("option \"group\" is empty: give a variable group id (SHOW TABLES IN <catalog>.<dataset> lists them)");
    String vars = value(given, conf, "variables", null);
    if (vars != null) for (String v : vars.split(",")) if (!v.isBlank()) b.variables.add(v.trim());
    String bb = value(given, conf, "bbox", null);
    if (bb != null) b.bbox = parseBbox(bb);
    b.start = time(value(given, conf, "start", null), "start");
    b.end = time(value(given, conf, "end", null), "end");
    String layout = value(given, conf, "layout", null);
    if (layout != null) {
      b.layout = layout.trim().toLowerCase(Locale.ROOT);
      if (!b.layout.equals("points") && !b.layout.equals("tiles")) {
        throw new IllegalArgumentException("option \"layout\" must be \"points\" or \"tiles\", got \"" + layout + "\"");
      }
    }
    String tile = value(given, conf, "tile", null);
    if (tile != null) {
      b.tile = parseTile(tile);
      if (layout == null) b.layout = "tiles";
      else if (!b.layout.equals("tiles")) throw new IllegalArgumentException("option \"tile\" needs layout \"tiles\" (got layout \"" + b.layout + "\")");
    }
    String filters = value(given, conf, "filters", null);
    if (filters != null) b.filters = parseFilters(filters);
    b.token = value(given, conf, "token", null);
    if (b.token != null && b.token.isBlank()) throw new IllegalArgumentException("option \"token\" is empty");
    String certs = value(given, conf, "tlsRootCerts", null);
    if (certs != null) {
      if (!b.endpoint.startsWith("grpc+tls://")) {
        throw new IllegalArgumentException("option \"tlsRootCerts\" needs a grpc+tls:// endpoint (got " + b.endpoint + ")");
      }
      try {
        b.tlsRootCerts = Files.readAllBytes(Path.of(certs));
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException("option \"tlsRootCerts\" must name a readable PEM certificate file; cannot read \"" + certs + "\" (" + e.getClass().getSimpleName() + ")");
      }
    }
    String agg = value(given, conf, "pushDownAggregate", null);
    if (agg != null) {
      String a = agg.trim().toLowerCase(Locale.ROOT);
      if (!a.equals("true") && !a.equals("false")) throw new IllegalArgumentException("option \"pushDownAggregate\" must be true or false, got \"" + agg + "\"");
      b.pushDownAggregate = a.equals("true");
    }
    return new WekeoOptions(b);
  }

  /**
   * Lower-cases keys for lookup, drops Spark's own keys and the "option." prefix CREATE TABLE
   * stores options under, and rejects unknown keys naming the valid ones.
   */
  static Map<String, String> normalize(Map<String, String> options) {
    Map<String, String> out = new LinkedHashMap<>();
    Set<String> unknown = new TreeSet<>();
    for (Map.Entry<String, String> e : options.entrySet()) {
      String k = e.getKey().regionMatches(true, 0, "option.", 0, 7) ? e.getKey().substring(7) : e.getKey();
      String lk = k.toLowerCase(Locale.ROOT);
      if (SPARK_KEYS.contains(lk) || lk.startsWith("__")) continue;
      String known = KNOWN.stream().filter(n -> n.equalsIgnoreCase(k)).findFirst().orElse(null);
      if (known == null) unknown.add(k);
      else out.put(known.toLowerCase(Locale.ROOT), e.getValue());
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("unknown option" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown.stream().map(u -> "\"" + u + "\"").toList())
          + " for format(\"wekeo\"); valid options: " + String.join(", ", KNOWN));
    }
    return out;
  }

  private static Map<String, String> activeConf() {
    Map<String, String> conf = new LinkedHashMap<>();
    SparkSession s = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get() : null;
    if (s == null) return conf;
    for (String k : KNOWN) {
      for (String key : new String[] {CONF_PREFIX + k, CONF_PREFIX + k.toLowerCase(Locale.ROOT)}) {
        String v = s.conf().get(key, null);
        if (v != null) {
          conf.put(k.toLowerCase(Locale.ROOT), v);
          break;
        }
      }
    }
    return conf;
  }

  private static String value(Map<String, String> given, Map<String, String> conf, String key, String dflt) {
    String k = key.toLowerCase(Locale.ROOT);
    if (given.containsKey(k)) return given.get(k);
    return conf.getOrDefault(k, dflt);
  }

  static void checkEndpoint(String endpoint) {
    URI uri;
    try {
      uri = new URI(endpoint);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("option \"endpoint\" is not a URI: \"" + endpoint + "\" (expected grpc://host:port or grpc+tls://host:port)");
    }
    String scheme = uri.getScheme();
    if (!"grpc".equals(scheme) && !"grpc+tcp".equals(scheme) && !"grpc+tls".equals(scheme) || uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException("option \"endpoint\" must be grpc://host:port or grpc+tls://host:port, got \"" + endpoint + "\"");
    }
  }

  static double[] parseBbox(String s) {
    String[] parts = s.split(",", -1);
    String form = "option \"bbox\" must be four numbers \"west,south,east,north\" in degrees (e.g. \"-10,35,30,60\"), got \"" + s + "\"";
    if (parts.length != 4) throw new IllegalArgumentException(form);
    double[] out = new double[4];
    for (int i = 0; i < 4; i++) {
      try {
        out[i] = Double.parseDouble(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(form);
      }
      if (!Double.isFinite(out[i])) throw new IllegalArgumentException(form);
    }
    if (out[1] < -90 || out[3] > 90) throw new IllegalArgumentException("option \"bbox\": latitudes must lie within [-90, 90], got \"" + s + "\"");
    if (out[1] > out[3]) throw new IllegalArgumentException("option \"bbox\": south (" + out[1] + ") is greater than north (" + out[3] + ") in \"" + s + "\" (the order is west,south,east,north)");
    if (out[0] < -360 || out[2] > 360) throw new IllegalArgumentException("option \"bbox\": longitudes must lie within [-360, 360], got \"" + s + "\"");
    return out;
  }

  static int[] parseTile(String s) {
    String[] parts = s.split(",", -1);
    String form = "option \"tile\" must be \"height,width\" in grid cells (each 1..1024), got \"" + s + "\"";
    if (parts.length != 2) throw new IllegalArgumentException(form);
    int[] out = new int[2];
    for (int i = 0; i < 2; i++) {
      try {
        out[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(form);
      }
      if (out[i] < 1 || out[i] > 1024) throw new IllegalArgumentException(form);
    }
    return out;
  }

  static Map<String, String> parseFilters(String s) {
    String form = "option \"filters\" must be a JSON object of HDA search keys, e.g. {\"productType\": \"reanalysis\"}, got " + s;
    JsonNode n;
    try {
      n = new ObjectMapper().readTree(s);
    } catch (IOException e) {
      throw new IllegalArgumentException(form);
    }
    if (n == null || !n.isObject()) throw new IllegalArgumentException(form);
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isValueNode() || e.getValue().isNull()) throw new IllegalArgumentException(form + " (\"" + e.getKey() + "\" is not a string or number)");
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static String time(String s, String key) {
    if (s == null) return null;
    try {
      java.time.Instant.parse(FilterTranslator.normalizeIso(s));
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("option \"" + key + "\" must be an ISO-8601 date or time such as 2024-01-08 or 2024-01-08T06:00:00Z, got \"" + s + "\"");
    }
    return s.trim();
  }
}

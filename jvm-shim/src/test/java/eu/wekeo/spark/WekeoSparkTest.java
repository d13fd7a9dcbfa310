package eu.wekeo.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real Spark session (local[2]) reading through the shim from a real `wekeo serve` on the
 * embedded samples, compared with the netCDF-C / netCDF4-python oracle of the sample file.
 */
class WekeoSparkTest {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  static final String CMEMS = "cmems_mod_glo_phy-cur_anfc_0.083deg_P1D-m_2024-01_1deg_5day.nc";

  static Process bridge;
  static String endpoint;
  static String metricsUrl;
  static SparkSession spark;
  static JsonNode oracle;

  @BeforeAll
  static void start() throws Exception {
    if (spark != null) return;
    if (!Files.exists(REPO.resolve("dist/cli/main.js"))) fail("dist/ is missing: run `npm run build` in " + REPO + " (./dev test does it)");
    Bridge b = startBridge();
    bridge = b.process();
    endpoint = b.endpoint();
    metricsUrl = b.http() + "/metrics";
    spark = SparkSession.builder().master("local[2]").appName("wekeo-shim-test")
        .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        // CREATE TABLE makes a directory per table: under target/, not in the source tree
        .config("spark.sql.warehouse.dir", REPO.resolve("jvm-shim/target/spark-warehouse").toString())
        .config("spark.sql.catalog.wekeo", WekeoCatalog.class.getName())
        .config("spark.sql.catalog.wekeo.endpoint", endpoint).getOrCreate();
    oracle = new ObjectMapper().readTree(new File(REPO.toFile(), "test/fixtures/netcdf/" + CMEMS + ".oracle.json"));
  }

  /** A `wekeo serve` started for a test, its gRPC endpoint and HTTP base URL. */
  record Bridge(Process process, String endpoint, String http) {
    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
    }
  }

  /** Starts the built CLI's `wekeo serve` on loopback (free ports) with extra arguments. */
  static Bridge startBridge(String... extra) throws Exception {
    if (!Files.exists(REPO.resolve("dist/cli/main.js"))) fail("dist/ is missing: run `npm run build` in " + REPO + " (./dev test does it)");
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("node", "bin/wekeo.js", "serve", "--host", "127.0.0.1", "--port", "0", "--http-port", "0", "--target-rows", "50000", "--workers", "2"));
    cmd.addAll(java.util.List.of(extra));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.directory(REPO.toFile());
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String first = out.readLine();
    Matcher m = Pattern.compile("wekeo-bridge listening on (grpc://\\S+)").matcher(first == null ? "" : first);
    if (!m.find()) {
      p.destroyForcibly();
      fail("bridge did not start, first line: " + first);
    }
    String second = out.readLine();
    Matcher h = Pattern.compile("wekeo-bridge http on (http://\\S+)").matcher(second == null ? "" : second);
    if (!h.find()) {
      p.destroyForcibly();
      fail("bridge printed no http line, second line: " + second);
    }
    Thread drain = new Thread(() -> out.lines().forEach(l -> {}));
    drain.setDaemon(true);
    drain.start();
    return new Bridge(p, m.group(1), h.group(1));
  }

  @AfterAll
  static void stop() throws Exception {
    if (spark != null) spark.stop();
    spark = null;
    if (bridge != null) {
      bridge.destroy();
      bridge.waitFor(10, TimeUnit.SECONDS);
    }
    bridge = null;
  }

  static JsonNode decoded(String var) {
    for (JsonNode v : oracle.get("variables")) if (v.get("name").asText().equals(var)) return v.get("decoded");
    throw new AssertionError("no oracle for " + var);
  }

  Dataset<Row> cmems() {
    return spark.read().format("wekeo").option("endpoint", endpoint).option("dataset", "cmems-currents").load();
  }

  @Test
  void schemaIsThePointsLayout() {
    assertEquals("time: timestamp, lat: double, lon: double, uo: float, vo: float",
        String.join(", ", java.util.Arrays.stream(cmems().schema().fields()).map(f -> f.name() + ": " + f.dataType().simpleString()).toList()));
  }

  @Test
  void countMinMaxAvgEqualTheOracleThroughSeveralPartitions() {
    Dataset<Row> df = cmems();
    assertTrue(df.rdd().getNumPartitions() > 1, "expected several Flight endpoints, got " + df.rdd().getNumPartitions());
    assertEquals(6L * 171 * 360, df.count());
    JsonNode o = decoded("uo");
    Row r = df.selectExpr("count(uo)", "min(uo)", "max(uo)", "avg(uo)").first();
    assertEquals(o.get("valid").asLong(), r.getLong(0));
    assertEquals(o.get("min").asDouble(), r.getFloat(1), 1e-7);
    assertEquals(o.get("max").asDouble(), r.getFloat(2), 1e-7);
    assertEquals(o.get("mean").asDouble(), r.getDouble(3), Math.abs(o.get("mean").asDouble()) * 1e-9);
  }

  @Test
  void columnPruningReadsOnlyTheRequestedVariable() {
    Dataset<Row> vo = cmems().select("vo");
    assertEquals(1, vo.schema().fields().length);
    assertTrue(vo.queryExecution().executedPlan().toString().contains("\"variables\":[\"vo\"]"), vo.queryExecution().executedPlan().toString());
    JsonNode o = decoded("vo");
    Row r = vo.selectExpr("count(vo)", "avg(vo)").first();
    assertEquals(o.get("valid").asLong(), r.getLong(0));
    assertEquals(o.get("mean").asDouble(), r.getDouble(1), Math.abs(o.get("mean").asDouble()) * 1e-9);
  }

  @Test
  void pushedFiltersGiveTheSameRowsAsFilteringEverything() {
    String where = "time >= timestamp'2024-01-08 00:00:00' and time < timestamp'2024-01-18 12:00:00' and lat > 10 and lat <= 45 and lon >= -30 and lon < 20";
    Dataset<Row> pushed = cmems().where(where);
    String plan = pushed.queryExecution().executedPlan().toString();
    assertTrue(plan.contains("\"bbox\":[-30.0,10.0,20.0,45.0]") && plan.contains("\"start\":\"2024-01-08T00:00:00Z\""), plan);
    Dataset<Row> all = cmems().cache();
    all.count();
    Dataset<Row> reference = all.where(where);
    Row a = pushed.selectExpr("count(*)", "count(uo)", "sum(uo)", "sum(vo)").first();
    Row b = reference.selectExpr("count(*)", "count(uo)", "sum(uo)", "sum(vo)").first();
    assertTrue(a.getLong(0) > 0);
    assertEquals(b.getLong(0), a.getLong(0));
    assertEquals(b.getLong(1), a.getLong(1));
    assertEquals(b.getDouble(2), a.getDouble(2), 1e-6);
    assertEquals(b.getDouble(3), a.getDouble(3), 1e-6);
    // The pushed query plans fewer partitions than the full one.
    assertTrue(pushed.rdd().getNumPartitions() < cmems().rdd().getNumPartitions());
    all.unpersist();
  }

  @Test
  void packedEra5WithLevelsMatchesTheOracle() throws Exception {
    JsonNode era5 = new ObjectMapper().readTree(new File(REPO.toFile(), "test/fixtures/netcdf/test4.nc.oracle.json"));
    JsonNode t = null;
    for (JsonNode v : era5.get("variables")) if (v.get("name").asText().equals("t")) t = v.get("decoded");
    Dataset<Row> df = spark.read().format("wekeo").option("endpoint", endpoint).option("dataset", "era5-pressure-levels").load();
    Row r = df.selectExpr("count(t)", "min(t)", "max(t)", "avg(t)", "count(distinct level)").first();
    assertEquals(t.get("valid").asLong(), r.getLong(0));
    assertEquals(t.get("min").asDouble(), r.getDouble(1), 1e-9);
    assertEquals(t.get("max").asDouble(), r.getDouble(2), 1e-9);
    assertEquals(t.get("mean").asDouble(), r.getDouble(3), 1e-9);
    assertEquals(2L, r.getLong(4));
  }

  @Test
  void grib1EnsembleReadsWithLevelAndMemberColumns() throws Exception {
    JsonNode grib = new ObjectMapper().readTree(new File(REPO.toFile(), "test/fixtures/grib/era5-levels-members.grib.oracle.json"));
    long valid = 0;
    double min = Double.MAX_VALUE, max = -Double.MAX_VALUE, sum = 0;
    for (JsonNode f : grib.get("fields")) {
      if (!f.get("shortName").asText().equals("t")) continue;
      JsonNode v = f.get("values");
      long n = v.get("count").asLong() - v.get("missing").asLong();
      valid += n;
      min = Math.min(min, v.get("min").asDouble());
      max = Math.max(max, v.get("max").asDouble());
      sum += v.get("mean").asDouble() * n;
    }
    Dataset<Row> df = spark.read().format("wekeo").option("endpoint", endpoint).option("dataset", "era5-ensemble").load();
    assertEquals("int", df.schema().apply("number").dataType().simpleString());
    Row r = df.selectExpr("count(t)", "min(t)", "max(t)", "avg(t)", "count(distinct number)").first();
    assertEquals(valid, r.getLong(0));
    assertEquals(min, r.getFloat(1), Math.abs(min) * 1e-6);
    assertEquals(max, r.getFloat(2), Math.abs(max) * 1e-6);
    assertEquals(sum / valid, r.getDouble(3), Math.abs(sum / valid) * 1e-6);
    assertEquals(10L, r.getLong(4));
  }

  @Test
  void missingDatasetOptionIsAClearError() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> spark.read().format("wekeo").option("endpoint", endpoint).load());
    assertTrue(e.getMessage().contains("\"dataset\" is required"), e.getMessage());
  }
}

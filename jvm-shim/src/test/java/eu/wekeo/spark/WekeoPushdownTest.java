package eu.wekeo.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.math.BigInt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each pushed filter form (empty and out-of-range ones included) against the full read filtered
 * by Spark itself, the bytes the bridge sends for pruned reads (its /metrics), options, errors,
 * SQL (USING wekeo) and the catalog. Shares the bridge and session of {@link WekeoSparkTest}.
 */
class WekeoPushdownTest {
  static Dataset<Row> cmemsAll;

  @BeforeAll
  static void start() throws Exception {
    WekeoSparkTest.start();
    cmemsAll = read("cmems-currents").cache();
    cmemsAll.count();
  }

  @AfterAll
  static void stop() throws Exception {
    cmemsAll.unpersist();
    WekeoSparkTest.stop();
  }

  static Dataset<Row> read(String dataset) {
    return WekeoSparkTest.spark.read().format("wekeo").option("endpoint", WekeoSparkTest.endpoint).option("dataset", dataset).load();
  }

  static String plan(Dataset<Row> df) {
    return df.queryExecution().executedPlan().toString();
  }

  static double bytesSent(String dataset) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(WekeoSparkTest.metricsUrl)).build(), HttpResponse.BodyHandlers.ofString());
    Matcher m = Pattern.compile("^wekeo_bytes_sent_total\\{dataset=\"" + Pattern.quote(dataset) + "\"\\} (\\S+)$", Pattern.MULTILINE).matcher(r.body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  static void assertSameRows(Dataset<Row> pushed, Dataset<Row> reference, String what) {
    Row a = pushed.selectExpr("count(*)", "count(uo)", "coalesce(sum(uo), 0d)", "coalesce(sum(lat), 0d)").first();
    Row b = reference.selectExpr("count(*)", "count(uo)", "coalesce(sum(uo), 0d)", "coalesce(sum(lat), 0d)").first();
    assertEquals(b.getLong(0), a.getLong(0), what + ": rows");
    assertEquals(b.getLong(1), a.getLong(1), what + ": valid uo");
    assertEquals(b.getDouble(2), a.getDouble(2), 1e-6, what + ": sum(uo)");
    assertEquals(b.getDouble(3), a.getDouble(3), 1e-6, what + ": sum(lat)");
  }

  @Test
  void everyFilterFormGivesTheRowsOfTheFullReadFiltered() {
    // Kept short: each form is a Spark job against the bridge (and the same filter on the cached full read).
    List<String> forms = List.of(
        "lat between 10 and 45 and lon >= -30 and lon < 20", "lat between 50 and 40", "lat > 40 and lat < 30", "lat >= -100", "lat > 100",
        "lon > -400", "lon > 50 and lon < 30", "time between '2024-01-10' and '2024-01-20'", "time between '2024-01-20' and '2024-01-10'",
        "40 < lat and uo > 0.1", "lat > 60 or lat < -60");
    for (String w : forms) assertSameRows(read("cmems-currents").where(w), cmemsAll.where(w), w);
  }

  @Test
  void chainedContradictoryWhereIsEmptyWithoutPartitions() {
    Dataset<Row> df = read("cmems-currents").where("lat > 40").where("lat < 30");
    assertEquals(0, df.rdd().getNumPartitions());
    assertEquals(0L, df.count());
    assertTrue(plan(df).contains("empty (no partitions)"), plan(df));
    Dataset<Row> t = read("cmems-currents").where("time between '2024-01-20' and '2024-01-10'");
    assertEquals(0, t.rdd().getNumPartitions());
    assertEquals(0L, t.count());
  }

  @Test
  void timeRangeOutsideTheDatasetIsEmptyNotAnError() {
    // cmems-currents spans 2024-01-03..2024-01-28: the bridge plans no endpoint, Spark no partition.
    for (Dataset<Row> df : List.of(read("cmems-currents").where("time >= '2030-01-01'"), read("cmems-currents").where("time < '2000-01-01' and lat > 10"),
        WekeoSparkTest.spark.read().format("wekeo").option("endpoint", WekeoSparkTest.endpoint).option("dataset", "cmems-currents")
            .option("start", "2030-01-01").option("end", "2030-12-31").load())) {
      assertEquals(0, df.rdd().getNumPartitions(), plan(df));
      assertEquals(0L, df.count());
      assertEquals(0L, df.select("uo").collectAsList().size());
    }
  }

  @Test
  void outOfRangeBoundsAreClampedNotRejected() {
    long all = cmemsAll.count();
    assertEquals(all, read("cmems-currents").where("lat >= -100").count());
    assertEquals(all, read("cmems-currents").where("lon > -400").count());
    String p = plan(read("cmems-currents").where("lat >= -100 and lat < 95 and lon > -400"));
    assertTrue(!p.contains("\"bbox\""), "an all-globe bound is no bbox: " + p);
  }

  @Test
  void explainShowsPushedAndRecheckedFilters() {
    String p = plan(read("cmems-currents").where("lat > 10 and uo > 0.1"));
    assertTrue(p.contains("pushedFilters=[lat > 10") && p.contains("recheckedBySpark=["), p);
    assertTrue(p.contains("\"bbox\":[-180.0,10.0,360.0,90.0]"), p);
  }

  @Test
  void levelPushdownSlicesTheAxisWithExactRows() {
    Dataset<Row> all = read("era5-pressure-levels").cache();
    List<Row> levels = all.selectExpr("level").distinct().orderBy("level").collectAsList();
    double hi = levels.get(levels.size() - 1).getDouble(0);
    double lo = levels.get(0).getDouble(0);
    for (String w : List.of("level = " + hi, "level in (" + hi + ", 12345)", "level >= " + hi, "level between " + lo + " and " + lo, "level > " + hi)) {
      Dataset<Row> pushed = read("era5-pressure-levels").where(w);
      Row a = pushed.selectExpr("count(*)", "coalesce(sum(t), 0d)").first();
      Row b = all.where(w).selectExpr("count(*)", "coalesce(sum(t), 0d)").first();
      assertEquals(b.getLong(0), a.getLong(0), w);
      assertEquals(b.getDouble(1), a.getDouble(1), 1e-6, w);
    }
    String p = plan(read("era5-pressure-levels").where("level = " + hi));
    assertTrue(p.contains("\"levels\":[" + hi), p);
    all.unpersist();
  }

  @Test
  void memberPushdownSendsFewerBytesWithExactRows() throws Exception {
    Dataset<Row> all = read("era5-ensemble").cache();
    all.count();
    String w = "number in (2, 5)";
    double before = bytesSent("era5-ensemble");
    Row a = read("era5-ensemble").where(w).selectExpr("count(*)", "sum(t)").first();
    double pushedBytes = bytesSent("era5-ensemble") - before;
    Row b = all.where(w).selectExpr("count(*)", "sum(t)").first();
    assertEquals(b.getLong(0), a.getLong(0));
    assertEquals(b.getDouble(1), a.getDouble(1), 1e-6);
    before = bytesSent("era5-ensemble");
    read("era5-ensemble").selectExpr("sum(t)").first();
    double fullBytes = bytesSent("era5-ensemble") - before;
    assertTrue(pushedBytes > 0 && pushedBytes < fullBytes / 2, "number pushdown sent " + pushedBytes + " of " + fullBytes + " bytes");
    assertTrue(plan(read("era5-ensemble").where(w)).contains("\"numbers\":[2,5]"));
    all.unpersist();
  }

  @Test
  void filteredQueryPlansFewerPartitions() {
    int full = read("cmems-currents").rdd().getNumPartitions();
    int filtered = read("cmems-currents").where("time <= '2024-01-03' and lat between 10 and 20").rdd().getNumPartitions();
    assertTrue(filtered < full, filtered + " vs " + full);
  }

  @Test
  void countMovesAlmostNothingAndPruningReachesCoordinates() throws Exception {
    // With aggregate pushdown off, so that the count reads (see WekeoCountScanTest for the pushed count).
    java.util.function.Supplier<Dataset<Row>> unpushed = () -> WekeoSparkTest.spark.read().format("wekeo").option("endpoint", WekeoSparkTest.endpoint)
        .option("dataset", "cmems-currents").option("pushDownAggregate", "false").load();
    double before = bytesSent("cmems-currents");
    assertEquals(6L * 171 * 360, unpushed.get().count());
    double countBytes = bytesSent("cmems-currents") - before;
    before = bytesSent("cmems-currents");
    read("cmems-currents").selectExpr("sum(uo)").first();
    double uoBytes = bytesSent("cmems-currents") - before;
    before = bytesSent("cmems-currents");
    read("cmems-currents").selectExpr("sum(uo)", "sum(lat)", "sum(lon)", "count(time)").first();
    double coordBytes = bytesSent("cmems-currents") - before;
    // uo is 4 bytes a row; time, lat and lon add 24 more.
    assertTrue(countBytes < 0.05 * uoBytes, "count(*) sent " + countBytes + " bytes, sum(uo) " + uoBytes);
    assertTrue(uoBytes < 0.3 * coordBytes, "sum(uo) sent " + uoBytes + " bytes, with coordinates " + coordBytes);
    assertTrue(plan(unpushed.get().selectExpr("count(*)")).contains("\"columns\":[]"));
  }

  @Test
  void statisticsComeFromFlightInfo() {
    // SupportsReportStatistics: the filtered scan's size estimate (from FlightInfo) is below the full one's.
    BigInt filtered = read("cmems-currents").where("lat between 10 and 20").queryExecution().optimizedPlan().stats().sizeInBytes();
    BigInt full = read("cmems-currents").queryExecution().optimizedPlan().stats().sizeInBytes();
    assertTrue(filtered.longValue() > 0 && filtered.longValue() < full.longValue() / 4, filtered + " vs " + full);
  }

  @Test
  void unknownOptionIsAnErrorListingTheValidOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WekeoSparkTest.spark.read().format("wekeo").option("endpoint", WekeoSparkTest.endpoint).option("dataset", "cmems-currents").option("bbx", "0,0,1,1").load());
    assertTrue(e.getMessage().contains("unknown option \"bbx\"") && e.getMessage().contains("bbox, start, end"), e.getMessage());
  }

  @Test
  void badBboxNamesTheOptionAndTheForm() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WekeoSparkTest.spark.read().format("wekeo").option("dataset", "cmems-currents").option("endpoint", WekeoSparkTest.endpoint).option("bbox", "a,b,c,d").load());
    assertTrue(e.getMessage().contains("option \"bbox\" must be four numbers \"west,south,east,north\"") && e.getMessage().contains("a,b,c,d"), e.getMessage());
  }

  @Test
  void bridgeNotRunningNamesTheEndpoint() {
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> WekeoSparkTest.spark.read().format("wekeo").option("endpoint", "grpc://127.0.0.1:1").option("dataset", "cmems-currents").load());
    assertTrue(e.getMessage().contains("no wekeo bridge answered at grpc://127.0.0.1:1"), e.getMessage());
  }

  @Test
  void optionsAlsoComeFromSparkConfAndAnExplicitOptionWins() {
    var conf = WekeoSparkTest.spark.conf();
    conf.set("spark.wekeo.endpoint", WekeoSparkTest.endpoint);
    conf.set("spark.wekeo.bbox", "-10,30,10,40");
    try {
      Dataset<Row> df = WekeoSparkTest.spark.read().format("wekeo").option("dataset", "cmems-currents").load();
      assertSameRows(df, cmemsAll.where("lat between 30 and 40 and lon between -10 and 10"), "conf bbox");
      Dataset<Row> wider = WekeoSparkTest.spark.read().format("wekeo").option("dataset", "cmems-currents").option("bbox", "-10,30,10,45").load();
      assertSameRows(wider, cmemsAll.where("lat between 30 and 45 and lon between -10 and 10"), "option bbox over conf");
    } finally {
      conf.unset("spark.wekeo.endpoint");
      conf.unset("spark.wekeo.bbox");
    }
  }

  @Test
  void tilesLayoutReadsChipsAsArrays() {
    Dataset<Row> df = WekeoSparkTest.spark.read().format("wekeo").option("endpoint", WekeoSparkTest.endpoint).option("dataset", "cmems-currents")
        .option("layout", "tiles").option("tile", "16,16").option("variables", "uo").load();
    assertEquals("array<float>", df.schema().apply("uo").dataType().simpleString());
    Row r = df.selectExpr("count(*)", "sum(size(uo))").first();
    // 171 x 360 cells in chips of 16 x 16: 11 x 23 chips a time step, 6 steps.
    assertEquals(6L * 11 * 23, r.getLong(0));
    assertEquals(6L * 11 * 23 * 256, r.getLong(1));
  }

  @Test
  void sqlCreateTableUsingWekeo() {
    var spark = WekeoSparkTest.spark;
    spark.sql("DROP TABLE IF EXISTS cur");
    spark.sql("CREATE TABLE cur USING wekeo OPTIONS (endpoint '" + WekeoSparkTest.endpoint + "', dataset 'cmems-currents')");
    try {
      Row r = spark.sql("SELECT count(*), sum(uo) FROM cur WHERE lat BETWEEN 10 AND 45").first();
      Row b = cmemsAll.where("lat between 10 and 45").selectExpr("count(*)", "sum(uo)").first();
      assertEquals(b.getLong(0), r.getLong(0));
      assertEquals(b.getDouble(1), r.getDouble(1), 1e-6);
    } finally {
      spark.sql("DROP TABLE IF EXISTS cur");
    }
  }

  @Test
  void catalogListsAndReadsTheBridgeDatasets() {
    var spark = WekeoSparkTest.spark;
    List<String> names = spark.sql("SHOW TABLES IN wekeo").collectAsList().stream().map(r -> r.getString(1)).sorted().toList();
    assertTrue(names.containsAll(List.of("cmems-currents", "era5-ensemble", "era5-pressure-levels")), names.toString());
    Row r = spark.sql("SELECT count(*), avg(t) FROM wekeo.`era5-pressure-levels`").first();
    Row b = read("era5-pressure-levels").selectExpr("count(*)", "avg(t)").first();
    assertEquals(b.getLong(0), r.getLong(0));
    assertEquals(b.getDouble(1), r.getDouble(1), 1e-9);
  }
}

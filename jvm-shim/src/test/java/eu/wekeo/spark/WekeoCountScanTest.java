package eu.wekeo.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * COUNT(*) pushdown against the real bridge of {@link WekeoSparkTest}: the pushed count equals the
 * rows Spark reads with pushdown off (and a full read of every column) over datasets and option
 * combinations; it plans no partition and sends no DoGet (the bridge's /metrics); EXPLAIN shows
 * it; filtered counts are not pushed and stay right.
 */
class WekeoCountScanTest {
  @BeforeAll
  static void start() throws Exception {
    WekeoSparkTest.start();
  }

  @AfterAll
  static void stop() throws Exception {
    WekeoSparkTest.stop();
  }

  static DataFrameReader reader(String dataset, Map<String, String> options) {
    return WekeoSparkTest.spark.read().format("wekeo").option("endpoint", WekeoSparkTest.endpoint).option("dataset", dataset).options(options);
  }

  static Dataset<Row> read(String dataset, Map<String, String> options, boolean pushDown) {
    return reader(dataset, options).option("pushDownAggregate", String.valueOf(pushDown)).load();
  }

  /**
   * DoGet calls the bridge has finished, whatever their status (wekeo_requests_total), once the
   * number holds still: the bridge counts a call when its stream ends, just after Spark has read it.
   */
  static double doGets() throws Exception {
    double last = doGetsNow();
    for (int i = 0; i < 50; i++) {
      Thread.sleep(100);
      double now = doGetsNow();
      if (now == last && i >= 2) return now;
      last = now;
    }
    return last;
  }

  private static double doGetsNow() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(WekeoSparkTest.metricsUrl)).build(), HttpResponse.BodyHandlers.ofString());
    Matcher m = Pattern.compile("^wekeo_requests_total\\{[^}]*rpc=\"DoGet\"[^}]*\\} (\\S+)$", Pattern.MULTILINE).matcher(r.body());
    double n = 0;
    while (m.find()) n += Double.parseDouble(m.group(1));
    return n;
  }

  static String plan(Dataset<Row> df) {
    return df.queryExecution().executedPlan().toString();
  }

  static Map<String, String> opts(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  @Test
  void pushedCountEqualsTheRowsReadForDatasetsAndOptions() throws Exception {
    record Case(String dataset, Map<String, String> options) {}
    List<Case> cases = List.of(
        new Case("cmems-currents", opts()),
        new Case("cmems-currents", opts("bbox", "-30.5,10.2,20.7,45.1")),
        new Case("cmems-currents", opts("start", "2024-01-10", "end", "2024-01-20", "variables", "vo")),
        new Case("cmems-currents", opts("layout", "tiles", "tile", "16,16", "bbox", "0.5,0.5,30,30")),
        new Case("era5-pressure-levels", opts("bbox", "0,40,20,60")),
        new Case("era5-ensemble", opts()),
        new Case("ncep-air", opts("start", "2014-10-03T06:00:00Z", "end", "2014-10-09T18:00:00Z")),
        new Case("cams-chemistry", opts("bbox", "-40,-50,40,50")));
    for (Case c : cases) {
      String what = c.dataset() + " " + c.options();
      Dataset<Row> pushed = read(c.dataset(), c.options(), true);
      double before = doGets();
      long n = pushed.count();
      assertEquals(before, doGets(), what + ": a pushed count sends no DoGet");
      assertTrue(plan(pushed.groupBy().count()).contains("LocalTableScan"), what + ": " + plan(pushed.groupBy().count()));
      long reference = read(c.dataset(), c.options(), false).count();
      assertTrue(doGets() > before, what + ": the unpushed count reads");
      assertEquals(reference, n, what);
      assertTrue(n > 0, what);
    }
    // Every column of every row read, not just a zero-column count.
    assertEquals(read("cmems-currents", opts("bbox", "-30.5,10.2,20.7,45.1"), false).javaRDD().count(),
        read("cmems-currents", opts("bbox", "-30.5,10.2,20.7,45.1"), true).count());
  }

  @Test
  void sqlCountsOfRowsAndOfNeverNullColumnsArePushed() throws Exception {
    Dataset<Row> df = read("cmems-currents", opts(), true);
    df.createOrReplaceTempView("cur_count");
    Dataset<Row> q = WekeoSparkTest.spark.sql("SELECT count(*), count(1), count(time) FROM cur_count");
    double before = doGets();
    Row r = q.first();
    assertEquals(before, doGets());
    assertEquals(6L * 171 * 360, r.getLong(0));
    assertEquals(r.getLong(0), r.getLong(1));
    assertEquals(r.getLong(0), r.getLong(2));
    // count(uo) counts valid values (uo is nullable): read, not pushed.
    Dataset<Row> uo = WekeoSparkTest.spark.sql("SELECT count(uo) FROM cur_count");
    assertFalse(plan(uo).contains("LocalTableScan"), plan(uo));
    assertEquals(read("cmems-currents", opts(), false).where("uo is not null").count(), uo.first().getLong(0));
  }

  @Test
  void explainShowsThePushedAggregation() {
    Dataset<Row> df = read("cmems-currents", opts(), true).groupBy().count();
    String explained = df.queryExecution().explainString(org.apache.spark.sql.execution.ExtendedMode$.MODULE$);
    // The relation's output is the aggregate itself and no Spark aggregate is left.
    assertTrue(explained.contains("RelationV2[COUNT(*)") && explained.contains("LocalTableScan [COUNT(*)"), explained);
    assertFalse(explained.contains("HashAggregate"), explained);
    // Spark's LocalTableScan does not print the scan's description(); the scan itself says what was pushed.
    var scans = df.queryExecution().optimizedPlan().collect(new scala.PartialFunction<org.apache.spark.sql.catalyst.plans.logical.LogicalPlan, String>() {
      @Override
      public boolean isDefinedAt(org.apache.spark.sql.catalyst.plans.logical.LogicalPlan p) {
        return p instanceof org.apache.spark.sql.execution.datasources.v2.DataSourceV2ScanRelation;
      }

      @Override
      public String apply(org.apache.spark.sql.catalyst.plans.logical.LogicalPlan p) {
        return ((org.apache.spark.sql.execution.datasources.v2.DataSourceV2ScanRelation) p).scan().description();
      }
    });
    String description = scans.head();
    assertTrue(description.contains("PushedAggregation: [COUNT(*)]") && description.contains("rows=" + 6L * 171 * 360), description);
  }

  @Test
  void filteredCountIsNotPushedAndStaysRight() throws Exception {
    Dataset<Row> filtered = read("cmems-currents", opts(), true).where("lat > 10");
    assertFalse(plan(filtered.groupBy().count()).contains("LocalTableScan"), plan(filtered.groupBy().count()));
    double before = doGets();
    long n = filtered.count();
    assertTrue(doGets() > before, "a filtered count reads");
    assertEquals(read("cmems-currents", opts(), false).where("lat > 10").count(), n);
    long cells = 0;
    for (Row r : read("cmems-currents", opts(), false).select("lat").collectAsList()) if (r.getDouble(0) > 10) cells++;
    assertEquals(cells, n);
  }

  @Test
  void pushDownAggregateFalseReadsAndABadValueIsAClearError() throws Exception {
    Dataset<Row> off = read("cmems-currents", opts(), false);
    assertFalse(plan(off.groupBy().count()).contains("LocalTableScan"));
    double before = doGets();
    assertEquals(6L * 171 * 360, off.count());
    assertTrue(doGets() > before);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader("cmems-currents", opts("pushDownAggregate", "maybe")).load());
    assertTrue(e.getMessage().contains("option \"pushDownAggregate\" must be true or false"), e.getMessage());
  }
}

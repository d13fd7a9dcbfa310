package eu.wekeo.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Variable groups from Spark: a bridge on a catalog whose `tlev` dataset (ecCodes'
 * t_on_different_level_types.grib) holds t on isobaric and on hybrid levels, two groups. The
 * option `group` and the catalog's `<catalog>.<dataset>.<group>` tables read one group only,
 * equal to ecCodes' statistics of that group's field; the dataset table reads both.
 */
class WekeoGroupsTest {
  static final String FILE = "t_on_different_level_types.grib";
  static final String HYBRID = "regular_ll_72x37_hybrid";
  static final String ISOBARIC = "regular_ll_72x37_isobaricInhPa";
  static WekeoSparkTest.Bridge bridge;
  static Path catalog;
  static JsonNode fields;

  @BeforeAll
  static void start() throws Exception {
    WekeoSparkTest.start();
    catalog = Files.createTempDirectory("wekeo-groups");
    Files.createDirectories(catalog.resolve("tlev"));
    Files.createSymbolicLink(catalog.resolve("tlev").resolve(FILE), WekeoSparkTest.REPO.resolve("test/fixtures/grib/" + FILE));
    bridge = WekeoSparkTest.startBridge("--catalog", catalog.toString());
    // A catalog registered at run time: Spark loads it on first use.
    WekeoSparkTest.spark.conf().set("spark.sql.catalog.groups", WekeoCatalog.class.getName());
    WekeoSparkTest.spark.conf().set("spark.sql.catalog.groups.endpoint", bridge.endpoint());
    fields = new ObjectMapper().readTree(new File(WekeoSparkTest.REPO.toFile(), "test/fixtures/grib/" + FILE + ".oracle.json")).get("fields");
  }

  @AfterAll
  static void stop() throws Exception {
    if (bridge != null) bridge.stop();
    Files.deleteIfExists(catalog.resolve("tlev").resolve(FILE));
    Files.deleteIfExists(catalog.resolve("tlev"));
    Files.deleteIfExists(catalog);
    WekeoSparkTest.stop();
  }

  static JsonNode field(String typeOfLevel) {
    for (JsonNode f : fields) if (f.get("level").get("typeOfLevel").asText().equals(typeOfLevel)) return f.get("values");
    throw new AssertionError("no oracle field on " + typeOfLevel);
  }

  static void assertIsField(Dataset<Row> df, String typeOfLevel) {
    JsonNode o = field(typeOfLevel);
    Row r = df.selectExpr("count(*)", "count(t)", "min(t)", "max(t)", "avg(t)").first();
    assertEquals(o.get("count").asLong(), r.getLong(0), typeOfLevel + ": rows");
    assertEquals(o.get("count").asLong() - o.get("missing").asLong(), r.getLong(1), typeOfLevel + ": valid t");
    assertEquals(o.get("min").asDouble(), ((Number) r.get(2)).doubleValue(), 1e-4);
    assertEquals(o.get("max").asDouble(), ((Number) r.get(3)).doubleValue(), 1e-4);
    assertEquals(o.get("mean").asDouble(), r.getDouble(4), 1e-4);
  }

  Dataset<Row> read(String group) {
    var r = WekeoSparkTest.spark.read().format("wekeo").option("endpoint", bridge.endpoint()).option("dataset", "tlev");
    return (group == null ? r : r.option("group", group)).load();
  }

  @Test
  void groupOptionReadsThatGroupOnly() {
    Dataset<Row> hybrid = read(HYBRID);
    assertTrue(hybrid.queryExecution().executedPlan().toString().contains("\"group\":\"" + HYBRID + "\""), hybrid.queryExecution().executedPlan().toString());
    assertIsField(hybrid, "hybrid");
    assertIsField(read(ISOBARIC), "isobaricInhPa");
    // The dataset itself holds both groups, told apart by level_type.
    Row all = read(null).selectExpr("count(*)", "count(distinct level_type)").first();
    assertEquals(2L * 2664, all.getLong(0));
    assertEquals(2L, all.getLong(1));
  }

  @Test
  void unknownGroupIsAClearError() {
    Exception e = assertThrows(Exception.class, () -> read("nope").count());
    assertTrue(e.getMessage().contains("no variable group \"nope\"") && e.getMessage().contains(HYBRID), e.getMessage());
  }

  @Test
  void catalogListsGroupsAsTablesOfTheirDatasetAndReadsOne() {
    var spark = WekeoSparkTest.spark;
    // namespace | table: the dataset in the root, its groups in the dataset's namespace
    Set<String> all = spark.sql("SHOW TABLES IN groups").collectAsList().stream().map(r -> r.getString(0) + "|" + r.getString(1)).collect(Collectors.toSet());
    assertEquals(Set.of("|tlev", "tlev|" + HYBRID, "tlev|" + ISOBARIC), all);
    List<String> groups = spark.sql("SHOW TABLES IN groups.tlev").collectAsList().stream().map(r -> r.getString(1)).sorted().toList();
    assertEquals(List.of(HYBRID, ISOBARIC), groups);
    assertIsField(spark.sql("SELECT * FROM groups.tlev." + HYBRID), "hybrid");
    assertIsField(spark.sql("SELECT * FROM groups.tlev.`" + ISOBARIC + "` WHERE lat BETWEEN -90 AND 90"), "isobaricInhPa");
    assertEquals(2L * 2664, spark.sql("SELECT count(*) FROM groups.tlev").first().getLong(0));
    assertThrows(AnalysisException.class, () -> spark.sql("SELECT * FROM groups.tlev.nope"));
  }
}

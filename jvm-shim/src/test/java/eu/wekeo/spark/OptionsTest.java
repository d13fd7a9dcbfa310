package eu.wekeo.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Option parsing without a bridge: every rejected form names the option and the expected form. */
class OptionsTest {
  static String error(Map<String, String> o) {
    return assertThrows(IllegalArgumentException.class, () -> WekeoOptions.parse(o)).getMessage();
  }

  @Test
  void rejectsEachBadFormByName() {
    assertTrue(error(Map.of("dataset", "d", "bbox", "1,2,3")).contains("option \"bbox\" must be four numbers"));
    assertTrue(error(Map.of("dataset", "d", "bbox", "0,50,10,40")).contains("south (50.0) is greater than north"));
    assertTrue(error(Map.of("dataset", "d", "tile", "0,8")).contains("option \"tile\" must be \"height,width\""));
    assertTrue(error(Map.of("dataset", "d", "layout", "grid")).contains("option \"layout\" must be \"points\" or \"tiles\""));
    assertTrue(error(Map.of("dataset", "d", "filters", "[1]")).contains("option \"filters\" must be a JSON object"));
    assertTrue(error(Map.of("dataset", "d", "start", "yesterday")).contains("option \"start\" must be an ISO-8601"));
    assertTrue(error(Map.of("dataset", "d", "endpoint", "http://x:1")).contains("option \"endpoint\" must be grpc://host:port or grpc+tls://host:port"));
    assertTrue(error(Map.of("dataset", "d", "tlsRootCerts", "/nonexistent.pem")).contains("needs a grpc+tls:// endpoint"));
    assertTrue(error(Map.of("dataset", "d", "endpoint", "grpc+tls://h:1", "tlsRootCerts", "/nonexistent.pem")).contains("readable PEM certificate file"));
    String unknown = error(Map.of("dataset", "d", "bbx", "1", "Varibles", "a"));
    assertTrue(unknown.startsWith("unknown options \"Varibles\", \"bbx\"") && unknown.contains("valid options: endpoint, dataset, group, variables, bbox"), unknown);
  }

  @Test
  void acceptsSparkOwnKeysAndTheCreateTableOptionPrefix() {
    WekeoOptions o = WekeoOptions.parse(Map.of("path", "x", "option.dataset", "d", "OPTION.BBOX", "-10,30,10,40", "provider", "wekeo",
        "filters", "{\"productType\":\"reanalysis\",\"n\":3}", "tile", "8,4", "token", "s3cret"));
    assertEquals("d", o.dataset);
    assertArrayEquals(new double[] {-10, 30, 10, 40}, o.bbox);
    assertEquals(Map.of("productType", "reanalysis", "n", "3"), o.filters);
    assertEquals("tiles", o.layout);
    assertArrayEquals(new int[] {8, 4}, o.tile);
    assertEquals("s3cret", o.token);
    String q = QueryBuilder.toJson(o, new FilterTranslator.Constraints(), java.util.List.of("uo"), java.util.List.of("time", "uo"));
    assertEquals("{\"dataset\":\"d\",\"variables\":[\"uo\"],\"columns\":[\"time\",\"uo\"],\"layout\":\"tiles\",\"tile\":[8,4],\"filters\":{\"productType\":\"reanalysis\",\"n\":\"3\"}}", q);
  }
}

package eu.wekeo.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Timestamp;
import java.time.Instant;
import org.apache.spark.sql.sources.And;
import org.apache.spark.sql.sources.EqualTo;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.sources.GreaterThan;
import org.apache.spark.sql.sources.GreaterThanOrEqual;
import org.apache.spark.sql.sources.In;
import org.apache.spark.sql.sources.IsNotNull;
import org.apache.spark.sql.sources.LessThan;
import org.apache.spark.sql.sources.LessThanOrEqual;
import org.apache.spark.sql.sources.Or;
import org.junit.jupiter.api.Test;

/** Each operator on each pushed column, including the direction of every bound. */
class FilterTranslatorTest {
  private static FilterTranslator.Result t(Filter... f) {
    return FilterTranslator.translate(f);
  }

  private static final Instant T1 = Instant.parse("2024-01-08T00:00:00Z");
  private static final Instant T2 = Instant.parse("2024-01-18T06:00:00Z");

  @Test
  void timeLowerBounds() {
    assertEquals(T1, t(new GreaterThan("time", Timestamp.from(T1))).constraints.start);
    assertEquals(T1, t(new GreaterThanOrEqual("time", Timestamp.from(T1))).constraints.start);
    assertNull(t(new GreaterThanOrEqual("time", Timestamp.from(T1))).constraints.end);
  }

  @Test
  void timeUpperBounds() {
    assertEquals(T2, t(new LessThan("time", Timestamp.from(T2))).constraints.end);
    assertEquals(T2, t(new LessThanOrEqual("time", T2)).constraints.end);
    assertNull(t(new LessThanOrEqual("time", T2)).constraints.start);
  }

  @Test
  void timeEqualityBoundsBothSides() {
    FilterTranslator.Constraints c = t(new EqualTo("time", Timestamp.from(T1))).constraints;
    assertEquals(T1, c.start);
    assertEquals(T1, c.end);
  }

  @Test
  void latitudeBoundsGoToSouthAndNorth() {
    FilterTranslator.Constraints c = t(new GreaterThanOrEqual("lat", 10.0), new LessThan("lat", 45)).constraints;
    assertEquals(10.0, c.south);
    assertEquals(45.0, c.north);
    assertArrayEquals(new double[] {-180, 10, 360, 45}, c.bbox());
  }

  @Test
  void longitudeBoundsGoToWestAndEast() {
    FilterTranslator.Constraints c = t(new GreaterThan("lon", -30.0), new LessThanOrEqual("lon", 20.0f)).constraints;
    assertEquals(-30.0, c.west);
    assertEquals(20.0, c.east);
    assertArrayEquals(new double[] {-30, -90, 20, 90}, c.bbox());
  }

  @Test
  void boundsIntersectAndNestedAndIsPushed() {
    FilterTranslator.Result r = t(new And(new GreaterThan("lat", 0.0), new GreaterThan("lat", 5.0)), new LessThan("lat", 60.0), new LessThan("lat", 50.0));
    assertEquals(5.0, r.constraints.south);
    assertEquals(50.0, r.constraints.north);
    assertEquals(3, r.pushed.size());
  }

  @Test
  void unusableFiltersAreNotPushed() {
    FilterTranslator.Result r = t(new IsNotNull("uo"), new GreaterThan("uo", 0.1), new Or(new LessThan("lat", 0.0), new GreaterThan("lat", 10.0)), new GreaterThan("lat", "x"));
    assertEquals(0, r.pushed.size());
    assertNull(r.constraints.bbox());
  }

  @Test
  void optionsIntersectWithFilters() {
    FilterTranslator.Constraints c = t(new GreaterThan("lat", 20.0), new GreaterThan("time", Timestamp.from(T1))).constraints;
    c.intersectWith(WekeoOptions.parse(java.util.Map.of("dataset", "d", "bbox", "-10,30,10,40", "start", "2024-01-01", "end", "2024-01-10")));
    assertArrayEquals(new double[] {-10, 30, 10, 40}, c.bbox());
    assertEquals(T1, c.start);
    assertEquals(Instant.parse("2024-01-10T00:00:00Z"), c.end);
  }

  @Test
  void contradictoryAndOutOfRangeBounds() {
    assertTrue(t(new GreaterThan("lat", 50.0), new LessThan("lat", 40.0)).constraints.isEmpty());
    assertTrue(t(new GreaterThan("lat", 100.0)).constraints.isEmpty());
    assertTrue(t(new GreaterThan("lon", 50.0), new LessThan("lon", 30.0)).constraints.isEmpty(), "raw longitudes, not a wrap");
    assertTrue(t(new GreaterThan("time", Timestamp.from(T2)), new LessThan("time", Timestamp.from(T1))).constraints.isEmpty());
    assertTrue(t(new EqualTo("level", 500.0), new EqualTo("level", 850.0)).constraints.isEmpty());
    FilterTranslator.Constraints c = t(new GreaterThanOrEqual("lat", -100.0), new GreaterThan("lon", -400.0)).constraints;
    assertTrue(!c.isEmpty());
    assertNull(c.bbox(), "the whole globe is no bbox");
    assertArrayEquals(new double[] {-180, -90, 360, 45}, t(new GreaterThanOrEqual("lat", -100.0), new LessThan("lat", 45.0)).constraints.bbox());
  }

  @Test
  void levelsAndNumbers() {
    FilterTranslator.Constraints c = t(new In("level", new Object[] {500.0, 850.0, 1000.0}), new LessThan("level", 900.0), new In("number", new Object[] {5, 2, null})).constraints;
    assertEquals(java.util.List.of(500.0, 850.0), c.levels());
    assertEquals(java.util.List.of(2L, 5L), c.numbers());
    FilterTranslator.Constraints r = t(new GreaterThanOrEqual("level", 300.0), new GreaterThan("number", 1.5), new LessThanOrEqual("number", 4)).constraints;
    assertArrayEquals(new double[] {300.0, Double.NaN}, (double[]) r.levels());
    assertEquals(java.util.List.of(2L, 3L, 4L), r.numbers());
    assertEquals("{\"dataset\":\"d\",\"levels\":{\"min\":300.0},\"numbers\":[2,3,4]}",
        QueryBuilder.toJson(WekeoOptions.parse(java.util.Map.of("dataset", "d")), r, null, null));
  }

  @Test
  void queryJsonEscapesAndOrders() {
    assertEquals("{\"dataset\":\"a\\\"b\",\"bbox\":[-10.0,30.0,10.5,40.0],\"start\":\"2024-01-01T00:00:00Z\",\"variables\":[\"uo\"]}",
        QueryBuilder.toJson("a\"b", new double[] {-10, 30, 10.5, 40}, "2024-01-01T00:00:00Z", null, java.util.List.of("uo")));
  }
}

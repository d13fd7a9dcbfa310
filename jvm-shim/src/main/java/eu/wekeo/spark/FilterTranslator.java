package eu.wekeo.spark;

import java.io.Serializable;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.sources.And;
import org.apache.spark.sql.sources.EqualTo;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.sources.GreaterThan;
import org.apache.spark.sql.sources.GreaterThanOrEqual;
import org.apache.spark.sql.sources.LessThan;
import org.apache.spark.sql.sources.LessThanOrEqual;

/**
 * Turns Spark filters on {@code time}, {@code lat} and {@code lon} into the bridge's time range
 * and bbox. Bounds are inclusive supersets (a strict {@code >} becomes an inclusive start), which
 * is safe because every filter is also returned to Spark to re-check rows; the bridge uses them
 * to skip whole partitions and rows outside them.
 */
public final class FilterTranslator {
  private FilterTranslator() {}

  /** The constraints pushed so far; fields are null when unconstrained. */
  public static final class Constraints implements Serializable {
    private static final long serialVersionUID = 1L;
    public Instant start;
    public Instant end;
    public Double south;
    public Double north;
    public Double west;
    public Double east;

    public boolean hasBbox() {
      return south != null || north != null || west != null || east != null;
    }

    /** The bbox for the bridge query, filling unconstrained sides with the widest values. */
    public double[] bbox() {
      if (!hasBbox()) return null;
      return new double[] {
        west != null ? west : -180.0, south != null ? south : -90.0, east != null ? east : 360.0, north != null ? north : 90.0
      };
    }

    /** Merges the query options' own bbox/time (both apply: the intersection). */
    public void intersectWith(WekeoOptions o) {
      if (o.bbox != null) {
        lower("lon", o.bbox[0]);
        lower("lat", o.bbox[1]);
        upper("lon", o.bbox[2]);
        upper("lat", o.bbox[3]);
      }
      if (o.start != null) startAt(Instant.parse(normalizeIso(o.start)));
      if (o.end != null) endAt(Instant.parse(normalizeIso(o.end)));
    }

    void lower(String col, double v) {
      if (col.equals("lat")) south = south == null ? v : Math.max(south, v);
      else west = west == null ? v : Math.max(west, v);
    }

    void upper(String col, double v) {
      if (col.equals("lat")) north = north == null ? v : Math.min(north, v);
      else east = east == null ? v : Math.min(east, v);
    }

    void startAt(Instant t) {
      if (start == null || t.isAfter(start)) start = t;
    }

    void endAt(Instant t) {
      if (end == null || t.isBefore(end)) end = t;
    }
  }

  /** Result of translating one filter array. */
  public static final class Result {
    public final Constraints constraints = new Constraints();
    public final List<Filter> pushed = new ArrayList<>();
  }

  public static Result translate(Filter[] filters) {
    Result r = new Result();
    for (Filter f : filters) if (apply(f, r.constraints)) r.pushed.add(f);
    return r;
  }

  /** Applies one filter; returns false when it says nothing the bridge can use. */
  static boolean apply(Filter f, Constraints c) {
    if (f instanceof And a) {
      // Both sides must be usable: pushing half an AND is still a valid superset, but report only full ones.
      Constraints probe = new Constraints();
      boolean left = apply(a.left(), probe);
      boolean right = apply(a.right(), probe);
      apply(a.left(), c);
      apply(a.right(), c);
      return left && right;
    }
    if (f instanceof GreaterThan g) return bound(g.attribute(), g.value(), c, true, false);
    if (f instanceof GreaterThanOrEqual g) return bound(g.attribute(), g.value(), c, true, false);
    if (f instanceof LessThan l) return bound(l.attribute(), l.value(), c, false, true);
    if (f instanceof LessThanOrEqual l) return bound(l.attribute(), l.value(), c, false, true);
    if (f instanceof EqualTo e) return bound(e.attribute(), e.value(), c, true, true);
    return false;
  }

  private static boolean bound(String attr, Object value, Constraints c, boolean lower, boolean upper) {
    switch (attr) {
      case "time" -> {
        Instant t = toInstant(value);
        if (t == null) return false;
        if (lower) c.startAt(t);
        if (upper) c.endAt(t);
        return true;
      }
      case "lat", "lon" -> {
        if (!(value instanceof Number n)) return false;
        double v = n.doubleValue();
        if (Double.isNaN(v)) return false;
        if (lower) c.lower(attr, v);
        if (upper) c.upper(attr, v);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  static Instant toInstant(Object v) {
    if (v instanceof Timestamp ts) return ts.toInstant();
    if (v instanceof Instant i) return i;
    if (v instanceof LocalDateTime ldt) return ldt.toInstant(ZoneOffset.UTC);
    if (v instanceof java.sql.Date d) return d.toLocalDate().atStartOfDay().toInstant(ZoneOffset.UTC);
    if (v instanceof java.time.LocalDate d) return d.atStartOfDay().toInstant(ZoneOffset.UTC);
    return null;
  }

  /** Accepts "2024-01-08", "2024-01-08T06:00" and full ISO instants; zone-less values are UTC. */
  static String normalizeIso(String s) {
    String t = s.trim();
    if (t.matches("\\d{4}-\\d{2}-\\d{2}")) return t + "T00:00:00Z";
    if (t.matches(".*[Zz]$") || t.matches(".*[+-]\\d{2}:?\\d{2}$")) return t;
    if (t.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}")) return t + ":00Z";
    return t + "Z";
  }
}

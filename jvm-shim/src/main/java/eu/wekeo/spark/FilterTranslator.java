package eu.wekeo.spark;

import java.io.Serializable;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.sql.connector.expressions.Expression;
import org.apache.spark.sql.connector.expressions.Literal;
import org.apache.spark.sql.connector.expressions.NamedReference;
import org.apache.spark.sql.connector.expressions.filter.Predicate;
import org.apache.spark.sql.sources.And;
import org.apache.spark.sql.sources.EqualTo;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.sources.GreaterThan;
import org.apache.spark.sql.sources.GreaterThanOrEqual;
import org.apache.spark.sql.sources.In;
import org.apache.spark.sql.sources.LessThan;
import org.apache.spark.sql.sources.LessThanOrEqual;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * Turns Spark predicates on {@code time}, {@code lat}, {@code lon}, {@code level} and
 * {@code number} into the bridge query's time range, bbox, levels and numbers. Bounds are
 * inclusive supersets (a strict {@code >} becomes an inclusive start), which is safe because
 * every predicate is also returned to Spark to re-check rows; the bridge uses them to skip whole
 * partitions and rows outside them. Contradictory bounds ({@code lat > 50 AND lat < 40}) make the
 * query empty; bounds outside the globe are clamped to it.
 */
public final class FilterTranslator {
  private FilterTranslator() {}

  /** Largest member range turned into a list of members (the bridge takes lists). */
  static final int MAX_NUMBER_RANGE = 10_000;

  /** The constraints pushed so far; fields are null when unconstrained. */
  public static final class Constraints implements Serializable {
    private static final long serialVersionUID = 2L;
    public Instant start;
    public Instant end;
    public Double south;
    public Double north;
    public Double west;
    public Double east;
    public Double levelMin;
    public Double levelMax;
    /** Level values named by = / IN (intersected); null = no list. */
    public TreeSet<Double> levelSet;
    public Long numberMin;
    public Long numberMax;
    public TreeSet<Long> numberSet;
    /** An ALWAYS_FALSE (or a literal null comparison) was pushed. */
    public boolean never;

    public boolean hasBbox() {
      return south != null || north != null || west != null || east != null;
    }

    /** True when no row can satisfy the constraints: the scan plans no partition at all. */
    public boolean isEmpty() {
      if (never) return true;
      if (start != null && end != null && start.isAfter(end)) return true;
      if (south != null && (south > 90 || (north != null && south > north))) return true;
      if (north != null && north < -90) return true;
      // Spark compares raw longitudes: lon > 50 AND lon < 30 has no row (it is not a wrap).
      if (west != null && (west > 360 || (east != null && west > east))) return true;
      if (east != null && east < -360) return true;
      if (levelMin != null && levelMax != null && levelMin > levelMax) return true;
      if (levels() instanceof List<?> l && l.isEmpty()) return true;
      List<Long> n = numbers();
      return n != null && n.isEmpty();
    }

    /**
     * The bbox for the bridge (clamped to lat [-90, 90], lon [-360, 360]), filling unconstrained
     * sides so the box stays a superset whatever the grid's longitude convention; null = none.
     */
    public double[] bbox() {
      if (!hasBbox()) return null;
      double s = south == null ? -90 : Math.max(-90, south);
      double n = north == null ? 90 : Math.min(90, north);
      Double w = west == null ? null : Math.max(-360, west);
      Double e = east == null ? null : Math.min(360, east);
      double ww = w != null ? w : (e != null && e < -180 ? -360 : -180);
      double ee = e != null ? e : (ww > 180 ? 360 : Math.max(360, ww));
      if (ee - ww >= 360) {
        ww = -180;
        ee = 360;
        if (south == null && north == null) return null;
      }
      if (s <= -90 && n >= 90 && ee - ww >= 360) return null;
      return new double[] {ww, s, ee, n};
    }

    /** For the query's "levels": a sorted list, a {min,max} pair as double[2] (NaN = open), or null. */
    public Object levels() {
      if (levelSet != null) {
        List<Double> out = new ArrayList<>();
        for (Double v : levelSet) if ((levelMin == null || v >= levelMin) && (levelMax == null || v <= levelMax)) out.add(v);
        return out;
      }
      if (levelMin == null && levelMax == null) return null;
      return new double[] {levelMin == null ? Double.NaN : levelMin, levelMax == null ? Double.NaN : levelMax};
    }

    /** For the query's "numbers": a sorted list, or null when unconstrained or a range too wide to list. */
    public List<Long> numbers() {
      if (numberSet != null) {
        List<Long> out = new ArrayList<>();
        for (Long v : numberSet) if ((numberMin == null || v >= numberMin) && (numberMax == null || v <= numberMax)) out.add(v);
        return out;
      }
      if (numberMin != null && numberMax != null) {
        if (numberMin > numberMax) return List.of();
        if (numberMax - numberMin <= MAX_NUMBER_RANGE) {
          List<Long> out = new ArrayList<>();
          for (long v = numberMin; v <= numberMax; v++) out.add(v);
          return out;
        }
      }
      return null;
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
      switch (col) {
        case "lat" -> south = south == null ? v : Math.max(south, v);
        case "lon" -> west = west == null ? v : Math.max(west, v);
        case "level" -> levelMin = levelMin == null ? v : Math.max(levelMin, v);
        default -> {
          long c = (long) Math.ceil(v);
          numberMin = numberMin == null ? c : Math.max(numberMin, c);
        }
      }
    }

    void upper(String col, double v) {
      switch (col) {
        case "lat" -> north = north == null ? v : Math.min(north, v);
        case "lon" -> east = east == null ? v : Math.min(east, v);
        case "level" -> levelMax = levelMax == null ? v : Math.min(levelMax, v);
        default -> {
          long f = (long) Math.floor(v);
          numberMax = numberMax == null ? f : Math.min(numberMax, f);
        }
      }
    }

    /** = or IN on level/number (lat/lon/time equalities are a closed range instead). */
    void in(String col, List<Double> values) {
      if (col.equals("level")) {
        TreeSet<Double> s = new TreeSet<>(values);
        if (levelSet != null) s.retainAll(levelSet);
        levelSet = s;
      } else {
        TreeSet<Long> s = new TreeSet<>();
        for (double v : values) if (v == Math.rint(v)) s.add((long) v);
        if (numberSet != null) s.retainAll(numberSet);
        numberSet = s;
      }
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
    public final List<Predicate> pushedPredicates = new ArrayList<>();
  }

  // ---- V1 filters (Spark's sources.Filter: also the V1 relation path of CREATE TABLE on 3.5) ----

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
    if (f instanceof In in) return inList(in.attribute(), in.values(), c);
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
      case "lat", "lon", "level", "number" -> {
        if (!(value instanceof Number n)) return false;
        double v = n.doubleValue();
        if (Double.isNaN(v)) return false;
        if (lower && upper && (attr.equals("level") || attr.equals("number"))) {
          c.in(attr, List.of(v));
          return true;
        }
        if (lower) c.lower(attr, v);
        if (upper) c.upper(attr, v);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  private static boolean inList(String attr, Object[] values, Constraints c) {
    if (!attr.equals("level") && !attr.equals("number")) return false;
    List<Double> vs = new ArrayList<>();
    for (Object o : values) {
      if (o == null) continue; // IN (.., NULL) never matches through the null
      if (!(o instanceof Number n) || Double.isNaN(n.doubleValue())) return false;
      vs.add(n.doubleValue());
    }
    c.in(attr, vs);
    return true;
  }

  // ---- V2 predicates (SupportsPushDownV2Filters) ----

  public static Result translate(Predicate[] predicates) {
    Result r = new Result();
    for (Predicate p : predicates) if (apply(p, r.constraints)) r.pushedPredicates.add(p);
    return r;
  }

  static boolean apply(Predicate p, Constraints c) {
    String op = p.name();
    Expression[] ch = p.children();
    switch (op) {
      case "AND" -> {
        Constraints probe = new Constraints();
        boolean ok = apply((Predicate) ch[0], probe) & apply((Predicate) ch[1], probe);
        apply((Predicate) ch[0], c);
        apply((Predicate) ch[1], c);
        return ok;
      }
      case "ALWAYS_FALSE" -> {
        c.never = true;
        return true;
      }
      case "IN" -> {
        String col = column(ch[0]);
        if (col == null || (!col.equals("level") && !col.equals("number"))) return false;
        List<Double> vs = new ArrayList<>();
        for (int i = 1; i < ch.length; i++) {
          if (!(ch[i] instanceof Literal<?> l)) return false;
          if (l.value() == null) continue;
          Double d = number(l);
          if (d == null) return false;
          vs.add(d);
        }
        c.in(col, vs);
        return true;
      }
      case "=", "<", "<=", ">", ">=" -> {
        if (ch.length != 2) return false;
        String col = column(ch[0]);
        Expression litSide = ch[1];
        String o = op;
        if (col == null) {
          // literal on the left: 40 < lat is lat > 40
          col = column(ch[1]);
          litSide = ch[0];
          o = switch (op) {
            case "<" -> ">";
            case "<=" -> ">=";
            case ">" -> "<";
            case ">=" -> "<=";
            default -> op;
          };
        }
        if (col == null || !(litSide instanceof Literal<?> lit)) return false;
        if (lit.value() == null) {
          c.never = true; // a comparison with NULL is never true
          return true;
        }
        boolean lower = o.equals("=") || o.startsWith(">");
        boolean upper = o.equals("=") || o.startsWith("<");
        if (col.equals("time")) {
          Instant t = instant(lit);
          if (t == null) return false;
          if (lower) c.startAt(t);
          if (upper) c.endAt(t);
          return true;
        }
        if (!col.equals("lat") && !col.equals("lon") && !col.equals("level") && !col.equals("number")) return false;
        Double v = number(lit);
        if (v == null || v.isNaN()) return false;
        if (o.equals("=") && (col.equals("level") || col.equals("number"))) {
          c.in(col, List.of(v));
          return true;
        }
        if (lower) c.lower(col, v);
        if (upper) c.upper(col, v);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  private static String column(Expression e) {
    if (e instanceof NamedReference r && r.fieldNames().length == 1) return r.fieldNames()[0];
    return null;
  }

  private static Double number(Literal<?> l) {
    Object v = l.value();
    DataType t = l.dataType();
    if (v instanceof Number n && (t.equals(DataTypes.DoubleType) || t.equals(DataTypes.FloatType) || t.equals(DataTypes.IntegerType)
        || t.equals(DataTypes.LongType) || t.equals(DataTypes.ShortType) || t.equals(DataTypes.ByteType))) {
      return n.doubleValue();
    }
    if (v instanceof org.apache.spark.sql.types.Decimal d) return d.toDouble();
    return null;
  }

  /** V2 timestamp literals are microseconds since the epoch (UTC); dates are days. */
  private static Instant instant(Literal<?> l) {
    Object v = l.value();
    if (v instanceof Long micros && l.dataType().equals(DataTypes.TimestampType)) {
      return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    }
    if (v instanceof Integer days && l.dataType().equals(DataTypes.DateType)) return Instant.ofEpochSecond(days * 86400L);
    return null;
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
    String t = s.trim().replace(' ', 'T');
    if (t.matches("\\d{4}-\\d{2}-\\d{2}")) return t + "T00:00:00Z";
    if (t.matches(".*[Zz]$") || t.matches(".*[+-]\\d{2}:?\\d{2}$")) return t;
    if (t.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}")) return t + ":00Z";
    return t + "Z";
  }
}

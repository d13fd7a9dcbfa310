package eu.wekeo.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.connector.expressions.NamedReference;
import org.apache.spark.sql.connector.expressions.aggregate.AggregateFunc;
import org.apache.spark.sql.connector.expressions.aggregate.Aggregation;
import org.apache.spark.sql.connector.expressions.aggregate.Count;
import org.apache.spark.sql.connector.expressions.aggregate.CountStar;
import org.apache.spark.sql.connector.expressions.filter.Predicate;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.read.SupportsPushDownAggregates;
import org.apache.spark.sql.connector.read.SupportsPushDownRequiredColumns;
import org.apache.spark.sql.connector.read.SupportsPushDownV2Filters;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Pushdown: predicates on time/lat/lon/level/number become the query's time range, bbox, levels
 * and numbers (and are all still returned to Spark, which re-checks them); the required columns,
 * coordinates included, become the query's variables and columns, so the bridge sends only those.
 * COUNT(*) without GROUP BY (and COUNT of a column that cannot be null) is answered on the driver
 * from the bridge's planned row count when the bridge says it is exact: no partition, no DoGet.
 * Spark offers aggregates only when no filter is left for it to re-check, that is, without WHERE.
 */
public final class WekeoScanBuilder implements ScanBuilder, SupportsPushDownV2Filters, SupportsPushDownRequiredColumns, SupportsPushDownAggregates {
  /** Fallback for bridges that do not tag fields: the points-layout coordinate names. */
  static final Set<String> COORDINATES = Set.of("time", "lat", "lon", "level", "x", "y", "number", "reference_time", "step", "level_type",
      "tile_y", "tile_x", "lat_min", "lat_max", "lon_min", "lon_max");

  /** The bridge tags each field with metadata wekeo.role = coordinate | variable. */
  static boolean isVariable(StructField f) {
    if (f.metadata().contains("wekeo.role")) return "variable".equals(f.metadata().getString("wekeo.role"));
    return !COORDINATES.contains(f.name());
  }

  private final WekeoOptions options;
  private final StructType fullSchema;
  private StructType required;
  private FilterTranslator.Result filters = FilterTranslator.translate(new Predicate[0]);
  private Predicate[] given = new Predicate[0];
  /** The pushed count aggregation and its answer; null when none was pushed. */
  private Aggregation pushedAggregation;
  private long count;

  WekeoScanBuilder(WekeoOptions options, StructType schema) {
    this.options = options;
    this.fullSchema = schema;
    this.required = schema;
  }

  @Override
  public Predicate[] pushPredicates(Predicate[] predicates) {
    given = predicates;
    filters = FilterTranslator.translate(predicates);
    return predicates; // all of them are re-checked by Spark: the bridge prunes with inclusive supersets
  }

  @Override
  public Predicate[] pushedPredicates() {
    return filters.pushedPredicates.toArray(new Predicate[0]);
  }

  @Override
  public void pruneColumns(StructType requiredSchema) {
    this.required = requiredSchema;
  }

  /** Only counts: all rows, or a column that is never null (the same number), and only complete (no Spark aggregate on top). */
  @Override
  public boolean supportCompletePushDown(Aggregation aggregation) {
    if (!options.pushDownAggregate || given.length > 0 || aggregation.groupByExpressions().length > 0) return false;
    for (AggregateFunc f : aggregation.aggregateExpressions()) {
      if (f instanceof CountStar) continue;
      if (f instanceof Count c && !c.isDistinct() && c.column() instanceof NamedReference r && neverNull(r)) continue;
      return false;
    }
    return aggregation.aggregateExpressions().length > 0;
  }

  private boolean neverNull(NamedReference r) {
    String[] names = r.fieldNames();
    if (names.length != 1) return false;
    for (StructField f : fullSchema.fields()) if (f.name().equals(names[0])) return !f.nullable();
    return false;
  }

  /** Asks the bridge for the row count of the scan's query; pushed only when exact (else Spark counts the rows read). */
  @Override
  public boolean pushAggregation(Aggregation aggregation) {
    if (!supportCompletePushDown(aggregation)) return false;
    FilterTranslator.Constraints c = constraints();
    if (c.isEmpty()) {
      count = 0;
    } else {
      // The query of a full scan (every variable, so every group it reads) sending no column.
      try (FlightSession s = FlightSession.open(options)) {
        FlightSession.Count n = s.count(QueryBuilder.toJson(options, c, variablesFor(fullSchema), List.of()));
        if (!n.exact()) return false;
        count = n.rows();
      }
    }
    pushedAggregation = aggregation;
    return true;
  }

  private FilterTranslator.Constraints constraints() {
    FilterTranslator.Constraints c = filters.constraints;
    c.intersectWith(options);
    return c;
  }

  @Override
  public Scan build() {
    if (pushedAggregation != null) return new WekeoCountScan(options, pushedAggregation, count);
    FilterTranslator.Constraints c = constraints();
    return new WekeoScan(options, required, variablesFor(required), columnsFor(required), c, pushedPredicates(), given);
  }

  /**
   * Variables to decode: the data columns Spark needs. With none needed (count(*), or only
   * coordinates) one variable is still decoded so the rows exist, but not sent (see columnsFor).
   */
  private List<String> variablesFor(StructType req) {
    List<String> vars = new ArrayList<>();
    for (StructField f : req.fields()) if (isVariable(f)) vars.add(f.name());
    if (vars.isEmpty()) {
      if (!options.variables.isEmpty()) return List.of(options.variables.get(0));
      for (StructField f : fullSchema.fields()) {
        if (isVariable(f)) {
          vars.add(f.name());
          break;
        }
      }
    }
    return vars;
  }

  /** Columns to send: exactly the required ones (maybe none, for a count); null when all are required. */
  private List<String> columnsFor(StructType req) {
    if (req.fields().length == fullSchema.fields().length) return null;
    List<String> cols = new ArrayList<>();
    for (StructField f : req.fields()) cols.add(f.name());
    return cols;
  }
}

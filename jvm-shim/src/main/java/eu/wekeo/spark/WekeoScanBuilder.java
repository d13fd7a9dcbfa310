package eu.wekeo.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.connector.expressions.filter.Predicate;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.read.SupportsPushDownRequiredColumns;
import org.apache.spark.sql.connector.read.SupportsPushDownV2Filters;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Pushdown: predicates on time/lat/lon/level/number become the query's time range, bbox, levels
 * and numbers (and are all still returned to Spark, which re-checks them); the required columns,
 * coordinates included, become the query's variables and columns, so the bridge sends only those.
 */
public final class WekeoScanBuilder implements ScanBuilder, SupportsPushDownV2Filters, SupportsPushDownRequiredColumns {
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

  @Override
  public Scan build() {
    FilterTranslator.Constraints c = filters.constraints;
    c.intersectWith(options);
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

package eu.wekeo.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.read.SupportsPushDownFilters;
import org.apache.spark.sql.connector.read.SupportsPushDownRequiredColumns;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Pushdown: filters on time/lat/lon become the query's time range and bbox (and are still
 * returned to Spark, which re-checks them); the required columns choose the variables.
 */
public final class WekeoScanBuilder implements ScanBuilder, SupportsPushDownFilters, SupportsPushDownRequiredColumns {
  /** Fallback for bridges that do not tag fields: the points-layout coordinate names. */
  static final Set<String> COORDINATES = Set.of("time", "lat", "lon", "level", "x", "y", "number", "reference_time", "step");

  /** The bridge tags each field with metadata wekeo.role = coordinate | variable. */
  static boolean isVariable(StructField f) {
    if (f.metadata().contains("wekeo.role")) return "variable".equals(f.metadata().getString("wekeo.role"));
    return !COORDINATES.contains(f.name());
  }

  private final WekeoOptions options;
  private final StructType fullSchema;
  private StructType required;
  private FilterTranslator.Result filters = FilterTranslator.translate(new Filter[0]);

  WekeoScanBuilder(WekeoOptions options, StructType schema) {
    this.options = options;
    this.fullSchema = schema;
    this.required = schema;
  }

  @Override
  public Filter[] pushFilters(Filter[] given) {
    filters = FilterTranslator.translate(given);
    return given; // all of them are re-checked by Spark: the bridge prunes, it does not promise exactness
  }

  @Override
  public Filter[] pushedFilters() {
    return filters.pushed.toArray(new Filter[0]);
  }

  @Override
  public void pruneColumns(StructType requiredSchema) {
    this.required = requiredSchema;
  }

  @Override
  public Scan build() {
    FilterTranslator.Constraints c = filters.constraints;
    c.intersectWith(options);
    return new WekeoScan(options, required, variablesFor(required), c, pushedFilters());
  }

  /**
   * Variables to request: the data columns Spark needs. With none needed (count(*), or only
   * coordinates) one variable is still read so the rows exist; with no `variables` option and all
   * columns required, every variable is read.
   */
  private List<String> variablesFor(StructType req) {
    List<String> vars = new ArrayList<>();
    for (StructField f : req.fields()) if (isVariable(f)) vars.add(f.name());
    if (vars.isEmpty()) {
      for (StructField f : fullSchema.fields()) {
        if (isVariable(f)) {
          vars.add(f.name());
          break;
        }
      }
    }
    return vars;
  }
}

package eu.wekeo.spark;

import java.util.Arrays;
import java.util.Map;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.sources.And;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.EqualTo;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.sources.GreaterThan;
import org.apache.spark.sql.sources.GreaterThanOrEqual;
import org.apache.spark.sql.sources.In;
import org.apache.spark.sql.sources.LessThan;
import org.apache.spark.sql.sources.LessThanOrEqual;
import org.apache.spark.sql.sources.PrunedFilteredScan;
import org.apache.spark.sql.types.StructType;

/**
 * The V1 face of a wekeo table (Spark 3.5's session catalog reads CREATE TABLE ... USING wekeo
 * tables through V1): each scan is the V2 read of the same options with the pruned columns and
 * the translatable filters applied as Columns, so pushdown happens in the V2 scan as usual. Spark
 * re-applies every filter after the relation (unhandledFilters is left at its default: all).
 */
final class WekeoRelation extends BaseRelation implements PrunedFilteredScan {
  private final SQLContext sqlContext;
  private final Map<String, String> options;
  private final StructType schema;

  WekeoRelation(SQLContext sqlContext, Map<String, String> options, StructType schema) {
    this.sqlContext = sqlContext;
    this.options = options;
    this.schema = schema;
  }

  @Override
  public SQLContext sqlContext() {
    return sqlContext;
  }

  @Override
  public StructType schema() {
    return schema;
  }

  @Override
  public RDD<Row> buildScan(String[] requiredColumns, Filter[] filters) {
    Dataset<Row> df = sqlContext.sparkSession().read().format(WekeoDataSource.class.getName()).options(options).load();
    for (Filter f : filters) {
      Column c = toColumn(f);
      if (c != null) df = df.where(c);
    }
    return df.select(Arrays.stream(requiredColumns).map(functions::col).toArray(Column[]::new)).rdd();
  }

  /** The filter forms the V2 scan pushes, as Columns; null for the others (Spark applies them after). */
  static Column toColumn(Filter f) {
    if (f instanceof And a) {
      Column l = toColumn(a.left());
      Column r = toColumn(a.right());
      return l == null ? r : r == null ? l : l.and(r);
    }
    if (f instanceof EqualTo e) return functions.col(e.attribute()).equalTo(functions.lit(e.value()));
    if (f instanceof GreaterThan g) return functions.col(g.attribute()).gt(functions.lit(g.value()));
    if (f instanceof GreaterThanOrEqual g) return functions.col(g.attribute()).geq(functions.lit(g.value()));
    if (f instanceof LessThan l) return functions.col(l.attribute()).lt(functions.lit(l.value()));
    if (f instanceof LessThanOrEqual l) return functions.col(l.attribute()).leq(functions.lit(l.value()));
    if (f instanceof In in) return functions.col(in.attribute()).isin(in.values());
    return null;
  }
}

package eu.wekeo.spark;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.connector.expressions.aggregate.AggregateFunc;
import org.apache.spark.sql.connector.expressions.aggregate.Aggregation;
import org.apache.spark.sql.connector.read.LocalScan;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A pushed COUNT: one row on the driver, each aggregate the bridge's exact row count (they are all
 * counts of rows, see WekeoScanBuilder), so Spark plans a LocalTableScan with no task and no DoGet.
 */
final class WekeoCountScan implements LocalScan {
  private final WekeoOptions options;
  private final Aggregation aggregation;
  private final long count;

  WekeoCountScan(WekeoOptions options, Aggregation aggregation, long count) {
    this.options = options;
    this.aggregation = aggregation;
    this.count = count;
  }

  /** One long column per aggregate, in order: Spark maps the aggregates to these by position. */
  @Override
  public StructType readSchema() {
    AggregateFunc[] aggs = aggregation.aggregateExpressions();
    StructField[] fields = new StructField[aggs.length];
    for (int i = 0; i < aggs.length; i++) fields[i] = DataTypes.createStructField(aggs[i].toString(), DataTypes.LongType, false);
    return new StructType(fields);
  }

  @Override
  public InternalRow[] rows() {
    Object[] values = new Object[aggregation.aggregateExpressions().length];
    Arrays.fill(values, count);
    return new InternalRow[] {new GenericInternalRow(values)};
  }

  @Override
  public String description() {
    String aggs = Arrays.stream(aggregation.aggregateExpressions()).map(AggregateFunc::toString).collect(Collectors.joining(", ", "[", "]"));
    return "wekeo[endpoint=" + options.endpoint + ", dataset=" + options.dataset + ", PushedAggregation: " + aggs + ", rows=" + count + "]";
  }
}

package eu.wekeo.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.Location;
import org.apache.spark.sql.connector.expressions.filter.Predicate;
import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.Statistics;
import org.apache.spark.sql.connector.read.SupportsReportStatistics;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A planned read: GetFlightInfo once on the driver (cached: statistics and partitions share it),
 * one Spark partition per Flight endpoint. An empty query (contradictory filters) plans no
 * partition and never calls the bridge.
 */
public final class WekeoScan implements Scan, Batch, SupportsReportStatistics {
  private final WekeoOptions options;
  private final StructType readSchema;
  private final List<String> variables;
  private final List<String> columns;
  private final FilterTranslator.Constraints constraints;
  private final Predicate[] pushed;
  private final Predicate[] given;
  private FlightInfo info;

  WekeoScan(WekeoOptions options, StructType readSchema, List<String> variables, List<String> columns, FilterTranslator.Constraints constraints,
      Predicate[] pushed, Predicate[] given) {
    this.options = options;
    this.readSchema = readSchema;
    this.variables = variables;
    this.columns = columns;
    this.constraints = constraints;
    this.pushed = pushed;
    this.given = given;
  }

  /** The JSON query sent to the bridge. */
  String query() {
    return QueryBuilder.toJson(options, constraints, variables, columns);
  }

  boolean isEmpty() {
    return constraints.isEmpty();
  }

  @Override
  public StructType readSchema() {
    return readSchema;
  }

  @Override
  public String description() {
    String p = Arrays.stream(pushed).map(Predicate::toString).collect(Collectors.joining(", ", "[", "]"));
    String g = Arrays.stream(given).map(Predicate::toString).collect(Collectors.joining(", ", "[", "]"));
    return "wekeo[endpoint=" + options.endpoint + ", " + (isEmpty() ? "empty (no partitions), " : "") + "query=" + query()
        + ", pushedFilters=" + p + ", recheckedBySpark=" + g + "]";
  }

  @Override
  public Batch toBatch() {
    return this;
  }

  private synchronized FlightInfo info() {
    if (info == null) {
      try (FlightSession s = FlightSession.open(options)) {
        info = s.info(query());
      }
    }
    return info;
  }

  @Override
  public InputPartition[] planInputPartitions() {
    if (isEmpty()) return new InputPartition[0];
    List<InputPartition> parts = new ArrayList<>();
    for (FlightEndpoint e : info().getEndpoints()) {
      List<String> uris = new ArrayList<>();
      for (Location l : e.getLocations()) uris.add(l.getUri().toString());
      parts.add(new WekeoInputPartition(e.getTicket().getBytes(), uris.toArray(new String[0])));
    }
    return parts.toArray(new InputPartition[0]);
  }

  @Override
  public PartitionReaderFactory createReaderFactory() {
    return new WekeoPartitionReaderFactory(options, readSchema);
  }

  /** Rows and bytes from FlightInfo (bytes estimated from the column widths when the bridge gives none). */
  @Override
  public Statistics estimateStatistics() {
    if (isEmpty()) return stats(0, 0);
    FlightInfo i = info();
    long rows = Math.max(0, i.getRecords());
    long bytes = i.getBytes();
    if (bytes < 0) {
      long perRow = 0;
      for (StructField f : readSchema.fields()) perRow += f.dataType().defaultSize();
      bytes = rows * Math.max(1, perRow);
    }
    return stats(rows, bytes);
  }

  private static Statistics stats(long rows, long bytes) {
    return new Statistics() {
      @Override
      public OptionalLong sizeInBytes() {
        return OptionalLong.of(bytes);
      }

      @Override
      public OptionalLong numRows() {
        return OptionalLong.of(rows);
      }
    };
  }

  @Override
  public CustomMetric[] supportedCustomMetrics() {
    return WekeoMetrics.all();
  }
}

package eu.wekeo.spark;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.Location;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.StructType;

/** A planned read: GetFlightInfo once on the driver, one Spark partition per Flight endpoint. */
public final class WekeoScan implements Scan, Batch {
  private final WekeoOptions options;
  private final StructType readSchema;
  private final List<String> variables;
  private final FilterTranslator.Constraints constraints;
  private final Filter[] pushed;

  WekeoScan(WekeoOptions options, StructType readSchema, List<String> variables, FilterTranslator.Constraints constraints, Filter[] pushed) {
    this.options = options;
    this.readSchema = readSchema;
    this.variables = variables;
    this.constraints = constraints;
    this.pushed = pushed;
  }

  /** The JSON query sent to the bridge. */
  String query() {
    return QueryBuilder.toJson(options.dataset, constraints.bbox(), iso(constraints.start), iso(constraints.end), variables);
  }

  private static String iso(Instant t) {
    return t == null ? null : t.toString();
  }

  @Override
  public StructType readSchema() {
    return readSchema;
  }

  @Override
  public String description() {
    return "wekeo[endpoint=" + options.endpoint + ", query=" + query() + ", pushedFilters="
        + Arrays.stream(pushed).map(Filter::toString).collect(Collectors.joining(", ", "[", "]")) + "]";
  }

  @Override
  public Batch toBatch() {
    return this;
  }

  @Override
  public InputPartition[] planInputPartitions() {
    try (FlightSession s = FlightSession.open(options.endpoint)) {
      FlightInfo info = s.info(query());
      List<InputPartition> parts = new ArrayList<>();
      for (FlightEndpoint e : info.getEndpoints()) {
        List<String> uris = new ArrayList<>();
        for (Location l : e.getLocations()) uris.add(l.getUri().toString());
        parts.add(new WekeoInputPartition(e.getTicket().getBytes(), uris.toArray(new String[0])));
      }
      return parts.toArray(new InputPartition[0]);
    }
  }

  @Override
  public PartitionReaderFactory createReaderFactory() {
    return new WekeoPartitionReaderFactory(options.endpoint, readSchema);
  }
}

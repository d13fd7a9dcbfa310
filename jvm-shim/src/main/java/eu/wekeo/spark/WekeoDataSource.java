package eu.wekeo.spark;

import java.util.Map;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * Entry point of {@code spark.read.format("wekeo")}: asks the bridge for the schema of the
 * dataset (Flight GetSchema) and hands out a {@link WekeoTable}.
 */
public final class WekeoDataSource implements TableProvider, DataSourceRegister {
  @Override
  public String shortName() {
    return "wekeo";
  }

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    WekeoOptions o = WekeoOptions.parse(options);
    try (FlightSession s = FlightSession.open(o.endpoint)) {
      return ArrowSchemas.toSpark(s.schema(QueryBuilder.toJson(o.dataset, o.bbox, o.start, o.end, o.variables)));
    }
  }

  @Override
  public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
    return new WekeoTable(WekeoOptions.parse(properties), schema);
  }

  @Override
  public boolean supportsExternalMetadata() {
    return false;
  }
}

package eu.wekeo.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.sources.RelationProvider;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * Entry point of {@code spark.read.format("wekeo")}: asks the bridge for the schema of the
 * dataset (Flight GetSchema) and hands out a {@link WekeoTable} (DataSource V2).
 *
 * <p>It is also a V1 {@link RelationProvider}: Spark 3.5 resolves {@code CREATE TABLE ... USING
 * wekeo} tables of the session catalog through V1 only, and without it fails with "wekeo is not a
 * valid Spark SQL Data Source". The relation reads through the same V2 scan.
 */
public final class WekeoDataSource implements TableProvider, DataSourceRegister, RelationProvider {
  @Override
  public String shortName() {
    return "wekeo";
  }

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    return schemaOf(WekeoOptions.parse(options));
  }

  static StructType schemaOf(WekeoOptions o) {
    try (FlightSession s = FlightSession.open(o)) {
      return ArrowSchemas.toSpark(s.schema(QueryBuilder.schemaJson(o)));
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

  @Override
  @SuppressWarnings("deprecation")
  public BaseRelation createRelation(SQLContext sqlContext, scala.collection.immutable.Map<String, String> parameters) {
    Map<String, String> options = new LinkedHashMap<>(scala.collection.JavaConverters.mapAsJavaMap(parameters));
    WekeoOptions o = WekeoOptions.parse(options);
    return new WekeoRelation(sqlContext, options, schemaOf(o));
  }
}

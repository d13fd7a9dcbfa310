package eu.wekeo.spark;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.FlightInfo;
import org.apache.spark.sql.catalyst.analysis.NoSuchTableException;
import org.apache.spark.sql.connector.catalog.Identifier;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCatalog;
import org.apache.spark.sql.connector.catalog.TableChange;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * A read-only catalog of one bridge's datasets: {@code spark.sql.catalog.wekeo =
 * eu.wekeo.spark.WekeoCatalog} with {@code .endpoint}, {@code .token} (and the other source
 * options) makes {@code SHOW TABLES IN wekeo} list the bridge's datasets (ListFlights) and
 * {@code SELECT ... FROM wekeo.`era5-pressure-levels`} read one. Tables live in the root namespace.
 */
public final class WekeoCatalog implements TableCatalog {
  private String name;
  private Map<String, String> options = new LinkedHashMap<>();

  @Override
  public void initialize(String name, CaseInsensitiveStringMap options) {
    this.name = name;
    this.options = new LinkedHashMap<>(options.asCaseSensitiveMap());
    WekeoOptions.parse(this.options, false); // bad catalog options fail at first use, naming the option
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Identifier[] listTables(String[] namespace) {
    if (namespace.length > 0) return new Identifier[0];
    List<Identifier> out = new ArrayList<>();
    try (FlightSession s = FlightSession.open(WekeoOptions.parse(options, false))) {
      for (FlightInfo i : s.list()) {
        List<String> path = i.getDescriptor().getPath();
        // PATH [dataset, group] flights are a dataset's variable groups, not tables of their own (yet).
        if (path.size() == 1) out.add(Identifier.of(new String[0], path.get(0)));
        else if (!path.isEmpty()) continue;
        else if (i.getDescriptor().getCommand() != null) out.add(Identifier.of(new String[0], new String(i.getDescriptor().getCommand(), StandardCharsets.UTF_8)));
      }
    }
    return out.toArray(new Identifier[0]);
  }

  @Override
  public Table loadTable(Identifier ident) throws NoSuchTableException {
    if (ident.namespace().length > 0) throw new NoSuchTableException(ident);
    Map<String, String> o = new LinkedHashMap<>(options);
    o.put("dataset", ident.name());
    WekeoOptions opts = WekeoOptions.parse(o);
    StructType schema;
    try {
      schema = WekeoDataSource.schemaOf(opts);
    } catch (WekeoBridgeException e) {
      if (e.notFound) throw new NoSuchTableException(ident);
      throw e;
    }
    return new WekeoTable(opts, schema);
  }

  private static UnsupportedOperationException readOnly() {
    return new UnsupportedOperationException("the wekeo catalog is read-only: its tables are the bridge's datasets");
  }

  @Override
  public Table createTable(Identifier ident, StructType schema, Transform[] partitions, Map<String, String> properties) {
    throw readOnly();
  }

  @Override
  public Table alterTable(Identifier ident, TableChange... changes) {
    throw readOnly();
  }

  @Override
  public boolean dropTable(Identifier ident) {
    throw readOnly();
  }

  @Override
  public void renameTable(Identifier oldIdent, Identifier newIdent) {
    throw readOnly();
  }
}

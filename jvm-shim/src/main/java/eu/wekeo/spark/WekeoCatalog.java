package eu.wekeo.spark;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
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
 * {@code SELECT ... FROM wekeo.`era5-pressure-levels`} read one. A dataset of several variable
 * groups is also a namespace holding one table per group (the bridge's PATH [dataset, group]
 * flights): {@code SELECT ... FROM wekeo.tlev.regular_ll_72x37_hybrid} reads that group only, as
 * {@code .option("group", ...)} does. {@code SHOW TABLES IN wekeo} lists the datasets and their
 * groups (namespace = the dataset), {@code SHOW TABLES IN wekeo.<dataset>} the dataset's groups.
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

  /** Every table: datasets in the root namespace, groups in the namespace of their dataset. */
  private List<Identifier> all() {
    List<Identifier> out = new ArrayList<>();
    try (FlightSession s = FlightSession.open(WekeoOptions.parse(options, false))) {
      for (FlightInfo i : s.list()) {
        List<String> path = i.getDescriptor().getPath();
        if (path.size() == 1) out.add(Identifier.of(new String[0], path.get(0)));
        else if (path.size() == 2) out.add(Identifier.of(new String[] {path.get(0)}, path.get(1)));
        else if (path.isEmpty() && i.getDescriptor().getCommand() != null) {
          out.add(Identifier.of(new String[0], new String(i.getDescriptor().getCommand(), StandardCharsets.UTF_8)));
        }
      }
    }
    return out;
  }

  @Override
  public Identifier[] listTables(String[] namespace) {
    List<Identifier> all = all();
    if (namespace.length == 0) return all.toArray(new Identifier[0]);
    return all.stream().filter(i -> Arrays.equals(i.namespace(), namespace)).toArray(Identifier[]::new);
  }

  @Override
  public Table loadTable(Identifier ident) throws NoSuchTableException {
    if (ident.namespace().length > 1) throw new NoSuchTableException(ident);
    boolean isGroup = ident.namespace().length == 1;
    Map<String, String> o = new LinkedHashMap<>(options);
    o.put("dataset", isGroup ? ident.namespace()[0] : ident.name());
    if (isGroup) o.put("group", ident.name());
    WekeoOptions opts = WekeoOptions.parse(o);
    StructType schema;
    try {
      schema = WekeoDataSource.schemaOf(opts);
    } catch (WekeoBridgeException e) {
      if (e.notFound) throw new NoSuchTableException(ident);
      // An unknown group is the bridge's "no variable group" query error: the catalog's own listing tells.
      if (isGroup && !e.unavailable && all().stream().noneMatch(i -> i.equals(ident))) throw new NoSuchTableException(ident);
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

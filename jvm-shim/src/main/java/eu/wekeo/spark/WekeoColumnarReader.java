package eu.wekeo.spark;

import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * Streams one ticket with DoGet and exposes each Arrow record batch to Spark as a ColumnarBatch of
 * Spark's ArrowColumnVector over the Flight buffers (no copies). Only the columns Spark asked for
 * are exposed, in its order.
 */
final class WekeoColumnarReader implements PartitionReader<ColumnarBatch> {
  private final FlightSession session;
  private final FlightStream stream;
  private final StructType schema;
  private ColumnarBatch current;

  WekeoColumnarReader(WekeoInputPartition partition, String fallbackEndpoint, StructType schema) {
    // An endpoint without a location is served by the bridge that planned it.
    String uri = partition.locations.length > 0 ? partition.locations[0] : fallbackEndpoint;
    this.session = FlightSession.open(uri);
    this.schema = schema;
    FlightStream s;
    try {
      s = session.stream(partition.ticket);
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
    this.stream = s;
  }

  @Override
  public boolean next() {
    if (!stream.next()) return false;
    VectorSchemaRoot root = stream.getRoot();
    ColumnVector[] cols = new ColumnVector[schema.fields().length];
    int i = 0;
    for (StructField f : schema.fields()) {
      FieldVector v = root.getVector(f.name());
      if (v == null) throw new IllegalStateException("bridge batch has no column " + f.name() + " (has " + root.getSchema() + ")");
      cols[i++] = new ArrowColumnVector(v);
    }
    current = new ColumnarBatch(cols, root.getRowCount());
    return true;
  }

  @Override
  public ColumnarBatch get() {
    return current;
  }

  @Override
  public void close() {
    try {
      stream.close();
    } catch (Exception e) {
      throw new RuntimeException("closing Flight stream: " + e.getMessage(), e);
    } finally {
      session.close();
    }
  }
}

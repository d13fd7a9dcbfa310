package eu.wekeo.spark;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * Streams one ticket with DoGet and exposes each Arrow record batch to Spark as a ColumnarBatch of
 * Spark's ArrowColumnVector over the Flight buffers (no copies). Only the columns Spark asked for
 * are exposed, in its order. When a location is UNAVAILABLE (a bridge stopped) the ticket is
 * streamed again from the endpoint's next location, skipping the rows already handed to Spark:
 * tickets are deterministic, so any instance serves the same rows in the same order.
 */
final class WekeoColumnarReader implements PartitionReader<ColumnarBatch> {
  private final WekeoInputPartition partition;
  private final WekeoOptions options;
  private final StructType schema;
  private final List<String> locations;
  private int location = -1;
  private FlightSession session;
  private FlightStream stream;
  private VectorSchemaRoot slice;
  private ColumnarBatch current;
  private long delivered;
  private long bytes;
  private long bridgeNanos;
  private long retries;
  private long skip;

  WekeoColumnarReader(WekeoInputPartition partition, WekeoOptions options, StructType schema) {
    this.partition = partition;
    this.options = options;
    this.schema = schema;
    // An endpoint without a location is served by the bridge that planned it.
    LinkedHashSet<String> locs = new LinkedHashSet<>(List.of(partition.locations));
    if (locs.isEmpty()) locs.add(options.endpoint);
    this.locations = new ArrayList<>(locs);
    openNext(null);
  }

  /** Opens the next location, or rethrows when none is left. */
  private void openNext(WekeoBridgeException cause) {
    closeStream();
    while (++location < locations.size()) {
      try {
        session = FlightSession.open(locations.get(location), options);
        stream = session.stream(partition.ticket);
        return;
      } catch (WekeoBridgeException e) {
        closeStream();
        if (!e.unavailable) throw e;
        cause = e;
      }
    }
    throw cause != null ? cause : new IllegalStateException("no location to read the partition from");
  }

  @Override
  public boolean next() {
    closeSlice();
    for (;;) {
      long t0 = System.nanoTime();
      try {
        for (;;) {
          boolean has = stream.next();
          bridgeNanos += System.nanoTime() - t0;
          if (!has) return false;
          VectorSchemaRoot root = stream.getRoot();
          int n = root.getRowCount();
          // After a retry the first `skip` rows were already given to Spark by the failed location.
          if (skip >= n) {
            skip -= n;
            t0 = System.nanoTime();
            continue;
          }
          VectorSchemaRoot use = root;
          if (skip > 0) {
            slice = root.slice((int) skip, n - (int) skip);
            use = slice;
            skip = 0;
          }
          expose(use);
          return true;
        }
      } catch (FlightRuntimeException e) {
        WekeoBridgeException w = FlightSession.translate(e, "DoGet", locations.get(location));
        if (!w.unavailable || location + 1 >= locations.size()) throw w;
        retries++;
        skip = delivered;
        openNext(w);
      }
    }
  }

  private void expose(VectorSchemaRoot root) {
    ColumnVector[] cols = new ColumnVector[schema.fields().length];
    int i = 0;
    for (StructField f : schema.fields()) {
      FieldVector v = root.getVector(f.name());
      if (v == null) throw new IllegalStateException("bridge batch has no column " + f.name() + " (has " + root.getSchema() + ")");
      cols[i++] = v instanceof FixedSizeListVector l ? new FixedSizeListColumnVector(l, f.dataType()) : new ArrowColumnVector(v);
      bytes += v.getBufferSize();
    }
    current = new ColumnarBatch(cols, root.getRowCount());
    delivered += root.getRowCount();
  }

  @Override
  public ColumnarBatch get() {
    return current;
  }

  @Override
  public CustomTaskMetric[] currentMetricsValues() {
    return new CustomTaskMetric[] {
      WekeoMetrics.task(WekeoMetrics.ROWS, delivered),
      WekeoMetrics.task(WekeoMetrics.BYTES, bytes),
      WekeoMetrics.task(WekeoMetrics.BRIDGE_MS, bridgeNanos / 1_000_000),
      WekeoMetrics.task(WekeoMetrics.RETRIES, retries),
    };
  }

  private void closeSlice() {
    if (slice != null) {
      slice.close();
      slice = null;
    }
  }

  private void closeStream() {
    closeSlice();
    try {
      if (stream != null) stream.close();
    } catch (Exception e) {
      // A stream of a bridge that went away cannot be closed cleanly; its buffers are released with the allocator.
    } finally {
      stream = null;
      if (session != null) {
        try {
          session.close();
        } catch (RuntimeException e) {
          // an allocator with buffers of a broken stream: nothing more to release here
        }
        session = null;
      }
    }
  }

  @Override
  public void close() {
    closeStream();
  }
}

package eu.wekeo.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The partition reader's resume on another location when a stream breaks mid-way, against real
 * in-process Flight servers: one that serves a ticket's rows in batches of 100 and goes
 * UNAVAILABLE after 3 of them (a bridge stopped mid-stream), one that serves the same 500 rows in
 * batches of 120. The reader must hand Spark every row exactly once, in order: the first 300 from
 * the broken stream, then the rest of the second one (skipping two batches and 60 rows of a third).
 * The cluster test covers the whole path with real bridges; this one the mid-stream case.
 */
class FailoverReaderTest {
  static final int ROWS = 500;
  static final Schema SCHEMA = new Schema(List.of(Field.nullable("v", new ArrowType.Int(32, true))));
  static BufferAllocator allocator;
  static FlightServer breaking;
  static FlightServer whole;
  static FlightServer refusing;

  /** Serves rows 0..ROWS-1 in batches of `batch`, failing with `failure` after `failAfter` batches (-1: never). */
  static final class Producer extends NoOpFlightProducer {
    final int batch;
    final int failAfter;
    final CallStatus failure;

    Producer(int batch, int failAfter, CallStatus failure) {
      this.batch = batch;
      this.failAfter = failAfter;
      this.failure = failure;
    }

    @Override
    public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
      try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
        listener.start(root);
        IntVector v = (IntVector) root.getVector("v");
        int sent = 0;
        for (int b = 0; sent < ROWS; b++) {
          if (b == failAfter) {
            listener.error(failure.withDescription("stopped mid-stream").toRuntimeException());
            return;
          }
          int n = Math.min(batch, ROWS - sent);
          v.allocateNew(n);
          for (int i = 0; i < n; i++) v.set(i, sent + i);
          root.setRowCount(n);
          listener.putNext();
          sent += n;
        }
        listener.completed();
      }
    }
  }

  static FlightServer start(Producer p) throws Exception {
    return FlightServer.builder(allocator, Location.forGrpcInsecure("127.0.0.1", 0), p).build().start();
  }

  static String uri(FlightServer s) {
    return "grpc://127.0.0.1:" + s.getPort();
  }

  @BeforeAll
  static void servers() throws Exception {
    allocator = new RootAllocator(Long.MAX_VALUE);
    breaking = start(new Producer(100, 3, CallStatus.UNAVAILABLE));
    whole = start(new Producer(120, -1, null));
    refusing = start(new Producer(100, 1, CallStatus.INVALID_ARGUMENT));
  }

  @AfterAll
  static void stop() throws Exception {
    for (FlightServer s : new FlightServer[] {breaking, whole, refusing}) if (s != null) s.close();
    allocator.close();
  }

  static WekeoOptions options(String endpoint) {
    return WekeoOptions.parse(Map.of("endpoint", endpoint, "dataset", "d"));
  }

  static final StructType SPARK_SCHEMA = new StructType().add("v", DataTypes.IntegerType);

  /** Every value the reader hands over, and its retries metric. */
  static long[] readAll(WekeoColumnarReader r, List<Integer> out) {
    try {
      while (r.next()) {
        ColumnarBatch b = r.get();
        for (int i = 0; i < b.numRows(); i++) out.add(b.column(0).getInt(i));
      }
      long retries = -1;
      long rows = -1;
      for (CustomTaskMetric m : r.currentMetricsValues()) {
        if (m.name().equals(WekeoMetrics.RETRIES)) retries = m.value();
        if (m.name().equals(WekeoMetrics.ROWS)) rows = m.value();
      }
      return new long[] {rows, retries};
    } finally {
      r.close();
    }
  }

  @Test
  void aStreamBrokenMidWayResumesOnTheNextLocationWithEveryRowOnce() {
    WekeoInputPartition p = new WekeoInputPartition(new byte[] {1}, new String[] {uri(breaking), uri(whole)});
    List<Integer> got = new ArrayList<>();
    long[] m = readAll(new WekeoColumnarReader(p, options(uri(breaking)), SPARK_SCHEMA), got);
    List<Integer> want = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) want.add(i);
    assertEquals(want, got);
    assertEquals(ROWS, m[0]);
    assertEquals(1, m[1]);
  }

  @Test
  void withoutAnotherLocationTheFailureNamesTheBridge() {
    WekeoInputPartition p = new WekeoInputPartition(new byte[] {1}, new String[] {uri(breaking)});
    WekeoBridgeException e = assertThrows(WekeoBridgeException.class, () -> readAll(new WekeoColumnarReader(p, options(uri(breaking)), SPARK_SCHEMA), new ArrayList<>()));
    assertTrue(e.getMessage().contains("no wekeo bridge answered at " + uri(breaking)), e.getMessage());
  }

  @Test
  void aQueryErrorIsNotRetriedElsewhere() {
    // Only UNAVAILABLE moves to the next location: a rejected ticket would be rejected there too.
    WekeoInputPartition p = new WekeoInputPartition(new byte[] {1}, new String[] {uri(refusing), uri(whole)});
    WekeoBridgeException e = assertThrows(WekeoBridgeException.class, () -> readAll(new WekeoColumnarReader(p, options(uri(refusing)), SPARK_SCHEMA), new ArrayList<>()));
    assertTrue(e.getMessage().contains("rejected the query: stopped mid-stream"), e.getMessage());
  }
}

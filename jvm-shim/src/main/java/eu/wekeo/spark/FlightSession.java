package eu.wekeo.spark;

import java.nio.charset.StandardCharsets;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/** A Flight client and its allocator, closed together. */
final class FlightSession implements AutoCloseable {
  /** Bridge messages are at most a few MiB; allow generous headroom. */
  private static final int MAX_INBOUND_MESSAGE_BYTES = 64 * 1024 * 1024;

  final BufferAllocator allocator;
  final FlightClient client;

  private FlightSession(BufferAllocator allocator, FlightClient client) {
    this.allocator = allocator;
    this.client = client;
  }

  static FlightSession open(String uri) {
    BufferAllocator allocator = new RootAllocator(Long.MAX_VALUE);
    try {
      Location loc = new Location(uri.replace("grpc+tcp://", "grpc://"));
      FlightClient client = FlightClient.builder(allocator, loc).maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES).build();
      return new FlightSession(allocator, client);
    } catch (RuntimeException | java.net.URISyntaxException e) {
      allocator.close();
      throw new IllegalArgumentException("cannot connect to wekeo bridge at " + uri + ": " + e.getMessage(), e);
    }
  }

  Schema schema(String queryJson) {
    return client.getSchema(command(queryJson)).getSchema();
  }

  FlightInfo info(String queryJson) {
    return client.getInfo(command(queryJson));
  }

  FlightStream stream(byte[] ticket) {
    return client.getStream(new Ticket(ticket));
  }

  static FlightDescriptor command(String json) {
    return FlightDescriptor.command(json.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    try {
      client.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      allocator.close();
    }
  }
}

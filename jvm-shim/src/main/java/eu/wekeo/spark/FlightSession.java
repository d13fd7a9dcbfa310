package eu.wekeo.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightCallHeaders;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.HeaderCallOption;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A Flight client for one bridge location and its allocator, closed together. Carries the
 * bearer token on every call and trusts the configured certificate for grpc+tls://. Failures
 * become {@link WekeoBridgeException}s naming the endpoint (the bare gRPC status does not).
 */
final class FlightSession implements AutoCloseable {
  /** Bridge messages are at most a few MiB; allow generous headroom. */
  private static final int MAX_INBOUND_MESSAGE_BYTES = 64 * 1024 * 1024;

  final String uri;
  final BufferAllocator allocator;
  final FlightClient client;
  private final CallOption[] callOptions;

  private FlightSession(String uri, BufferAllocator allocator, FlightClient client, CallOption[] callOptions) {
    this.uri = uri;
    this.allocator = allocator;
    this.client = client;
    this.callOptions = callOptions;
  }

  static FlightSession open(WekeoOptions o) {
    return open(o.endpoint, o);
  }

  static FlightSession open(String uri, WekeoOptions o) {
    BufferAllocator allocator = new RootAllocator(Long.MAX_VALUE);
    try {
      URI u = new URI(uri);
      boolean tls = "grpc+tls".equals(u.getScheme());
      Location loc = tls ? Location.forGrpcTls(u.getHost(), u.getPort()) : Location.forGrpcInsecure(u.getHost(), u.getPort());
      FlightClient.Builder b = FlightClient.builder(allocator, loc).maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES);
      if (tls) {
        b.useTls();
        if (o.tlsRootCerts != null) b.trustedCertificates(new ByteArrayInputStream(o.tlsRootCerts));
      }
      List<CallOption> opts = new ArrayList<>();
      if (o.token != null) {
        FlightCallHeaders h = new FlightCallHeaders();
        h.insert("authorization", "Bearer " + o.token);
        opts.add(new HeaderCallOption(h));
      }
      return new FlightSession(uri, allocator, b.build(), opts.toArray(new CallOption[0]));
    } catch (RuntimeException | java.net.URISyntaxException e) {
      allocator.close();
      throw new WekeoBridgeException("cannot set up a Flight client for the wekeo bridge at " + uri + ": " + e.getMessage(), e, false);
    }
  }

  Schema schema(String queryJson) {
    return call("GetSchema", () -> client.getSchema(command(queryJson), callOptions).getSchema());
  }

  FlightInfo info(String queryJson) {
    return call("GetFlightInfo", () -> client.getInfo(command(queryJson), callOptions));
  }

  /** Rows a full read of the query returns, from the bridge's plan (action "count"); exact false: only an upper bound. */
  record Count(long rows, boolean exact) {}

  Count count(String queryJson) {
    return call("DoAction count", () -> {
      Iterator<Result> it = client.doAction(new Action("count", queryJson.getBytes(StandardCharsets.UTF_8)), callOptions);
      if (!it.hasNext()) throw new WekeoBridgeException("the wekeo bridge at " + uri + " answered no result to the count action", null, false);
      byte[] body = it.next().getBody();
      while (it.hasNext()) it.next();
      try {
        JsonNode n = new ObjectMapper().readTree(body);
        if (n == null || !n.path("rows").canConvertToLong() || !n.path("exact").isBoolean()) throw new IOException("no rows/exact");
        return new Count(n.get("rows").asLong(), n.get("exact").asBoolean());
      } catch (IOException e) {
        throw new WekeoBridgeException("the wekeo bridge at " + uri + " answered the count action with " + new String(body, StandardCharsets.UTF_8) + " (expected {\"rows\": N, \"exact\": bool}): is it an older bridge?", e, false);
      }
    });
  }

  List<FlightInfo> list() {
    return call("ListFlights", () -> {
      List<FlightInfo> out = new ArrayList<>();
      for (FlightInfo i : client.listFlights(Criteria.ALL, callOptions)) out.add(i);
      return out;
    });
  }

  /** DoGet; the stream's own failures surface on next(), see {@link #translate}. */
  FlightStream stream(byte[] ticket) {
    return call("DoGet", () -> client.getStream(new Ticket(ticket), callOptions));
  }

  <T> T call(String rpc, Supplier<T> f) {
    try {
      return f.get();
    } catch (FlightRuntimeException e) {
      throw translate(e, rpc, uri);
    }
  }

  /** A Flight status as an error that says which bridge, what went wrong and what to do. */
  static WekeoBridgeException translate(FlightRuntimeException e, String rpc, String uri) {
    CallStatus s = e.status();
    String detail = s.description() == null || s.description().isBlank() ? s.code().toString() : s.description();
    FlightStatusCode code = s.code();
    String msg = switch (code) {
      case UNAVAILABLE -> "no wekeo bridge answered at " + uri + " (" + detail + "): is `wekeo serve` running there, and is the endpoint option right?";
      case UNAUTHENTICATED -> "the wekeo bridge at " + uri + " refused the request as unauthenticated (" + detail + "): set option \"token\" (or spark.wekeo.token)";
      case UNAUTHORIZED -> "the wekeo bridge at " + uri + " refused the request (" + detail + ")";
      case INVALID_ARGUMENT, NOT_FOUND -> "the wekeo bridge at " + uri + " rejected the query: " + detail;
      default -> "wekeo bridge " + rpc + " at " + uri + " failed with " + code + ": " + detail;
    };
    return new WekeoBridgeException(msg, e, code == FlightStatusCode.UNAVAILABLE, code == FlightStatusCode.NOT_FOUND);
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

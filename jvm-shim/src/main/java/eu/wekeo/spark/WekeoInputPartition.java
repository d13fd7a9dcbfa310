package eu.wekeo.spark;

import java.net.URI;
import java.util.Arrays;
import org.apache.spark.sql.connector.read.InputPartition;

/** One Flight endpoint: its opaque ticket and the bridge locations that can serve it. */
public final class WekeoInputPartition implements InputPartition {
  private static final long serialVersionUID = 1L;

  final byte[] ticket;
  final String[] locations;

  WekeoInputPartition(byte[] ticket, String[] locations) {
    this.ticket = ticket;
    this.locations = locations;
  }

  /** Hosts of the endpoint's locations, so Spark can schedule tasks near a bridge instance. */
  @Override
  public String[] preferredLocations() {
    return Arrays.stream(locations).map(u -> URI.create(u).getHost()).filter(h -> h != null).toArray(String[]::new);
  }
}

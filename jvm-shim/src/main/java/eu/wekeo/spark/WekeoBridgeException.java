package eu.wekeo.spark;

/** A failure talking to the bridge, with a message naming the endpoint; `unavailable` allows a retry elsewhere. */
public final class WekeoBridgeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final boolean unavailable;
  final boolean notFound;

  WekeoBridgeException(String message, Throwable cause, boolean unavailable) {
    this(message, cause, unavailable, false);
  }

  WekeoBridgeException(String message, Throwable cause, boolean unavailable, boolean notFound) {
    super(message, cause);
    this.unavailable = unavailable;
    this.notFound = notFound;
  }
}

package eu.wekeo.spark;

import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.metric.CustomSumMetric;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;

/**
 * Custom metrics of the scan node in the Spark UI (summed over tasks). Spark instantiates each
 * class by name on the driver, so they are public with no-argument constructors.
 */
public final class WekeoMetrics {
  private WekeoMetrics() {}

  public static final String ROWS = "wekeoRows";
  public static final String BYTES = "wekeoBytes";
  public static final String BRIDGE_MS = "wekeoBridgeMs";
  public static final String RETRIES = "wekeoRetries";

  public static final class Rows extends CustomSumMetric {
    @Override
    public String name() {
      return ROWS;
    }

    @Override
    public String description() {
      return "rows received from the bridge";
    }
  }

  public static final class Bytes extends CustomSumMetric {
    @Override
    public String name() {
      return BYTES;
    }

    @Override
    public String description() {
      return "Arrow bytes received from the bridge";
    }
  }

  public static final class BridgeMs extends CustomSumMetric {
    @Override
    public String name() {
      return BRIDGE_MS;
    }

    @Override
    public String description() {
      return "time waiting for the bridge (ms)";
    }
  }

  public static final class Retries extends CustomSumMetric {
    @Override
    public String name() {
      return RETRIES;
    }

    @Override
    public String description() {
      return "streams resumed on another bridge location";
    }
  }

  static CustomMetric[] all() {
    return new CustomMetric[] {new Rows(), new Bytes(), new BridgeMs(), new Retries()};
  }

  static CustomTaskMetric task(String name, long value) {
    return new CustomTaskMetric() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public long value() {
        return value;
      }
    };
  }
}

package eu.wekeo.spark;

import java.util.List;
import java.util.Locale;

/** Renders the bridge's JSON query (the Flight CMD descriptor). */
final class QueryBuilder {
  private QueryBuilder() {}

  static String toJson(String dataset, double[] bbox, String start, String end, List<String> variables) {
    StringBuilder sb = new StringBuilder("{\"dataset\":").append(quote(dataset));
    if (bbox != null) {
      sb.append(",\"bbox\":[");
      for (int i = 0; i < 4; i++) sb.append(i == 0 ? "" : ",").append(num(bbox[i]));
      sb.append(']');
    }
    if (start != null) sb.append(",\"start\":").append(quote(start));
    if (end != null) sb.append(",\"end\":").append(quote(end));
    if (variables != null && !variables.isEmpty()) {
      sb.append(",\"variables\":[");
      for (int i = 0; i < variables.size(); i++) sb.append(i == 0 ? "" : ",").append(quote(variables.get(i)));
      sb.append(']');
    }
    return sb.append('}').toString();
  }

  private static String num(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) return String.format(Locale.ROOT, "%.1f", d);
    return Double.toString(d);
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    return sb.append('"').toString();
  }
}

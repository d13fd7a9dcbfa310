package eu.wekeo.spark;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders the bridge's JSON query (the Flight CMD descriptor); see src/bridge/query.ts for its keys. */
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
    if (variables != null && !variables.isEmpty()) sb.append(",\"variables\":").append(strings(variables));
    return sb.append('}').toString();
  }

  /**
   * The query of a scan: the options' dataset/layout/filters, the pushed constraints, the
   * variables to decode and the columns to send (null = all).
   */
  static String toJson(WekeoOptions o, FilterTranslator.Constraints c, List<String> variables, List<String> columns) {
    String base = toJson(o.dataset, c.bbox(), iso(c.start), iso(c.end), variables);
    StringBuilder sb = new StringBuilder(base.substring(0, base.length() - 1));
    if (o.group != null) sb.append(",\"group\":").append(quote(o.group));
    Object levels = c.levels();
    if (levels instanceof double[] r) {
      sb.append(",\"levels\":{");
      boolean first = true;
      if (!Double.isNaN(r[0])) {
        sb.append("\"min\":").append(num(r[0]));
        first = false;
      }
      if (!Double.isNaN(r[1])) sb.append(first ? "" : ",").append("\"max\":").append(num(r[1]));
      sb.append('}');
    } else if (levels instanceof List<?> l) {
      sb.append(",\"levels\":[");
      for (int i = 0; i < l.size(); i++) sb.append(i == 0 ? "" : ",").append(num((Double) l.get(i)));
      sb.append(']');
    }
    List<Long> numbers = c.numbers();
    if (numbers != null) {
      sb.append(",\"numbers\":[");
      for (int i = 0; i < numbers.size(); i++) sb.append(i == 0 ? "" : ",").append(numbers.get(i));
      sb.append(']');
    }
    if (columns != null) sb.append(",\"columns\":").append(strings(columns));
    if (o.layout.equals("tiles")) {
      sb.append(",\"layout\":\"tiles\"");
      if (o.tile != null) sb.append(",\"tile\":[").append(o.tile[0]).append(',').append(o.tile[1]).append(']');
    }
    if (!o.filters.isEmpty()) {
      sb.append(",\"filters\":{");
      boolean first = true;
      for (Map.Entry<String, String> e : o.filters.entrySet()) {
        sb.append(first ? "" : ",").append(quote(e.getKey())).append(':').append(quote(e.getValue()));
        first = false;
      }
      sb.append('}');
    }
    return sb.append('}').toString();
  }

  /** The schema query of a dataset: no ranges, the options' variables/layout/filters. */
  static String schemaJson(WekeoOptions o) {
    return toJson(o, new FilterTranslator.Constraints(), o.variables, null);
  }

  static String iso(Instant t) {
    return t == null ? null : t.toString();
  }

  private static String strings(List<String> xs) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < xs.size(); i++) sb.append(i == 0 ? "" : ",").append(quote(xs.get(i)));
    return sb.append(']').toString();
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

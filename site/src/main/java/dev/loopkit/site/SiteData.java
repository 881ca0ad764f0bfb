package dev.loopkit.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The committed measurements the pages quote: the benchmark sitting ({@code
 * src/data/benchmarks/summary.json}) and the comparison run ({@code
 * src/data/comparison/comparison.json}). A page never types a measured number; it names it with a
 * placeholder that this class fills in, and an unknown name fails the build.
 *
 * <p>Placeholders, in a page's Markdown:
 *
 * <ul>
 *   <li>{@code {{ops A:loopkit-single-thread-setImmediate}}}: a score in operations per second;
 *   <li>{@code {{ratio A:x / A:y}}}: the ratio of two scores with its error (JMH's 99.9%
 *       half-width, propagated), as the benchmark summary computes it;
 *   <li>{@code {{bench date|commit|machine|jdk|jmh|node}}}: how the sitting was taken;
 *   <li>{@code {{cmp workload model concurrency field}}}: one figure of the comparison run;
 *   <li>{@code {{cmprun field}}}: how the comparison was run; {@code {{cmprange field}}}: the
 *       smallest and largest value of a field over the comparison's cells;
 *   <li>{@code {{table targets}}}, {@code {{table scores}}}: Markdown tables of the sitting.
 * </ul>
 *
 * <p>The comparison's JSON is read as a tree, so fields added to it later are ignored, and a
 * field's absence is reported by name.
 */
final class SiteData {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z]+) ([^}]*)}}");

  /** One JMH or Node score. */
  record Score(String shape, String key, String benchmark, String subject, double ops, double err) {
    boolean loopkit() {
      return subject.contains("loopkit");
    }
  }

  /** A ratio with its error. "Met" only when the whole error bar clears the floor. */
  record Ratio(String of, String to, double value, double error) {
    double low() {
      return value - error;
    }

    double high() {
      return value + error;
    }

    String text() {
      return fixed(value) + "× ± " + fixed(error);
    }
  }

  /** A target: a ratio, its floor, and its goal (NaN when none). */
  record Target(String shape, Ratio ratio, double floor, double goal) {
    boolean met() {
      return ratio.low() >= floor;
    }

    boolean goalMet() {
      return !Double.isNaN(goal) && ratio.low() >= goal;
    }
  }

  private final JsonNode bench;
  private final JsonNode comparison;
  private final Map<String, Score> scores = new LinkedHashMap<>();

  private SiteData(JsonNode bench, JsonNode comparison) {
    this.bench = bench;
    this.comparison = comparison;
    for (JsonNode r : bench.path("results")) {
      String shape = r.path("shape").asText();
      String subject = r.path("subject").asText();
      String benchmark = r.path("benchmark").asText();
      String key = shape + ":" + subject;
      if (scores.containsKey(key) || (!subject.contains(":") && multiMethod(bench, shape))) {
        key = shape + ":" + method(benchmark) + ":" + subject;
      }
      if (scores.containsKey(key)) {
        throw new IllegalStateException("two scores named " + key + " in summary.json");
      }
      scores.put(
          key,
          new Score(
              shape,
              key,
              benchmark,
              subject,
              r.path("score").asDouble(),
              r.path("error").asDouble()));
    }
  }

  static SiteData load(Path module) throws IOException {
    ObjectMapper json = new ObjectMapper();
    JsonNode bench = json.readTree(module.resolve("src/data/benchmarks/summary.json").toFile());
    Path cmp = module.resolve("src/data/comparison/comparison.json");
    JsonNode comparison = Files.exists(cmp) ? json.readTree(cmp.toFile()) : json.createObjectNode();
    return new SiteData(bench, comparison);
  }

  private static boolean multiMethod(JsonNode bench, String shape) {
    java.util.Set<String> methods = new java.util.HashSet<>();
    for (JsonNode r : bench.path("results")) {
      String benchmark = r.path("benchmark").asText();
      if (r.path("shape").asText().equals(shape) && !benchmark.startsWith("node/")) {
        methods.add(method(benchmark));
      }
    }
    return methods.size() > 1;
  }

  private static String method(String benchmark) {
    return benchmark.substring(benchmark.lastIndexOf('.') + 1);
  }

  List<Score> scores(String shape) {
    return scores.values().stream().filter(s -> s.shape().equals(shape)).toList();
  }

  List<String> shapes() {
    return scores.values().stream().map(Score::shape).distinct().toList();
  }

  Score score(String key) {
    Score s = scores.get(key.trim());
    if (s == null) {
      throw new IllegalArgumentException(
          "no benchmark score named '" + key.trim() + "'; known: " + scores.keySet());
    }
    return s;
  }

  /**
   * The ratio of two scores, its error propagated from both (relative errors add in quadrature).
   */
  Ratio ratio(String of, String to) {
    Score a = score(of);
    Score b = score(to);
    double value = a.ops() / b.ops();
    double error = value * Math.hypot(a.err() / a.ops(), b.err() / b.ops());
    return new Ratio(a.key(), b.key(), value, error);
  }

  List<Target> targets() {
    List<Target> out = new ArrayList<>();
    for (JsonNode t : bench.path("targets")) {
      Ratio r = ratio(t.path("of").asText(), t.path("to").asText());
      double goal = t.path("goal").isNumber() ? t.path("goal").asDouble() : Double.NaN;
      out.add(new Target(t.path("shape").asText(), r, t.path("floor").asDouble(), goal));
    }
    return out;
  }

  /** Replaces every placeholder of {@code markdown}; an unknown one fails with its name. */
  String fill(String markdown) {
    Matcher m = PLACEHOLDER.matcher(markdown);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String arg = m.group(2).trim();
      String value =
          switch (m.group(1)) {
            case "ops" -> opsText(score(arg).ops());
            case "err" -> opsText(score(arg).err());
            case "ratio" -> {
              String[] parts = arg.split(" / ");
              if (parts.length != 2) {
                throw new IllegalArgumentException("{{ratio " + arg + "}}: want 'of / to'");
              }
              yield ratio(parts[0], parts[1]).text();
            }
            case "bench" -> benchContext(arg);
            case "cmp" -> comparisonFigure(arg);
            case "cmprun" -> dateOnly(required(comparison.path("run"), arg).asText());
            case "cmprange" -> comparisonRange(arg);
            case "default" -> configDefault(arg);
            case "table" ->
                switch (arg) {
                  case "targets" -> targetsTable();
                  case "scores" -> scoresTable();
                  case "lateness" -> latenessTable();
                  default -> throw new IllegalArgumentException("no table named " + arg);
                };
            default -> throw new IllegalArgumentException("unknown placeholder " + m.group());
          };
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A configuration key's default, from the key table the parser reads. */
  private static String configDefault(String key) {
    for (dev.loopkit.LoopConfig.Key k : dev.loopkit.LoopConfig.keys()) {
      if (k.name().equals(key)) {
        return k.defaultValue();
      }
    }
    throw new IllegalArgumentException("{{default " + key + "}}: no configuration key " + key);
  }

  private String benchContext(String what) {
    JsonNode c = bench.path("context");
    JsonNode machine = c.path("machine");
    return switch (what) {
      case "date" -> c.path("date").asText().substring(0, 10);
      case "commit" -> c.path("commit").asText().substring(0, 7);
      case "machine" ->
          machine.path("cpu").asText()
              + ", "
              + machine.path("cores").asInt()
              + " cores, "
              + machine.path("memoryGiB").asText()
              + " GiB, "
              + machine.path("os").asText();
      case "cores" -> String.valueOf(machine.path("cores").asInt());
      case "jdk" ->
          c.path("jdk").path("version").asText() + " (" + c.path("jdk").path("vm").asText() + ")";
      case "jmh" -> {
        JsonNode j = c.path("jmh");
        yield "JMH "
            + j.path("version").asText()
            + ": "
            + forks(j.path("forks"))
            + ", "
            + j.path("warmupIterations").asInt()
            + "×"
            + j.path("warmupTime").asText()
            + " warm-up, "
            + j.path("measurementIterations").asInt()
            + "×"
            + j.path("measurementTime").asText()
            + " measured";
      }
      case "node" -> {
        JsonNode n = c.path("node");
        yield "Node.js "
            + n.path("version").asText()
            + " ("
            + n.path("warmup").asInt()
            + " warm-up, "
            + n.path("iterations").asInt()
            + " measured invocations)";
      }
      case "load" ->
          machine.path("loadAverageBefore").asText()
              + " before, "
              + machine.path("loadAverageAfter").asText()
              + " after";
      default -> throw new IllegalArgumentException("{{bench " + what + "}} is not known");
    };
  }

  /** {@code workload model concurrency field}, e.g. {@code wait loop/virtual 1024 peakRssBytes}. */
  private String comparisonFigure(String arg) {
    String[] p = arg.split("\\s+");
    if (p.length != 4) {
      throw new IllegalArgumentException("{{cmp " + arg + "}}: want workload model level field");
    }
    for (JsonNode cell : closedLoopCells()) {
      if (cell.path("workload").asText().equals(p[0])
          && cell.path("model").asText().equals(p[1])
          && cell.path("concurrency").asText().equals(p[2])) {
        JsonNode v = required(cell, p[3]);
        if (p[3].endsWith("Bytes")) {
          return String.format(Locale.ROOT, "%.0f MiB", v.asDouble() / (1 << 20));
        }
        if (p[3].equals("throughput")) {
          return String.format(Locale.ROOT, "%,.0f requests/s", v.asDouble());
        }
        if (p[3].endsWith("Millis")) {
          return String.format(Locale.ROOT, "%.1f ms", v.asDouble());
        }
        return v.isIntegralNumber() ? v.asText() : String.format(Locale.ROOT, "%.2f", v.asDouble());
      }
    }
    throw new IllegalArgumentException("no comparison cell " + arg);
  }

  /**
   * The comparison's closed-loop cells (N requests in flight), the ones the pages quote: a cell
   * with no {@code mode} is one; a cell of another mode (an open-loop rate, say) is left out.
   */
  private List<JsonNode> closedLoopCells() {
    List<JsonNode> cells = new ArrayList<>();
    for (JsonNode cell : comparison.path("cells")) {
      JsonNode mode = cell.path("mode");
      if (mode.isMissingNode() || mode.isNull() || mode.asText().startsWith("closed")) {
        cells.add(cell);
      }
    }
    return cells;
  }

  /** "1 to 1,024": the smallest and largest value of a numeric field over the cells. */
  private String comparisonRange(String field) {
    double min = Double.MAX_VALUE;
    double max = -Double.MAX_VALUE;
    for (JsonNode cell : closedLoopCells()) {
      double v = required(cell, field).asDouble();
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (min > max) {
      throw new IllegalArgumentException("no comparison cells for {{cmprange " + field + "}}");
    }
    return String.format(Locale.ROOT, "%,.0f to %,.0f", min, max);
  }

  /** An ISO timestamp shown as its date; anything else as it is. */
  private static String dateOnly(String value) {
    return value.matches("\\d{4}-\\d\\d-\\d\\dT.*") ? value.substring(0, 10) : value;
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode v = node.path(field);
    if (v.isMissingNode() || v.isNull()) {
      throw new IllegalArgumentException("the committed data has no field '" + field + "'");
    }
    return v;
  }

  private String targetsTable() {
    StringBuilder md =
        new StringBuilder(
            "| shape | loopkit | against | ratio | floor | lower end | floor met |\n"
                + "|---|---|---|---|---|---|---|\n");
    for (Target t : targets()) {
      md.append("| ")
          .append(t.shape())
          .append(" | `")
          .append(t.ratio().of())
          .append("` | `")
          .append(t.ratio().to())
          .append("` | ")
          .append(t.ratio().text())
          .append(" | ")
          .append(fixed(t.floor()))
          .append("× | ")
          .append(fixed(t.ratio().low()))
          .append("× | ")
          .append(t.met() ? (t.goalMet() ? "yes (goal too)" : "yes") : "**no**")
          .append(" |\n");
    }
    return md.toString();
  }

  /**
   * JMH's forks: one count for the sitting (older sittings), or a count per shape ({@code {"A": 3,
   * "C": 1, ...}}), said as "3 forks (A, B), 1 fork (C, D, E, O)".
   */
  static String forks(JsonNode forks) {
    if (!forks.isObject()) {
      int n = forks.asInt();
      return n + (n == 1 ? " fork" : " forks");
    }
    Map<Integer, List<String>> byCount =
        new java.util.TreeMap<>(java.util.Comparator.reverseOrder());
    forks
        .fields()
        .forEachRemaining(
            e ->
                byCount
                    .computeIfAbsent(e.getValue().asInt(), k -> new ArrayList<>())
                    .add(e.getKey()));
    List<String> parts = new ArrayList<>();
    byCount.forEach(
        (n, shapes) ->
            parts.add(
                n
                    + (n == 1 ? " fork" : " forks")
                    + " ("
                    + String.join(", ", shapes.stream().sorted().toList())
                    + ")"));
    return String.join(", ", parts);
  }

  /** Shape D's timer lateness, per subject (the sitting's {@code lateness} section). */
  private String latenessTable() {
    JsonNode l = bench.path("lateness");
    if (l.isMissingNode()) {
      throw new IllegalArgumentException(
          "{{table lateness}}: the committed sitting has no lateness section");
    }
    StringBuilder md =
        new StringBuilder(
            "| subject | timers | p50 ms | p99 ms | p99.9 ms | max ms |\n"
                + "|---|---:|---:|---:|---:|---:|\n");
    for (JsonNode x : l.path("subjects")) {
      JsonNode err = x.path("p99ErrorMs");
      md.append(
          String.format(
              Locale.ROOT,
              "| `%s` | %,d | %.3f | %.3f%s | %.3f | %.3f |%n",
              x.path("subject").asText(),
              x.path("timers").asLong(),
              x.path("p50Ms").asDouble(),
              x.path("p99Ms").asDouble(),
              err.isNumber() ? String.format(Locale.ROOT, " ± %.3f", err.asDouble()) : "",
              x.path("p999Ms").asDouble(),
              x.path("maxMs").asDouble()));
    }
    return md.toString();
  }

  private String scoresTable() {
    StringBuilder md =
        new StringBuilder(
            "| shape | benchmark | subject | ops/s | ± error |\n|---|---|---|---:|---:|\n");
    for (Score s : scores.values()) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | `%s` | `%s` | %,.0f | %,.0f |%n",
              s.shape(),
              s.benchmark(),
              s.subject(),
              s.ops(),
              s.err()));
    }
    return md.toString();
  }

  static String opsText(double ops) {
    if (ops >= 1e6) {
      return String.format(Locale.ROOT, "%.1f M ops/s", ops / 1e6);
    }
    if (ops >= 1e3) {
      return String.format(Locale.ROOT, "%.0f k ops/s", ops / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f ops/s", ops);
  }

  static String fixed(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }
}

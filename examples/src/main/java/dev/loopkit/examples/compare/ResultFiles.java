package dev.loopkit.examples.compare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The comparison's results as data, written and read with Jackson: a run's figures and a run's
 * facts as JSON (a child's result, {@link RunStore}'s files), {@code comparison.json} (the facts,
 * the conclusions, and every cell: its medians, the spread of throughput and p99, and each run's
 * figures under {@code runResults}) and {@code comparison.csv} (one row a cell). A figure that is
 * not known (NaN, or -1 for counts and bytes) is null in JSON and empty in CSV; field names are the
 * records' component names, so a reader of an older {@code comparison.json} finds its fields.
 */
final class ResultFiles {

  /** JSON in and out: indented, fields in the records' order. */
  static final ObjectMapper JSON =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private static final CsvMapper CSV = new CsvMapper();

  /** The spread each cell of the JSON and CSV carries besides its medians. */
  private static final List<String> SPREAD =
      List.of("runs", "throughputMin", "throughputMax", "p99MillisMin", "p99MillisMax");

  private ResultFiles() {}

  /** One run's figures (or a cell's medians) as JSON: unknown figures are null. */
  static ObjectNode json(Cell.Result r) {
    ObjectNode n = JSON.createObjectNode();
    for (RecordComponent rc : Cell.Result.class.getRecordComponents()) {
      Object v = Compare.get(rc, r);
      String name = rc.getName();
      if (v == null || unknown(v)) {
        n.putNull(name);
      } else if (v instanceof String s) {
        n.put(name, s);
      } else if (v instanceof Double d) {
        n.put(name, d);
      } else if (v instanceof Integer i) {
        n.put(name, i);
      } else {
        n.put(name, (Long) v);
      }
    }
    return n;
  }

  /** A run's figures from {@link #json(Cell.Result)}'s form. */
  static Cell.Result result(JsonNode n) {
    return Cell.Result.parse(name -> n.hasNonNull(name) ? n.get(name).asText() : null);
  }

  static ObjectNode json(RunInfo info) {
    ObjectNode run = JSON.createObjectNode();
    info.fields().forEach(run::put);
    run.put("started", info.started().toString());
    run.put("finished", info.finished().toString());
    return run;
  }

  static RunInfo runInfo(JsonNode run) {
    Map<String, String> f = new LinkedHashMap<>();
    run.properties().forEach(e -> f.put(e.getKey(), e.getValue().asText()));
    Instant started = Instant.parse(f.remove("started"));
    Instant finished = Instant.parse(f.remove("finished"));
    return new RunInfo(f, started, finished);
  }

  static String json(RunInfo info, List<Conclusions.Conclusion> conclusions, List<CellRuns> cells) {
    ObjectNode doc = JSON.createObjectNode();
    doc.set("run", json(info));
    ArrayNode when = doc.putArray("whenToChoose");
    conclusions.forEach(c -> when.add(c.text()));
    ArrayNode out = doc.putArray("cells");
    for (CellRuns c : cells) {
      ObjectNode n = json(c.median());
      n.put("runs", c.runs());
      putKnown(n, "throughputMin", c.min(Cell.Result::throughput));
      putKnown(n, "throughputMax", c.max(Cell.Result::throughput));
      putKnown(n, "p99MillisMin", c.min(Cell.Result::p99Millis));
      putKnown(n, "p99MillisMax", c.max(Cell.Result::p99Millis));
      ArrayNode each = n.putArray("runResults");
      c.each().forEach(r -> each.add(json(r)));
      out.add(n);
    }
    try {
      return JSON.writeValueAsString(doc) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the comparison's JSON", e);
    }
  }

  private static void putKnown(ObjectNode n, String name, double v) {
    if (Double.isNaN(v)) {
      n.putNull(name);
    } else {
      n.put(name, v);
    }
  }

  /** A {@code comparison.json}, read back: its facts and every run of every cell. */
  record Read(RunInfo info, List<Cell.Result> runs) {}

  static Read readJson(String text) throws IOException {
    JsonNode doc = JSON.readTree(text);
    if (!doc.path("run").isObject() || !doc.path("cells").isArray()) {
      throw new Settings.BadOption("not a comparison.json: no \"run\" and \"cells\"");
    }
    List<Cell.Result> runs = new ArrayList<>();
    for (JsonNode cell : doc.get("cells")) {
      if (!cell.path("runResults").isArray()) {
        throw new Settings.BadOption(
            "not a comparison.json of this version: a cell has no \"runResults\"");
      }
      cell.get("runResults").forEach(r -> runs.add(result(r)));
    }
    return new Read(runInfo(doc.get("run")), runs);
  }

  /** One row a cell: its medians and the spread of throughput and p99. */
  static String csv(List<CellRuns> cells) {
    CsvSchema.Builder schema = CsvSchema.builder().setUseHeader(true);
    for (RecordComponent rc : Cell.Result.class.getRecordComponents()) {
      schema.addColumn(rc.getName());
    }
    SPREAD.forEach(schema::addColumn);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (CellRuns c : cells) {
      Map<String, Object> row = new LinkedHashMap<>();
      Cell.Result m = c.median();
      for (RecordComponent rc : Cell.Result.class.getRecordComponents()) {
        Object v = Compare.get(rc, m);
        row.put(rc.getName(), v == null || unknown(v) ? null : v);
      }
      row.put("runs", c.runs());
      row.put("throughputMin", known(c.min(Cell.Result::throughput)));
      row.put("throughputMax", known(c.max(Cell.Result::throughput)));
      row.put("p99MillisMin", known(c.min(Cell.Result::p99Millis)));
      row.put("p99MillisMax", known(c.max(Cell.Result::p99Millis)));
      rows.add(row);
    }
    try {
      return CSV.writer(schema.build()).writeValueAsString(rows);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the comparison's CSV", e);
    }
  }

  private static Double known(double v) {
    return Double.isNaN(v) ? null : v;
  }

  /** A figure that is not known: NaN, or -1 for counts and bytes. */
  private static boolean unknown(Object v) {
    return v instanceof Double d
        ? d.isNaN() || d.isInfinite()
        : (v instanceof Integer i && i == -1) || (v instanceof Long l && l == -1);
  }
}

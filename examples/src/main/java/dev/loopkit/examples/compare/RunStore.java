package dev.loopkit.examples.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The runs of a comparison kept on disk, one JSON file per run in {@code OUT/runs}, and one per
 * sitting (an invocation of the CLI): what makes a grid resumable and mergeable.
 *
 * <p>A run's file is written whole or not at all (written aside, then moved). Each records the
 * measures it was taken with ({@link Settings#measures()}); runs taken with other measures are
 * refused, so one report never mixes windows, heaps or knobs. A run's file is named after its cell
 * and number, so the same command again skips what is there, and parts of a grid copied into one
 * folder ({@link #merge}) give the same report in any order.
 */
final class RunStore {

  private final Path dir;

  RunStore(Path out) {
    this.dir = out.resolve("runs");
  }

  /** Every run kept here; a {@link Settings.BadOption} if one has other measures. */
  List<Cell.Result> load(String measures) throws IOException {
    List<Cell.Result> runs = new ArrayList<>();
    for (Path f : files("run-")) {
      JsonNode node = ResultFiles.JSON.readTree(f.toFile());
      String theirs = node.path("measures").asText();
      if (!theirs.equals(measures)) {
        throw new Settings.BadOption(
            "--out: "
                + dir.getParent()
                + " holds runs taken with other settings ("
                + theirs
                + "; now "
                + measures
                + "); use another --out, or the same settings");
      }
      runs.add(ResultFiles.result(node.path("result")));
    }
    return runs;
  }

  /** The measures of the runs kept here, or null if there are none. */
  String measures() throws IOException {
    List<Path> runs = files("run-");
    return runs.isEmpty()
        ? null
        : ResultFiles.JSON.readTree(runs.get(0).toFile()).path("measures").asText();
  }

  void save(Cell.Result run, String measures) throws IOException {
    ObjectNode node = ResultFiles.JSON.createObjectNode();
    node.put("measures", measures);
    node.set("result", ResultFiles.json(run));
    write(fileName(run), node);
  }

  /** Records a sitting (again at each run, with its latest finish). */
  void saveSitting(RunInfo info) throws IOException {
    write("sitting-" + info.started().toEpochMilli() + ".json", ResultFiles.json(info));
  }

  /**
   * The sittings' facts as one: the earliest sitting's, a fact that differs between sittings with
   * each value in order of start ("a | b"), from the first start to the last finish.
   */
  RunInfo sittings() throws IOException {
    List<RunInfo> all = new ArrayList<>();
    for (Path f : files("sitting-")) {
      all.add(ResultFiles.runInfo(ResultFiles.JSON.readTree(f.toFile())));
    }
    if (all.isEmpty()) {
      throw new Settings.BadOption("no sitting recorded in " + dir);
    }
    all.sort(Comparator.comparing(RunInfo::started));
    Map<String, String> fields = new LinkedHashMap<>();
    for (RunInfo s : all) {
      s.fields()
          .forEach(
              (k, v) -> {
                String had = fields.get(k);
                if (had == null) {
                  fields.put(k, v);
                } else if (!List.of(had.split(" \\| ", -1)).contains(v)) {
                  fields.put(k, had + " | " + v);
                }
              });
    }
    if (all.size() > 1) {
      fields.put("sittings", String.valueOf(all.size()));
    }
    Instant finished =
        all.stream().map(RunInfo::finished).max(Comparator.naturalOrder()).orElseThrow();
    return new RunInfo(fields, all.get(0).started(), finished);
  }

  /**
   * Copies the runs and sittings of {@code parts} here; a run that two parts both hold with other
   * figures is a {@link Settings.BadOption} (the parts overlap).
   */
  void merge(List<Path> parts) throws IOException {
    Files.createDirectories(dir);
    for (Path part : parts) {
      Path from = part.resolve("runs");
      if (!Files.isDirectory(from)) {
        throw new Settings.BadOption("--merge: " + part + " has no runs folder");
      }
      try (Stream<Path> files = Files.list(from)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
          Path to = dir.resolve(f.getFileName());
          if (Files.exists(to) && Files.mismatch(f, to) != -1) {
            throw new Settings.BadOption(
                "--merge: " + f.getFileName() + " is in two parts with other figures");
          }
          Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** A run's file: its cell and number, in characters any file system takes. */
  static String fileName(Cell.Result r) {
    return ("run-" + r.cellKey() + "-" + r.run()).replaceAll("[^A-Za-z0-9.=-]+", "_") + ".json";
  }

  private void write(String name, JsonNode node) throws IOException {
    Files.createDirectories(dir);
    Path partial = dir.resolve(name + ".partial");
    ResultFiles.JSON.writeValue(partial.toFile(), node);
    Files.move(partial, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  private List<Path> files(String prefix) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(
              p ->
                  p.getFileName().toString().startsWith(prefix)
                      && p.getFileName().toString().endsWith(".json"))
          .sorted()
          .toList();
    }
  }
}

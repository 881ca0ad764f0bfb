package dev.loopkit.examples.compare;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.RecordComponent;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The comparison CLI: runs each workload under each model (the event loop on each carrier, a
 * virtual thread per request, a fixed pool of platform threads) at each concurrency level (closed
 * loop) and then at each arrival rate (open loop), {@code --runs} times each, and writes {@code
 * comparison.json}, {@code .csv}, {@code .html} (with charts) and {@code .md} (the site's page)
 * into {@code --out}.
 *
 * <pre>
 * examples/compare --quick --out /tmp/compare
 * </pre>
 *
 * <p>By default each run of a cell is a fresh JVM (the same {@code java}, the same class path,
 * {@link #CELL_JVM_OPTIONS}), so no run inherits another's heap, threads or JIT state, and peak RSS
 * is the run's own. Runs go one at a time: per workload, run 1 of every closed-loop cell, then run
 * 2, and so on, then the open loop's; the models of one point next to each other, each point
 * starting with the next model, so a drift of the machine touches every model alike. Every run is
 * kept in {@code --out/runs} ({@link RunStore}) as soon as it ends, and the reports are written
 * again: a stopped grid resumes where it stopped, and parts of a grid give one report. Loop models
 * read no configuration but what the report records ({@link Model#config}). {@code --help} lists
 * the options; a bad option ends the program with status 2 and one line on standard error.
 */
public final class Compare {

  /** The JVM options of a forked cell: a fixed heap ceiling, the default collector. */
  static final List<String> CELL_JVM_OPTIONS = List.of("-Xmx1g", "-XX:+UseG1GC");

  /** How long a forked cell may take beyond its warm-up and window before it is killed. */
  static final Duration CELL_GRACE = Duration.ofSeconds(120);

  /**
   * What a run costs beyond its warm-up and window (a JVM's start, the services), for estimates.
   */
  static final Duration RUN_OVERHEAD = Duration.ofMillis(1500);

  private Compare() {}

  public static void main(String[] args) throws IOException {
    int status = cli(List.of(args), System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Runs the command line {@code args}; answers the exit status: 0 when every cell ran clean, 1
   * when some did not, 2 for a bad command line (said in one line on {@code err}).
   */
  static int cli(List<String> args, PrintStream out, PrintStream err) throws IOException {
    if (!args.isEmpty() && args.get(0).equals("--child")) {
      child(args); // ends this JVM
      return 1;
    }
    if (args.contains("--help") || args.contains("-h")) {
      out.print(Settings.help());
      return 0;
    }
    try {
      if (!args.isEmpty() && args.get(0).equals("--rewrite")) {
        if (args.size() != 2) {
          throw new Settings.BadOption("--rewrite: needs one folder (compare --rewrite DIR)");
        }
        rewrite(Path.of(args.get(1)), out);
        return 0;
      }
      if (!args.isEmpty() && args.get(0).equals("--merge")) {
        if (args.size() < 3) {
          throw new Settings.BadOption(
              "--merge: needs a folder to write and the folders of the parts (compare --merge"
                  + " OUT DIR...)");
        }
        merge(
            Path.of(args.get(1)),
            args.subList(2, args.size()).stream().map(Path::of).toList(),
            out);
        return 0;
      }
      Settings settings = Settings.parse(args);
      List<Cell.Result> results = run(settings, args, out);
      long bad = CellRuns.group(results).stream().filter(c -> !c.ok()).count();
      if (bad > 0) {
        err.println(
            "compare: "
                + bad
                + " cells failed or had errors; see "
                + settings.out().resolve("comparison.html"));
        return 1;
      }
      return 0;
    } catch (Settings.BadOption e) {
      err.println("compare: " + e.getMessage().replace('\n', ' ') + " (--help lists the options)");
      return 2;
    }
  }

  /**
   * Runs every run of {@code settings}' grid that {@code --out/runs} does not hold yet, printing
   * one line per run to {@code out}; keeps each run and writes the reports after it (so a stopped
   * grid leaves what it measured). Returns every run the reports hold.
   */
  static List<Cell.Result> run(Settings settings, List<String> args, PrintStream out)
      throws IOException {
    Files.createDirectories(settings.out().resolve("logs"));
    RunStore store = new RunStore(settings.out());
    String measures = settings.measures();
    List<Cell.Result> results = new ArrayList<>(store.load(measures));
    // A run kept without a failure is done; one that failed is made again (and replaced).
    Set<String> done = new HashSet<>();
    results.stream().filter(r -> r.failure() == null).forEach(r -> done.add(key(r)));
    RunInfo info = RunInfo.collect(args, settings);
    int perWorkload =
        settings.models().size()
            * settings.runs()
            * (settings.concurrency().size() + settings.open().size());
    int total = settings.workloads().size() * perWorkload;
    long kept =
        results.stream()
            .filter(
                r ->
                    r.failure() == null
                        && settings.workloads().contains(Workload.of(r.workload()))
                        && settings.models().contains(r.model())
                        && r.run() <= settings.runs()
                        && (r.point().open()
                            ? settings.open().contains(r.rateFraction())
                            : settings.concurrency().contains(r.concurrency())))
            .count();
    Duration each = settings.warmup().plus(settings.duration()).plus(RUN_OVERHEAD);
    out.printf(
        Locale.ROOT,
        "compare: %d runs (%d workloads x %d models x %d runs x (%d levels + %d open-loop rates)),"
            + " %d kept in %s, %.1f s warm-up + %.1f s each%s: about %d min%n",
        total,
        settings.workloads().size(),
        settings.models().size(),
        settings.runs(),
        settings.concurrency().size(),
        settings.open().size(),
        kept,
        settings.out().resolve("runs"),
        settings.warmup().toNanos() / 1e9,
        settings.duration().toNanos() / 1e9,
        settings.fork() ? ", each in a fresh JVM" : ", all in this JVM",
        each.multipliedBy(total - kept).toMinutes() + 1);
    int[] index = {0};
    for (Workload w : settings.workloads()) {
      int turn = 0;
      List<Cell.Point> points = new ArrayList<>();
      settings.concurrency().forEach(c -> points.add(Cell.Point.closed(c)));
      for (int run = 1; run <= settings.runs(); run++) {
        for (Cell.Point p : points) {
          turn =
              runPoint(
                  settings, store, measures, info, results, done, w, p, run, turn, index, total,
                  out);
        }
      }
      if (settings.open().isEmpty()) {
        continue;
      }
      double peak = peak(results, w, settings.models());
      if (Double.isNaN(peak)) {
        out.println(
            "compare: no open-loop cells for "
                + w
                + ": no model had a clean closed-loop cell to take the peak from");
        index[0] += settings.models().size() * settings.runs() * settings.open().size();
        continue;
      }
      for (int run = 1; run <= settings.runs(); run++) {
        for (double f : settings.open()) {
          Cell.Point p = Cell.Point.open(f, f * peak, settings.openCap());
          turn =
              runPoint(
                  settings, store, measures, info, results, done, w, p, run, turn, index, total,
                  out);
        }
      }
    }
    out.println("compare: wrote " + settings.out().resolve("comparison.html"));
    return results;
  }

  /** Runs number {@code run} of every model at {@code p} (those not kept yet); the next turn. */
  private static int runPoint(
      Settings settings,
      RunStore store,
      String measures,
      RunInfo info,
      List<Cell.Result> results,
      Set<String> done,
      Workload w,
      Cell.Point p,
      int run,
      int turn,
      int[] index,
      int total,
      PrintStream out)
      throws IOException {
    // Each point starts with the next model, so no model always runs first after a change.
    List<String> models = new ArrayList<>(settings.models());
    Collections.rotate(models, -(turn % models.size()));
    for (String m : models) {
      index[0]++;
      String key = w.id() + " " + m + " " + p.key() + " " + run;
      if (done.contains(key)) {
        continue;
      }
      Path log =
          settings
              .out()
              .resolve(
                  "logs/"
                      + RunStore.fileName(Cell.Result.failed(w, m, p, run, ""))
                          .replace(".json", ".log"));
      Cell.Result r =
          settings.fork() ? forked(settings, w, m, p, run, log) : inProcess(settings, w, m, p, run);
      store.save(r, measures);
      results.removeIf(kept -> key(kept).equals(key));
      results.add(r);
      done.add(key);
      out.println(line(index[0], total, r));
      RunInfo now = info.finished(Instant.now());
      store.saveSitting(now);
      Report.write(
          settings.out(), store.sittings(), Settings.parse(List.of(measures.split(" "))), results);
    }
    return turn + 1;
  }

  /** What names a run: its cell and its number. */
  private static String key(Cell.Result r) {
    return r.cellKey() + " " + r.run();
  }

  /**
   * The fastest of {@code models}' clean closed-loop cells of {@code w}, by median throughput: what
   * the open loop's rates are fractions of. NaN if no model has a clean cell.
   */
  static double peak(List<Cell.Result> results, Workload w, List<String> models) {
    return CellRuns.group(results).stream()
        .filter(
            c ->
                c.workload().equals(w.id())
                    && models.contains(c.model())
                    && !c.point().open()
                    && c.ok())
        .mapToDouble(c -> c.median(Cell.Result::throughput))
        .max()
        .orElse(Double.NaN);
  }

  private static Cell.Result inProcess(Settings s, Workload w, String m, Cell.Point p, int run) {
    try {
      return Cell.run(s, w, m, p, run, false);
    } catch (RuntimeException e) {
      return Cell.Result.failed(w, m, p, run, e.toString());
    }
  }

  /**
   * Writes the reports of the run in {@code dir} again from its {@code comparison.json} (after a
   * change to the reports, without measuring again).
   */
  static void rewrite(Path dir, PrintStream out) throws IOException {
    Path json = dir.resolve("comparison.json");
    if (!Files.exists(json)) {
      throw new Settings.BadOption("--rewrite: no comparison.json in " + dir);
    }
    ResultFiles.Read read = ResultFiles.readJson(Files.readString(json, StandardCharsets.UTF_8));
    String measures = read.info().fields().get("measures");
    if (measures == null) {
      throw new Settings.BadOption(
          "--rewrite: " + json + " does not record its measures (an older version's report)");
    }
    Settings settings = Settings.parse(List.of(measures.split(" ")));
    Report.write(dir, read.info(), settings, read.runs());
    out.println("compare: rewrote the reports of " + read.runs().size() + " runs in " + dir);
  }

  /** Writes one report into {@code into} of the runs of {@code parts} (each a --out folder). */
  static void merge(Path into, List<Path> parts, PrintStream out) throws IOException {
    RunStore store = new RunStore(into);
    store.merge(parts);
    String measures = store.measures();
    if (measures == null) {
      throw new Settings.BadOption("--merge: the parts hold no runs");
    }
    List<Cell.Result> runs = store.load(measures);
    Report.write(into, store.sittings(), Settings.parse(List.of(measures.split(" "))), runs);
    out.println(
        "compare: merged " + runs.size() + " runs of " + parts.size() + " parts into " + into);
  }

  /** Children running now, destroyed if this JVM is stopped. */
  private static final Set<Process> CHILDREN = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> CHILDREN.forEach(Process::destroyForcibly), "compare-children"));
  }

  /**
   * Runs one run of a cell in a fresh JVM; its output goes to {@code log}. The child's temporary
   * files go to a folder of its own, removed afterwards even if the child was killed.
   */
  private static Cell.Result forked(
      Settings s, Workload w, String m, Cell.Point p, int run, Path log) throws IOException {
    Path tmp = Files.createTempDirectory("loopkit-compare-cell-");
    Path result = tmp.resolve("result.json");
    try {
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse(javaFromHome()));
      cmd.addAll(CELL_JVM_OPTIONS);
      cmd.addAll(s.jvmOptions());
      cmd.add("-Djava.io.tmpdir=" + tmp);
      cmd.add("-cp");
      cmd.add(classPath());
      cmd.add(Compare.class.getName());
      cmd.add("--child");
      cmd.add(result.toString());
      cmd.add(p.mode());
      cmd.add(String.valueOf(p.concurrency()));
      cmd.add(String.valueOf(p.rateFraction()));
      cmd.add(String.valueOf(p.rate()));
      cmd.add(String.valueOf(run));
      Settings one =
          new Settings(
              s.quick(),
              List.of(m),
              List.of(w),
              List.of(p.open() ? 1 : p.concurrency()),
              1,
              List.of(),
              s.openCap(),
              s.warmup(),
              s.duration(),
              s.out(),
              false,
              s.server(),
              s.ioThreads(),
              s.platformThreads(),
              s.dbConnections(),
              s.fileKib(),
              s.httpMillis(),
              s.hashIterations(),
              s.waitMillis(),
              List.of());
      cmd.addAll(one.toArgs());
      Process proc =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      CHILDREN.add(proc);
      long limit = s.warmup().plus(s.duration()).plus(CELL_GRACE).toMillis();
      boolean ended;
      try {
        ended = proc.waitFor(limit, TimeUnit.MILLISECONDS);
        if (!ended) {
          proc.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        proc.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while a cell ran", e);
      } finally {
        CHILDREN.remove(proc);
      }
      if (!ended) {
        return Cell.Result.failed(w, m, p, run, "killed after " + limit + " ms; see " + log);
      }
      if (proc.exitValue() != 0 || !Files.exists(result)) {
        return Cell.Result.failed(
            w,
            m,
            p,
            run,
            "the cell's JVM exited with "
                + proc.exitValue()
                + ": "
                + lastLine(log)
                + " (see "
                + log
                + ")");
      }
      return ResultFiles.result(ResultFiles.JSON.readTree(result.toFile()));
    } finally {
      deleteTree(tmp);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  /**
   * A forked run: {@code --child RESULT MODE CONCURRENCY FRACTION RATE RUN SETTINGS...} runs the
   * one cell its arguments name and writes its result as JSON. It ends the JVM either way (1 if the
   * cell threw): the cell's services may leave pool threads behind.
   */
  private static void child(List<String> args) {
    int status = 1;
    try {
      Path result = Path.of(args.get(1));
      Cell.Point p =
          new Cell.Point(
              args.get(2),
              Integer.parseInt(args.get(3)),
              Double.parseDouble(args.get(4)),
              Double.parseDouble(args.get(5)));
      int run = Integer.parseInt(args.get(6));
      Settings s = Settings.parse(args.subList(7, args.size()));
      Cell.Result r = Cell.run(s, s.workloads().get(0), s.models().get(0), p, run, true);
      Path partial = result.resolveSibling("result.partial");
      ResultFiles.JSON.writeValue(partial.toFile(), ResultFiles.json(r));
      Files.move(partial, result); // the parent sees the whole result or none
      System.out.println("cell done: " + line(1, 1, r));
      status = 0;
    } catch (Throwable t) {
      t.printStackTrace(System.out);
      System.out.println("cell failed: " + t);
    } finally {
      System.out.flush();
      System.exit(status);
    }
  }

  static Object get(RecordComponent rc, Record r) {
    try {
      return rc.getAccessor().invoke(r);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String line(int index, int total, Cell.Result r) {
    String head =
        String.format(
            Locale.ROOT,
            "[%d/%d] %-5s %-19s %-9s run %d",
            index,
            total,
            r.workload(),
            r.model(),
            r.point().open() ? "r=" + Math.round(r.rate()) : "c=" + r.concurrency(),
            r.run());
    if (r.failure() != null) {
      return head + " FAILED: " + r.failure();
    }
    return head
        + String.format(
            Locale.ROOT,
            " %10.1f req/s  p50 %8.2f ms  p99 %8.2f ms  cpu %6.3f ms/req  threads %4d  heap %5.0f MiB%s%s%s",
            r.throughput(),
            r.p50Millis(),
            r.p99Millis(),
            r.cpuMillisPerRequest(),
            r.peakPlatformThreads(),
            r.peakHeapBytes() / 1048576.0,
            r.peakRssBytes() > 0
                ? String.format(Locale.ROOT, "  rss %5.0f MiB", r.peakRssBytes() / 1048576.0)
                : "",
            r.dropped() > 0 ? "  dropped " + r.dropped() : "",
            r.errors() > 0 ? "  ERRORS " + r.errors() + ": " + r.firstError() : "");
  }

  private static String lastLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (!lines.get(i).isBlank()) {
          return lines.get(i).trim();
        }
      }
      return "(no output)";
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  static String javaFromHome() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * The class path of this program: the URLs of its class loaders (under {@code exec:java} the
   * project's class path lives in a URL class loader, not in {@code java.class.path}), then {@code
   * java.class.path}.
   */
  static String classPath() {
    LinkedHashSet<String> parts = new LinkedHashSet<>();
    for (ClassLoader cl = Compare.class.getClassLoader(); cl != null; cl = cl.getParent()) {
      if (cl instanceof URLClassLoader u) {
        for (URL url : u.getURLs()) {
          try {
            parts.add(Path.of(url.toURI()).toString());
          } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot turn " + url + " into a class path entry", e);
          }
        }
      }
    }
    parts.addAll(
        Arrays.asList(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
    parts.remove("");
    return String.join(java.io.File.pathSeparator, parts);
  }
}

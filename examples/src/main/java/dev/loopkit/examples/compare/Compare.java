package dev.loopkit.examples.compare;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The comparison CLI: runs each workload under each model (the event loop on each carrier, a
 * virtual thread per request, a fixed pool of platform threads) at each concurrency level, and
 * writes {@code comparison.json}, {@code .csv}, {@code .html} (with charts) and {@code .md} (the
 * site's page) into {@code --out}.
 *
 * <pre>
 * ./with-jdk21 ./mvnw -q -B -pl examples -am compile exec:java -Pcompare -Dexec.args="--quick"
 * </pre>
 *
 * <p>By default each cell runs in a fresh JVM (the same {@code java}, the same class path, {@link
 * #CELL_JVM_OPTIONS}), so no cell inherits another's heap, threads or JIT state, and peak RSS is
 * the cell's own. Cells run one at a time, the models of one workload and level next to each other,
 * each level starting with the next model, so a drift of the machine touches every model alike.
 * Loop models read no configuration but what the report records ({@link Model#config}). {@code
 * --help} lists the options.
 */
public final class Compare {

  /** The JVM options of a forked cell: a fixed heap ceiling, the default collector. */
  static final List<String> CELL_JVM_OPTIONS = List.of("-Xmx1g", "-XX:+UseG1GC");

  /** How long a forked cell may take beyond its warm-up and window before it is killed. */
  static final Duration CELL_GRACE = Duration.ofSeconds(120);

  private Compare() {}

  public static void main(String[] args) throws IOException {
    List<String> list = List.of(args);
    if (!list.isEmpty() && list.get(0).equals("--child")) {
      child(list); // ends this JVM
      return;
    }
    if (!list.isEmpty() && list.get(0).equals("--rewrite")) {
      rewrite(Path.of(list.size() > 1 ? list.get(1) : "."));
      return;
    }
    if (list.contains("--help") || list.contains("-h")) {
      System.out.print(Settings.help());
      return;
    }
    Settings settings;
    try {
      settings = Settings.parse(list);
    } catch (IllegalArgumentException e) {
      System.err.println("compare: " + e.getMessage() + " (--help lists the options)");
      throw e;
    }
    List<Cell.Result> results = run(settings, list, System.out);
    long bad = results.stream().filter(r -> !r.ok()).count();
    if (bad > 0) {
      throw new IllegalStateException(
          bad + " of " + results.size() + " cells failed or had errors; see " + settings.out());
    }
  }

  /**
   * Runs every cell of {@code settings}, printing one line per cell to {@code out}, and writes the
   * reports after each cell (so an interrupted run leaves what it measured). Returns the results.
   */
  static List<Cell.Result> run(Settings settings, List<String> args, PrintStream out)
      throws IOException {
    Files.createDirectories(settings.out().resolve("logs"));
    RunInfo info = RunInfo.collect(args, settings);
    List<Cell.Result> results = new ArrayList<>();
    int total =
        settings.workloads().size() * settings.concurrency().size() * settings.models().size();
    out.printf(
        Locale.ROOT,
        "compare: %d cells (%d workloads x %d levels x %d models), %.1f s warm-up + %.1f s each%s%n",
        total,
        settings.workloads().size(),
        settings.concurrency().size(),
        settings.models().size(),
        settings.warmup().toNanos() / 1e9,
        settings.duration().toNanos() / 1e9,
        settings.fork() ? ", each in a fresh JVM" : ", all in this JVM");
    int index = 0;
    int turn = 0;
    for (Workload w : settings.workloads()) {
      for (int c : settings.concurrency()) {
        // Each level starts with the next model, so no model always runs first after a change.
        List<String> models = new ArrayList<>(settings.models());
        Collections.rotate(models, -(turn++ % models.size()));
        for (String m : models) {
          index++;
          Cell.Result r =
              settings.fork()
                  ? forked(settings, w, m, c, settings.out().resolve("logs/cell-" + index + ".log"))
                  : inProcess(settings, w, m, c);
          results.add(r);
          out.println(line(index, total, r));
          Report.write(settings.out(), info.finished(Instant.now()), settings, results);
        }
      }
    }
    out.println("compare: wrote " + settings.out().resolve("comparison.html"));
    return results;
  }

  private static Cell.Result inProcess(Settings s, Workload w, String m, int c) {
    try {
      return Cell.run(s, w, m, c, false);
    } catch (RuntimeException e) {
      return Cell.Result.failed(w, m, c, e.toString());
    }
  }

  /**
   * Writes the reports of the run in {@code dir} again from its {@code comparison.csv} and {@code
   * .json} (after a change to the reports, without measuring again).
   */
  static void rewrite(Path dir) throws IOException {
    RunInfo info =
        RunInfo.readJson(Files.readString(dir.resolve("comparison.json"), StandardCharsets.UTF_8));
    List<Cell.Result> results =
        Report.readCsv(Files.readString(dir.resolve("comparison.csv"), StandardCharsets.UTF_8));
    Settings settings = Settings.parse(List.of(info.fields().get("settings").split(" ")));
    Report.write(dir, info, settings, results);
    System.out.println("compare: rewrote the reports of " + results.size() + " cells in " + dir);
  }

  /** Children running now, destroyed if this JVM is stopped. */
  private static final Set<Process> CHILDREN = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> CHILDREN.forEach(Process::destroyForcibly), "compare-children"));
  }

  /**
   * Runs one cell in a fresh JVM; its output goes to {@code log}. The child's temporary files go to
   * a folder of its own, removed afterwards even if the child was killed.
   */
  private static Cell.Result forked(Settings s, Workload w, String m, int c, Path log)
      throws IOException {
    Path tmp = Files.createTempDirectory("loopkit-compare-cell-");
    Path result = tmp.resolve("result.properties");
    try {
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse(javaFromHome()));
      cmd.addAll(CELL_JVM_OPTIONS);
      cmd.add("-Djava.io.tmpdir=" + tmp);
      cmd.add("-cp");
      cmd.add(classPath());
      cmd.add(Compare.class.getName());
      cmd.add("--child");
      cmd.add(result.toString());
      Settings one =
          new Settings(
              List.of(m),
              List.of(w),
              List.of(c),
              s.warmup(),
              s.duration(),
              s.out(),
              false,
              s.ioThreads(),
              s.platformThreads(),
              s.dbConnections(),
              s.fileKib(),
              s.httpMillis(),
              s.hashIterations(),
              s.waitMillis());
      cmd.addAll(one.toArgs());
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      CHILDREN.add(p);
      long limit = s.warmup().plus(s.duration()).plus(CELL_GRACE).toMillis();
      boolean ended;
      try {
        ended = p.waitFor(limit, TimeUnit.MILLISECONDS);
        if (!ended) {
          p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while a cell ran", e);
      } finally {
        CHILDREN.remove(p);
      }
      if (!ended) {
        return Cell.Result.failed(w, m, c, "killed after " + limit + " ms; see " + log);
      }
      if (p.exitValue() != 0 || !Files.exists(result)) {
        return Cell.Result.failed(
            w,
            m,
            c,
            "the cell's JVM exited with "
                + p.exitValue()
                + ": "
                + lastLine(log)
                + " (see "
                + log
                + ")");
      }
      return fromProperties(result);
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
   * A forked cell: runs the one cell its arguments name and writes its result. It ends the JVM
   * either way (1 if the cell threw): the cell's services may leave pool threads behind.
   */
  private static void child(List<String> args) {
    int status = 1;
    try {
      Path result = Path.of(args.get(1));
      Settings s = Settings.parse(args.subList(2, args.size()));
      Cell.Result r =
          Cell.run(s, s.workloads().get(0), s.models().get(0), s.concurrency().get(0), true);
      Properties p = new Properties();
      for (RecordComponent rc : Cell.Result.class.getRecordComponents()) {
        Object v = get(rc, r);
        if (v != null) {
          p.setProperty(rc.getName(), String.valueOf(v));
        }
      }
      Path partial = result.resolveSibling("result.partial");
      try (Writer out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
        p.store(out, "one comparison cell");
      }
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

  private static Cell.Result fromProperties(Path file) throws IOException {
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    }
    return Cell.Result.parse(p::getProperty);
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
            "[%d/%d] %-5s %-19s c=%-5d",
            index,
            total,
            r.workload(),
            r.model(),
            r.concurrency());
    if (r.failure() != null) {
      return head + " FAILED: " + r.failure();
    }
    return head
        + String.format(
            Locale.ROOT,
            " %10.1f req/s  p50 %8.2f ms  p99 %8.2f ms  cpu %6.3f ms/req  threads %4d  heap %5.0f MiB%s%s",
            r.throughput(),
            r.p50Millis(),
            r.p99Millis(),
            r.cpuMillisPerRequest(),
            r.peakPlatformThreads(),
            r.peakHeapBytes() / 1048576.0,
            r.peakRssBytes() > 0
                ? String.format(Locale.ROOT, "  rss %5.0f MiB", r.peakRssBytes() / 1048576.0)
                : "",
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

  private static String javaFromHome() {
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

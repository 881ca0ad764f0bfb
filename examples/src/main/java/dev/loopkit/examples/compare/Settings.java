package dev.loopkit.examples.compare;

import dev.loopkit.spi.CarrierProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * The comparison's command line, parsed and checked: what to run (models, workloads, concurrency
 * levels, runs, open-loop rates), for how long, and the knobs of the workloads and models. A bad
 * option is a {@link BadOption} that names it and says what is allowed.
 *
 * <p>{@link #toArgs()} gives the options back as arguments, so a child JVM runs one cell with
 * exactly the same settings.
 */
record Settings(
    boolean quick,
    List<String> models,
    List<Workload> workloads,
    List<Integer> concurrency,
    int runs,
    List<Double> open,
    int openCap,
    Duration warmup,
    Duration duration,
    Path out,
    boolean fork,
    boolean server,
    int ioThreads,
    int platformThreads,
    int dbConnections,
    int fileKib,
    int httpMillis,
    int hashIterations,
    int waitMillis,
    List<String> jvmOptions) {

  /**
   * A command line the CLI cannot run: a bad option, or an {@code --out}, {@code --rewrite} or
   * {@code --merge} folder that does not fit. Said in one line; the program ends with status 2.
   */
  static final class BadOption extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    BadOption(String message) {
      super(message);
    }
  }

  static final List<String> DEFAULT_MODELS =
      List.of(
          "loop/single-thread",
          "loop/fork-join",
          "loop/virtual",
          "threads/virtual",
          "threads/platform");

  /** The options, each with its default and a line of help, in the order {@code --help} lists. */
  static final Map<String, String[]> OPTIONS = new LinkedHashMap<>();

  static {
    option(
        "--models",
        String.join(",", DEFAULT_MODELS),
        "models to compare: loop/<carrier>, threads/virtual, threads/platform");
    option("--workloads", "file,db,http,hash,wait,mix", "workloads: " + Workload.ids());
    option(
        "--concurrency", "1,16,128,1024", "requests in flight (closed loop), one cell per level");
    option(
        "--runs",
        "3",
        "runs of each cell, each in a fresh JVM; the report shows their median and spread");
    option(
        "--open",
        "0.5,0.8",
        "open-loop arrival rates, as fractions of the fastest model's closed-loop peak on the"
            + " workload (one ladder for every model); none: no open-loop cells");
    option(
        "--open-cap",
        "1024",
        "open loop: requests in flight at most; an arrival beyond it is dropped and counted");
    option("--warmup", "2", "seconds of load before the measured window (decimals allowed)");
    option("--duration", "5", "seconds of the measured window (decimals allowed)");
    option(
        "--out", "target/compare", "folder for comparison.{json,csv,html,md} and the cells' logs");
    option(
        "--fork",
        "true",
        "run each cell in a fresh JVM (true: figures are not mixed; false: one JVM, no RSS figure)");
    option(
        "--server",
        "false",
        "put each model behind a real HTTP server on loopback, driven by an HTTP client (true),"
            + " or call its handlers in the process (false)");
    option(
        "--io-threads",
        "4",
        "loop models: threads (or, on virtual, concurrent tasks) of the io pool, as libuv's 4");
    option(
        "--platform-threads",
        "200",
        "threads/platform: threads of the fixed pool (Tomcat's default 200)");
    option("--db-connections", "16", "db: connections in the pool every model shares");
    option("--file-kib", "64", "file: size of the file read, in KiB");
    option("--http-millis", "10", "http: how long the loopback service takes to answer");
    option("--hash-iterations", "10000", "hash: PBKDF2 rounds");
    option("--wait-millis", "50", "wait: how long the simulated remote call waits");
    option(
        "--jvm-options",
        "",
        "more options for each run's JVM, comma-separated (say -Xlog:safepoint:file=sp-%p.log,"
            + "-XX:+PrintCompilation: its output goes to the run's log)");
  }

  private static void option(String name, String defaultValue, String help) {
    OPTIONS.put(name, new String[] {defaultValue, help});
  }

  /**
   * {@code --quick}: short windows, two levels, two runs, one open-loop rate, for a smoke run (its
   * figures are not results, and every page of its report says so).
   */
  static final List<String> QUICK =
      List.of(
          "--warmup",
          "0.3",
          "--duration",
          "0.5",
          "--concurrency",
          "1,8",
          "--runs",
          "2",
          "--open",
          "0.5",
          "--open-cap",
          "64");

  /** Parses {@code args} over the defaults; {@code --quick} first sets {@link #QUICK}. */
  static Settings parse(List<String> args) {
    Map<String, String> values = new LinkedHashMap<>();
    OPTIONS.forEach((k, v) -> values.put(k, v[0]));
    List<String> all = new ArrayList<>();
    if (args.contains("--quick")) {
      all.addAll(QUICK);
    }
    all.addAll(args);
    for (int i = 0; i < all.size(); i++) {
      String a = all.get(i);
      if (a.equals("--quick")) {
        continue;
      }
      String name = a;
      String value;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        name = a.substring(0, eq);
        value = a.substring(eq + 1);
      } else if (i + 1 < all.size()) {
        value = all.get(i + 1);
        if (!value.startsWith("--")) {
          i++;
        }
      } else {
        value = null;
      }
      if (!OPTIONS.containsKey(name)) {
        throw new BadOption(
            "unknown option '"
                + a
                + "'; allowed: --quick, --help, "
                + String.join(", ", OPTIONS.keySet()));
      }
      if (value == null || (eq < 0 && value.startsWith("--"))) {
        throw new BadOption(name + ": needs a value (" + OPTIONS.get(name)[1] + ")");
      }
      values.put(name, value);
    }
    return new Settings(
        args.contains("--quick"),
        list(values, "--models", Settings::model),
        list(values, "--workloads", Workload::of),
        list(values, "--concurrency", v -> integer("--concurrency", v, 1, 100_000)),
        integer("--runs", values.get("--runs"), 1, 100),
        values.get("--open").equals("none")
            ? List.of()
            : list(values, "--open", v -> fraction("--open", v)),
        integer("--open-cap", values.get("--open-cap"), 1, 100_000),
        seconds(values, "--warmup", 0),
        seconds(values, "--duration", 0.05),
        Path.of(values.get("--out")),
        bool(values, "--fork"),
        bool(values, "--server"),
        integer("--io-threads", values.get("--io-threads"), 1, 32767),
        integer("--platform-threads", values.get("--platform-threads"), 1, 32767),
        integer("--db-connections", values.get("--db-connections"), 1, 1024),
        integer("--file-kib", values.get("--file-kib"), 1, 65536),
        integer("--http-millis", values.get("--http-millis"), 0, 60_000),
        integer("--hash-iterations", values.get("--hash-iterations"), 1, 10_000_000),
        integer("--wait-millis", values.get("--wait-millis"), 1, 60_000),
        values.get("--jvm-options").isEmpty()
            ? List.of()
            : list(values, "--jvm-options", Settings::jvmOption));
  }

  /**
   * A model name, checked: {@code loop/<carrier>} for a carrier {@link ServiceLoader} finds (not
   * {@code manual}), {@code threads/virtual} or {@code threads/platform}.
   */
  static String model(String m) {
    if (m.equals("threads/virtual") || m.equals("threads/platform")) {
      return m;
    }
    List<String> loops = new ArrayList<>();
    for (CarrierProvider p : ServiceLoader.load(CarrierProvider.class)) {
      if (!p.name().equals("manual")) {
        loops.add("loop/" + p.name());
      }
    }
    String allowed = String.join(", ", loops) + ", threads/virtual, threads/platform";
    if (m.equals("loop/manual")) {
      throw new BadOption(
          "--models: loop/manual cannot be timed: the manual carrier runs a turn only when a test"
              + " asks; allowed: "
              + allowed);
    }
    if (loops.contains(m)) {
      return m;
    }
    throw new BadOption("--models: unknown model '" + m + "'; allowed: " + allowed);
  }

  private static <T> List<T> list(
      Map<String, String> values, String name, Function<String, T> item) {
    LinkedHashSet<T> items = new LinkedHashSet<>();
    for (String part : values.get(name).split(",", -1)) {
      String p = part.trim();
      if (p.isEmpty()) {
        throw new BadOption(name + ": an empty item in '" + values.get(name) + "'");
      }
      items.add(item.apply(p));
    }
    return List.copyOf(items);
  }

  private static int integer(String name, String v, int min, int max) {
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadOption(
        name + ": '" + v + "' is not allowed; a whole number from " + min + " to " + max);
  }

  private static String jvmOption(String v) {
    if (v.startsWith("-") && !v.contains(" ")) {
      return v;
    }
    throw new BadOption(
        "--jvm-options: '" + v + "' is not allowed; JVM options, each starting with -");
  }

  private static double fraction(String name, String v) {
    try {
      double f = Double.parseDouble(v.trim());
      if (f > 0 && f <= 10) {
        return f;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadOption(
        name
            + ": '"
            + v
            + "' is not allowed; a fraction of the peak above 0 and at most 10, or none");
  }

  private static Duration seconds(Map<String, String> values, String name, double min) {
    String v = values.get(name);
    try {
      double s = Double.parseDouble(v.trim());
      if (s >= min && s <= 3600) {
        return Duration.ofNanos(Math.round(s * 1e9));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadOption(name + ": '" + v + "' is not allowed; seconds from " + min + " to 3600");
  }

  private static boolean bool(Map<String, String> values, String name) {
    return switch (values.get(name)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new BadOption(name + ": '" + values.get(name) + "' is not allowed; true or false");
    };
  }

  /** These settings as command-line arguments, {@code --out} and {@code --fork} left out. */
  List<String> toArgs() {
    List<String> a = new ArrayList<>();
    if (quick) {
      a.add("--quick");
    }
    add(a, "--models", String.join(",", models));
    add(a, "--workloads", String.join(",", workloads.stream().map(Workload::id).toList()));
    add(a, "--concurrency", String.join(",", concurrency.stream().map(String::valueOf).toList()));
    add(a, "--runs", String.valueOf(runs));
    add(
        a,
        "--open",
        open.isEmpty() ? "none" : String.join(",", open.stream().map(String::valueOf).toList()));
    add(a, "--open-cap", String.valueOf(openCap));
    add(a, "--warmup", String.valueOf(warmup.toNanos() / 1e9));
    add(a, "--duration", String.valueOf(duration.toNanos() / 1e9));
    if (server) {
      add(a, "--server", "true");
    }
    add(a, "--io-threads", String.valueOf(ioThreads));
    add(a, "--platform-threads", String.valueOf(platformThreads));
    add(a, "--db-connections", String.valueOf(dbConnections));
    add(a, "--file-kib", String.valueOf(fileKib));
    add(a, "--http-millis", String.valueOf(httpMillis));
    add(a, "--hash-iterations", String.valueOf(hashIterations));
    add(a, "--wait-millis", String.valueOf(waitMillis));
    if (!jvmOptions.isEmpty()) {
      add(a, "--jvm-options", String.join(",", jvmOptions));
    }
    return a;
  }

  /**
   * What a run's figures depend on besides its cell: every setting but the grid's extent (models,
   * workloads, levels, runs, open-loop rates) and {@code --out}. Runs with other measures cannot be
   * merged into one report.
   */
  String measures() {
    List<String> a = toArgs();
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      String k = a.get(i);
      if (List.of("--models", "--workloads", "--concurrency", "--runs", "--open").contains(k)) {
        i++;
      } else {
        kept.add(k);
      }
    }
    if (!fork) {
      kept.addAll(List.of("--fork", "false"));
    }
    return String.join(" ", kept);
  }

  private static void add(List<String> a, String name, String value) {
    a.add(name);
    a.add(value);
  }

  /** The help text: usage, then each option with its default. */
  static String help() {
    StringBuilder b =
        new StringBuilder(
            "usage: compare [--quick] [--help] [--option value ...]\n"
                + "       compare --rewrite DIR          (the reports of DIR again, from its JSON)\n"
                + "       compare --merge OUT DIR...     (one report of the runs of several DIRs)\n"
                + "Runs each workload under each model at each concurrency level (closed loop),\n"
                + "then at each open-loop rate, --runs times each in a fresh JVM, and writes\n"
                + "comparison.json, .csv, .html and .md into --out. Each run is kept in --out/runs:\n"
                + "the same command again resumes where it stopped, and parts of a grid (say, some\n"
                + "workloads at a time) run into one --out give one report.\n\n"
                + "  --quick              "
                + String.join(" ", QUICK)
                + " (a smoke run; its figures are not results)\n");
    OPTIONS.forEach(
        (k, v) ->
            b.append(
                String.format(
                    "  %-20s %s (%s)%n",
                    k, v[1], v[0].isEmpty() ? "none by default" : "default " + v[0])));
    return b.toString();
  }
}

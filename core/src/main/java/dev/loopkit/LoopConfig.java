package dev.loopkit;

import static java.util.Objects.requireNonNull;

import dev.loopkit.spi.LoopClock;
import dev.loopkit.spi.PoolSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A loop's configuration: every {@code loopkit.*} key, read from (in increasing precedence) the
 * defaults, {@code loopkit.properties} on the class path, the environment ({@code LOOPKIT_*}: the
 * key upper-cased, dots as underscores), system properties ({@code loopkit.*}) and the {@link
 * Builder}.
 *
 * <p>Unknown keys and bad values fail fast with an {@link IllegalArgumentException} that names the
 * key, where it came from and what is allowed. {@link #keys()} lists the definitions; the site's
 * configuration reference is generated from them.
 */
public final class LoopConfig {

  /** Where a key's value came from, in increasing precedence. */
  public enum Source {
    DEFAULT("the default"),
    CLASSPATH("loopkit.properties"),
    ENVIRONMENT("the environment"),
    SYSTEM_PROPERTY("a system property"),
    BUILDER("the builder");

    private final String description;

    Source(String description) {
      this.description = description;
    }

    @Override
    public String toString() {
      return description;
    }
  }

  /**
   * One configuration key as documented.
   *
   * @param name the key, e.g. {@code loopkit.carrier}; {@code <pool>} stands for a pool's name
   * @param defaultValue its default, as text
   * @param allowed what values it takes
   * @param description what it does
   */
  public record Key(String name, String defaultValue, String allowed, String description) {
    /** The environment variable that sets this key. */
    public String environmentName() {
      return name.toUpperCase(Locale.ROOT).replace('.', '_');
    }
  }

  private static final int CORES = Runtime.getRuntime().availableProcessors();
  private static final String UNBOUNDED = "unbounded";
  private static final Pattern POOL_KEY =
      Pattern.compile("loopkit\\.pool\\.([a-z0-9][a-z0-9-]*)\\.(kind|size|queueCapacity)");

  // The key definitions: one place, read by the parser, the getters and the site's reference.
  private static final Map<String, Key> KEYS = new LinkedHashMap<>();

  private static void define(String name, String def, String allowed, String description) {
    KEYS.put(name, new Key(name, def, allowed, description));
  }

  static {
    define(
        "loopkit.carrier",
        "single-thread",
        "single-thread | fork-join | virtual | manual (any carrier found by ServiceLoader)",
        "The carrier that runs the loop's turns.");
    define("loopkit.name", "loop", "a non-empty name", "Prefix of loop names and thread names.");
    define(
        "loopkit.poll.maxBatch",
        "1024",
        "1 to 2147483647",
        "The most tasks and completions the poll phase runs in one turn.");
    define(
        "loopkit.queue.capacity",
        UNBOUNDED,
        "unbounded or 1 to 2147483647",
        "How many tasks handed in with execute/submit may wait in the poll queue.");
    define(
        "loopkit.queue.fullPolicy",
        "reject",
        "reject | block",
        "When the poll queue is full: refuse with RejectedExecutionException, or make the caller"
            + " wait (never the loop's own thread) up to loopkit.queue.blockTimeoutMillis.");
    define(
        "loopkit.queue.blockTimeoutMillis",
        "1000",
        "0 to 9223372036854775807",
        "How long the block policy waits for room before refusing.");
    define(
        "loopkit.offload.defaultPool",
        "io",
        "the name of a configured pool",
        "The pool that Loop.offload(task) uses.");
    define(
        "loopkit.pool.<pool>.kind",
        "io for the pool io, cpu for the pool cpu",
        "io | cpu",
        "Declares a pool named <pool> (lower-case letters, digits, '-'): io for work that"
            + " waits, cpu for work that computes (always platform threads).");
    define(
        "loopkit.pool.<pool>.size",
        "io: the carrier's (4, as libuv; unbounded on virtual); cpu: the number of cores",
        "1 to 32767",
        "The most tasks of the pool that run at once: its threads, or on the virtual and fork-join"
            + " carriers (io) how many of the threads they give tasks may run at once.");
    define(
        "loopkit.pool.<pool>.queueCapacity",
        UNBOUNDED,
        "unbounded or 1 to 2147483647",
        "How many offloads may wait for a thread of the pool before offload refuses.");
    define(
        "loopkit.idle.spinMicros",
        "20",
        "0 to 1000000",
        "How long a loop that runs out of work keeps polling for more before it lets its thread"
            + " go (parks it; on fork-join, ends its pool task; 0: at once). A task or completion"
            + " that arrives meanwhile costs no park and wake-up; the price is that much CPU per"
            + " idle spell (on virtual, the loop yields its carrier thread meanwhile). A platform"
            + " worker of an offload pool that finished a task polls as long for the next one."
            + " Neither polls on a platform thread while the loop's offloads keep every core busy:"
            + " the poll would take CPU they need.");
    define(
        "loopkit.threads.daemon",
        "true",
        "true | false",
        "Whether the threads a loop starts are daemon threads.");
    define(
        "loopkit.errors.uncaught",
        "auto",
        "auto | log | stop",
        "A callback that throws: log it and go on, or stop the loop (Loop.run rethrows it)."
            + " auto: stop in program mode, log in server mode.");
    define(
        "loopkit.errors.unhandledRejection",
        "auto",
        "auto | log | stop",
        "A promise rejected with no handler by the end of the checkpoint: log it, or stop the"
            + " loop. auto: stop in program mode (as Node 15+), log in server mode.");
    define(
        "loopkit.watchdog.thresholdMillis",
        "2000",
        "0 (off) or 1 to 2147483647",
        "A callback, with the microtask checkpoint after it, that holds the loop longer than"
            + " this gets one warning (the stack of the thread running the loop, the callback"
            + " and its phase), a count in the metrics and a JFR event (dev.loopkit.LoopBlocked)."
            + " The watchdog looks every quarter of the threshold; not on manual.");
    define(
        "loopkit.metrics.sampleEvery",
        "1024",
        "1 to 1073741824, a power of two",
        "With a metrics binder attached (LoopMetrics): time one callback in this many, and the"
            + " wait of one poll-queue item (a task, a completion) in this many (1: every one)."
            + " A timed callback costs two clock reads and a timer record, a few times an empty"
            + " turn: the default keeps that under 1% of a busy loop.");
    define(
        "loopkit.metrics.delayResolutionMillis",
        "10",
        "1 to 60000",
        "With a metrics binder attached: how often the loop-delay timer samples (as Node's"
            + " monitorEventLoopDelay resolution).");
    define(
        "loopkit.forkjoin.pool",
        "own",
        "own | shared",
        "fork-join carrier: each loop gets its own ForkJoinPool, or all loops with the same"
            + " parallelism share one (it ends when its last loop terminates).");
    define(
        "loopkit.forkjoin.parallelism",
        "the number of cores",
        "1 to 32767",
        "fork-join carrier: the pool's parallelism.");
    define(
        "loopkit.forkjoin.turnsPerTask",
        "2147483647",
        "1 to 2147483647",
        "fork-join carrier: the most turns in one slice (by default, only its time limits it).");
    define(
        "loopkit.forkjoin.sliceMicros",
        "100",
        "1 to 1000000",
        "fork-join carrier: how long a loop runs turns before its worker goes to the loop that"
            + " waited longest for the pool, if any (looked at every 64 turns), so that loops"
            + " sharing a pool take turns on its workers whether their turns are short or long.");
    define(
        "loopkit.forkjoin.compensate",
        "true",
        "true | false",
        "fork-join carrier: run io offloads inside ForkJoinPool.managedBlock, so the pool adds"
            + " a worker while one blocks (false: block the worker; for comparisons only).");
    define(
        "loopkit.netty.transport",
        "nio",
        "nio | epoll",
        "loopkit-netty: the sockets' multiplexer of a loop's I/O (epoll: Linux, with Netty's"
            + " native epoll library on the class path; without it the loop logs a warning and"
            + " uses nio).");
  }

  private final Map<String, String> values; // resolved, every known non-pool key present
  private final Map<String, Source> sources;
  private final List<PoolSpec> pools;
  private final @Nullable LoopClock clock;
  private final @Nullable ErrorHandler uncaughtErrorHandler;
  private final @Nullable ErrorHandler unhandledRejectionHandler;
  private final @Nullable Consumer<LoopBlockedWarning> blockedLoopHandler;
  private final @Nullable TaskDecorator taskDecorator;

  private LoopConfig(Builder b) {
    Map<String, String> raw = new TreeMap<>();
    Map<String, Source> src = new TreeMap<>();
    for (Key k : KEYS.values()) {
      if (!k.name().contains("<")) {
        raw.put(k.name(), k.defaultValue());
        src.put(k.name(), Source.DEFAULT);
      }
    }
    if (b.readClasspath) {
      merge(raw, src, classpathProperties(), Source.CLASSPATH);
    }
    merge(raw, src, fromEnvironment(b.environment), Source.ENVIRONMENT);
    Map<String, String> sys = new TreeMap<>();
    b.systemProperties.forEach(
        (k, v) -> {
          if (k.startsWith("loopkit.")) {
            sys.put(k, v);
          }
        });
    merge(raw, src, sys, Source.SYSTEM_PROPERTY);
    merge(raw, src, b.overrides, Source.BUILDER);
    this.values = Collections.unmodifiableMap(raw);
    this.sources = Collections.unmodifiableMap(src);
    this.pools = List.copyOf(parsePools());
    this.clock = b.clock;
    this.uncaughtErrorHandler = b.uncaughtErrorHandler;
    this.unhandledRejectionHandler = b.unhandledRejectionHandler;
    this.blockedLoopHandler = b.blockedLoopHandler;
    this.taskDecorator = b.taskDecorator;
    validate();
  }

  /** The configuration from the defaults, class path, environment and system properties. */
  public static LoopConfig load() {
    return builder().build();
  }

  /** A builder that starts from the same sources as {@link #load()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The documented keys, in the order of the reference. */
  public static List<Key> keys() {
    return List.copyOf(KEYS.values());
  }

  private static void merge(
      Map<String, String> raw, Map<String, Source> src, Map<String, String> layer, Source source) {
    layer.forEach(
        (key, value) -> {
          if (!KEYS.containsKey(key) && !POOL_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException(
                "unknown configuration key '"
                    + key
                    + "' (from "
                    + origin(source, key)
                    + "); known keys: "
                    + String.join(", ", KEYS.keySet()));
          }
          raw.put(key, requireNonNull(value, key).trim());
          src.put(key, source);
        });
  }

  private static Map<String, String> classpathProperties() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl == null) {
      cl = LoopConfig.class.getClassLoader();
    }
    Map<String, String> out = new TreeMap<>();
    try (InputStream in = cl == null ? null : cl.getResourceAsStream("loopkit.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read loopkit.properties from the class path", e);
    }
    return out;
  }

  private static Map<String, String> fromEnvironment(Map<String, String> env) {
    Map<String, String> byEnvName = new TreeMap<>();
    for (Key k : KEYS.values()) {
      if (!k.name().contains("<")) {
        byEnvName.put(k.environmentName(), k.name());
      }
    }
    Map<String, String> out = new TreeMap<>();
    Pattern pool = Pattern.compile("LOOPKIT_POOL_([A-Z0-9-]+)_(KIND|SIZE|QUEUECAPACITY)");
    env.forEach(
        (name, value) -> {
          if (!name.startsWith("LOOPKIT_")) {
            return;
          }
          String key = byEnvName.get(name);
          if (key == null) {
            Matcher m = pool.matcher(name);
            if (m.matches()) {
              String prop =
                  switch (m.group(2)) {
                    case "KIND" -> "kind";
                    case "SIZE" -> "size";
                    default -> "queueCapacity";
                  };
              key = "loopkit.pool." + m.group(1).toLowerCase(Locale.ROOT) + "." + prop;
            } else {
              throw new IllegalArgumentException(
                  "unknown configuration variable '"
                      + name
                      + "' (from the environment); known: "
                      + String.join(", ", byEnvName.keySet())
                      + ", LOOPKIT_POOL_<NAME>_KIND|SIZE|QUEUECAPACITY");
            }
          }
          out.put(key, value);
        });
    return out;
  }

  private void validate() {
    carrier();
    name();
    pollMaxBatch();
    queueCapacity();
    queueBlocks();
    queueBlockTimeoutMillis();
    daemonThreads();
    idleSpinMicros();
    uncaughtPolicy();
    unhandledRejectionPolicy();
    watchdogThresholdMillis();
    metricsSampleEvery();
    metricsDelayResolutionMillis();
    forkJoinSharedPool();
    forkJoinParallelism();
    forkJoinTurnsPerTask();
    forkJoinSliceMicros();
    forkJoinCompensates();
    String def = defaultPool();
    if (pool(def).isEmpty()) {
      throw bad(
          "loopkit.offload.defaultPool",
          def,
          "the name of a configured pool: " + String.join(", ", poolNames()));
    }
  }

  private List<PoolSpec> parsePools() {
    Map<String, Map<String, String>> byName = new TreeMap<>();
    byName.put("io", new TreeMap<>());
    byName.put("cpu", new TreeMap<>());
    values.forEach(
        (key, value) -> {
          Matcher m = POOL_KEY.matcher(key);
          if (m.matches()) {
            byName.computeIfAbsent(m.group(1), n -> new TreeMap<>()).put(m.group(2), value);
          }
        });
    List<PoolSpec> out = new ArrayList<>();
    byName.forEach(
        (name, props) -> {
          String prefix = "loopkit.pool." + name + ".";
          String kindText = props.getOrDefault("kind", name.equals("cpu") ? "cpu" : "io");
          PoolSpec.Kind kind =
              switch (kindText) {
                case "io" -> PoolSpec.Kind.IO;
                case "cpu" -> PoolSpec.Kind.CPU;
                default -> throw bad(prefix + "kind", kindText, "io | cpu");
              };
          if (!name.equals("io") && !name.equals("cpu") && !props.containsKey("kind")) {
            List<String> declaredBy = new ArrayList<>();
            props.keySet().forEach(prop -> declaredBy.add(origin(prefix + prop)));
            throw new IllegalArgumentException(
                "pool '"
                    + name
                    + "' has no kind: it is declared by "
                    + String.join(" and ", declaredBy)
                    + ", but no source sets "
                    + prefix
                    + "kind; allowed: io | cpu");
          }
          int size =
              props.containsKey("size")
                  ? parseInt(prefix + "size", props.get("size"), 1, Short.MAX_VALUE)
                  : kind == PoolSpec.Kind.CPU ? CORES : 0; // io: the carrier's default
          int capacity = boundedOrUnbounded(prefix + "queueCapacity", props.get("queueCapacity"));
          out.add(new PoolSpec(name, kind, size, capacity));
        });
    return out;
  }

  // ---- typed values ----------------------------------------------------------------------------

  /** {@code loopkit.carrier}. */
  public String carrier() {
    return nonEmpty("loopkit.carrier");
  }

  /** {@code loopkit.name}. */
  public String name() {
    return nonEmpty("loopkit.name");
  }

  /** {@code loopkit.poll.maxBatch}. */
  public int pollMaxBatch() {
    return parseInt(
        "loopkit.poll.maxBatch", values.get("loopkit.poll.maxBatch"), 1, Integer.MAX_VALUE);
  }

  /** {@code loopkit.queue.capacity}; {@link Integer#MAX_VALUE} when unbounded. */
  public int queueCapacity() {
    return boundedOrUnbounded("loopkit.queue.capacity", values.get("loopkit.queue.capacity"));
  }

  /** Whether {@code loopkit.queue.fullPolicy} is {@code block}. */
  public boolean queueBlocks() {
    return choice("loopkit.queue.fullPolicy", "reject", "block").equals("block");
  }

  /** {@code loopkit.queue.blockTimeoutMillis}. */
  public long queueBlockTimeoutMillis() {
    String key = "loopkit.queue.blockTimeoutMillis";
    return parseLong(key, values.get(key), 0, Long.MAX_VALUE);
  }

  /** {@code loopkit.offload.defaultPool}. */
  public String defaultPool() {
    return nonEmpty("loopkit.offload.defaultPool");
  }

  /** Every configured offload pool ({@code io} and {@code cpu} always among them), by name. */
  public List<PoolSpec> pools() {
    return pools;
  }

  /** The pool of that name, if configured. */
  public Optional<PoolSpec> pool(String name) {
    return pools.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** The names of the configured pools. */
  public List<String> poolNames() {
    return pools.stream().map(PoolSpec::name).toList();
  }

  /** {@code loopkit.idle.spinMicros}. */
  public int idleSpinMicros() {
    return parseInt("loopkit.idle.spinMicros", values.get("loopkit.idle.spinMicros"), 0, 1_000_000);
  }

  /** {@code loopkit.threads.daemon}. */
  public boolean daemonThreads() {
    return bool("loopkit.threads.daemon");
  }

  /** {@code loopkit.errors.uncaught}: {@code auto}, {@code log} or {@code stop}. */
  public String uncaughtPolicy() {
    return choice("loopkit.errors.uncaught", "auto", "log", "stop");
  }

  /** {@code loopkit.errors.unhandledRejection}: {@code auto}, {@code log} or {@code stop}. */
  public String unhandledRejectionPolicy() {
    return choice("loopkit.errors.unhandledRejection", "auto", "log", "stop");
  }

  /** {@code loopkit.watchdog.thresholdMillis}; 0 when the watchdog is off. */
  public long watchdogThresholdMillis() {
    String key = "loopkit.watchdog.thresholdMillis";
    return parseLong(key, values.get(key), 0, Integer.MAX_VALUE);
  }

  /** {@code loopkit.metrics.sampleEvery}: a power of two. */
  public int metricsSampleEvery() {
    String key = "loopkit.metrics.sampleEvery";
    String v = values.get(key);
    int n = parseInt(key, v, 1, 1 << 30);
    if (Integer.bitCount(n) != 1) {
      throw bad(key, v, "a power of two from 1 to 1073741824");
    }
    return n;
  }

  /** {@code loopkit.metrics.delayResolutionMillis}. */
  public int metricsDelayResolutionMillis() {
    String key = "loopkit.metrics.delayResolutionMillis";
    return parseInt(key, values.get(key), 1, 60_000);
  }

  /** Whether {@code loopkit.forkjoin.pool} is {@code shared}. */
  public boolean forkJoinSharedPool() {
    return choice("loopkit.forkjoin.pool", "own", "shared").equals("shared");
  }

  /** {@code loopkit.forkjoin.parallelism}. */
  public int forkJoinParallelism() {
    String key = "loopkit.forkjoin.parallelism";
    String v = requireNonNull(values.get(key)); // every known key has a value
    String def = requireNonNull(KEYS.get(key)).defaultValue();
    return v.equals(def) ? CORES : parseInt(key, v, 1, Short.MAX_VALUE);
  }

  /** {@code loopkit.forkjoin.turnsPerTask}. */
  public int forkJoinTurnsPerTask() {
    String key = "loopkit.forkjoin.turnsPerTask";
    return parseInt(key, values.get(key), 1, Integer.MAX_VALUE);
  }

  /** {@code loopkit.forkjoin.sliceMicros}. */
  public int forkJoinSliceMicros() {
    String key = "loopkit.forkjoin.sliceMicros";
    return parseInt(key, values.get(key), 1, 1_000_000);
  }

  /** {@code loopkit.forkjoin.compensate}. */
  public boolean forkJoinCompensates() {
    return bool("loopkit.forkjoin.compensate");
  }

  /** The clock given to the builder, if any (otherwise the carrier's default). */
  public Optional<LoopClock> clock() {
    return Optional.ofNullable(clock);
  }

  /** The uncaught-error handler given to the builder, if any (otherwise the policy's). */
  public Optional<ErrorHandler> uncaughtErrorHandler() {
    return Optional.ofNullable(uncaughtErrorHandler);
  }

  /** The unhandled-rejection handler given to the builder, if any (otherwise the policy's). */
  public Optional<ErrorHandler> unhandledRejectionHandler() {
    return Optional.ofNullable(unhandledRejectionHandler);
  }

  /** The blocked-loop handler given to the builder, if any (otherwise: log a warning). */
  public Optional<Consumer<LoopBlockedWarning>> blockedLoopHandler() {
    return Optional.ofNullable(blockedLoopHandler);
  }

  /** The task decorator given to the builder, if any. */
  public Optional<TaskDecorator> taskDecorator() {
    return Optional.ofNullable(taskDecorator);
  }

  /** The raw value of {@code key}, if set by any source (defaults included). */
  public Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  /** Where the value of {@code key} came from. */
  public Optional<Source> sourceOf(String key) {
    return Optional.ofNullable(sources.get(key));
  }

  @Override
  public String toString() {
    return "LoopConfig" + values;
  }

  // ---- parsing ---------------------------------------------------------------------------------

  private String nonEmpty(String key) {
    String v = values.get(key);
    if (v == null || v.isEmpty()) {
      throw bad(key, v, "a non-empty value");
    }
    return v;
  }

  private boolean bool(String key) {
    return choice(key, "true", "false").equals("true");
  }

  private String choice(String key, String... allowed) {
    String v = values.get(key);
    for (String a : allowed) {
      if (a.equals(v)) {
        return a;
      }
    }
    throw bad(key, v, String.join(" | ", allowed));
  }

  private int boundedOrUnbounded(String key, @Nullable String v) {
    if (v == null || v.equals(UNBOUNDED)) {
      return Integer.MAX_VALUE;
    }
    try {
      return parseInt(key, v, 1, Integer.MAX_VALUE);
    } catch (IllegalArgumentException e) {
      throw bad(key, v, UNBOUNDED + " or a whole number from 1 to " + Integer.MAX_VALUE);
    }
  }

  private int parseInt(String key, @Nullable String v, int min, int max) {
    return (int) parseLong(key, v, min, max);
  }

  private long parseLong(String key, @Nullable String v, long min, long max) {
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw bad(key, v, "a whole number from " + min + " to " + max);
    }
    if (n < min || n > max) {
      throw bad(key, v, "a whole number from " + min + " to " + max);
    }
    return n;
  }

  private IllegalArgumentException bad(String key, @Nullable String value, String allowed) {
    return new IllegalArgumentException(
        key + ": '" + value + "' (from " + origin(key) + ") is not allowed; allowed: " + allowed);
  }

  /** Where the value of {@code key} came from, as {@link #origin(Source, String)} spells it. */
  private String origin(String key) {
    return origin(sources.getOrDefault(key, Source.DEFAULT), key);
  }

  /**
   * Where {@code key} was set, naming the key as that source spells it, e.g. {@code system property
   * loopkit.pool.db.size} or {@code environment LOOPKIT_POOL_DB_SIZE}: every message about a key
   * says this, so that the reader can find the setting to change.
   */
  private static String origin(Source source, String key) {
    return switch (source) {
      case DEFAULT -> "the default of " + key;
      case CLASSPATH -> key + " in loopkit.properties on the class path";
      // The variable's name: fromEnvironment maps it to the key by exactly the inverse.
      case ENVIRONMENT -> "environment " + key.toUpperCase(Locale.ROOT).replace('.', '_');
      case SYSTEM_PROPERTY -> "system property " + key;
      case BUILDER -> key + " given to LoopConfig.builder()";
    };
  }

  /** Builds a {@link LoopConfig}; its settings take precedence over every other source. */
  public static final class Builder {
    private final Map<String, String> overrides = new TreeMap<>();
    private Map<String, String> environment = System.getenv();
    private Map<String, String> systemProperties = systemPropertiesSnapshot();
    private boolean readClasspath = true;
    private @Nullable LoopClock clock;
    private @Nullable ErrorHandler uncaughtErrorHandler;
    private @Nullable ErrorHandler unhandledRejectionHandler;
    private @Nullable Consumer<LoopBlockedWarning> blockedLoopHandler;
    private @Nullable TaskDecorator taskDecorator;

    private Builder() {}

    private static Map<String, String> systemPropertiesSnapshot() {
      Map<String, String> out = new TreeMap<>();
      Properties p = System.getProperties();
      for (String k : p.stringPropertyNames()) {
        out.put(k, p.getProperty(k));
      }
      return out;
    }

    /** Sets {@code key} (a {@code loopkit.*} key) to {@code value}. */
    public Builder set(String key, String value) {
      requireNonNull(key, "key");
      requireNonNull(value, "value");
      overrides.put(key, value);
      return this;
    }

    /** Sets {@code key} to {@code value}'s text. */
    public Builder set(String key, Object value) {
      return set(key, String.valueOf(requireNonNull(value, "value")));
    }

    /** {@code loopkit.carrier}. */
    public Builder carrier(String carrier) {
      return set("loopkit.carrier", carrier);
    }

    /** {@code loopkit.name}. */
    public Builder name(String name) {
      return set("loopkit.name", name);
    }

    /** Reads {@code LOOPKIT_*} from {@code environment} instead of the process's environment. */
    public Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(requireNonNull(environment, "environment"));
      return this;
    }

    /** Reads {@code loopkit.*} from {@code properties} instead of the system properties. */
    public Builder systemProperties(Map<String, String> properties) {
      this.systemProperties = Map.copyOf(requireNonNull(properties, "properties"));
      return this;
    }

    /** Reads only the defaults and the builder: no class path, environment or system properties. */
    public Builder isolated() {
      this.environment = Map.of();
      this.systemProperties = Map.of();
      this.readClasspath = false;
      return this;
    }

    /** The clock the loop reads (default: the system's, or a virtual one for {@code manual}). */
    public Builder clock(LoopClock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** Replaces the uncaught-error policy with {@code handler}. */
    public Builder onUncaughtError(ErrorHandler handler) {
      this.uncaughtErrorHandler = requireNonNull(handler, "handler");
      return this;
    }

    /** Replaces the unhandled-rejection policy with {@code handler}. */
    public Builder onUnhandledRejection(ErrorHandler handler) {
      this.unhandledRejectionHandler = requireNonNull(handler, "handler");
      return this;
    }

    /**
     * Replaces the watchdog's default report (a warning through {@link System.Logger}) with {@code
     * handler}. It runs on the watchdog's thread, once per incident, while the loop is still
     * blocked: it must be quick and must not wait for the loop.
     */
    public Builder onBlockedLoop(Consumer<LoopBlockedWarning> handler) {
      this.blockedLoopHandler = requireNonNull(handler, "handler");
      return this;
    }

    /**
     * Wraps every callback the loop is given, when it is given, on the scheduling thread (Reactor's
     * {@code onScheduleHook}): see {@link TaskDecorator} for which callbacks it sees. Code only: no
     * configuration key sets it. A later call replaces an earlier one.
     */
    public Builder taskDecorator(TaskDecorator decorator) {
      this.taskDecorator = requireNonNull(decorator, "decorator");
      return this;
    }

    /**
     * The configuration.
     *
     * @throws IllegalArgumentException for an unknown key or a bad value, naming both
     */
    public LoopConfig build() {
      return new LoopConfig(this);
    }
  }
}

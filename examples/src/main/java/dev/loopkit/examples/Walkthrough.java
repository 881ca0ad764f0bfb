package dev.loopkit.examples;

import dev.loopkit.DelayMonitor;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The tutorial walkthrough: four scenes that reproduce, line by line, what the Node.js tutorial
 * shows — two tasks run to completion in order, a file read whose callback comes after the next
 * synchronous line, a CPU-heavy hash offloaded while the loop keeps serving, and three users (a
 * file, a database, an HTTP service) served together by one loop.
 *
 * <p>Run it with {@code ./with-jdk21 ./mvnw -q -B -pl examples -am compile exec:java}; choose the
 * carrier with {@code LOOPKIT_CARRIER} or {@code -Dloopkit.carrier} (default {@code
 * single-thread}). Each scene ends with the loop's largest delay while it ran ({@code
 * monitorDelay}, as Node's {@code monitorEventLoopDelay}).
 *
 * <p>The whole walkthrough is one program-mode run ({@link Loop#run(LoopConfig, Runnable)}): the
 * scenes are chained with promises and the run returns when the last one is done. The slow services
 * of scene 4 (an embedded H2 database and a loopback HTTP server) are set up and warmed up before
 * the loop starts, and closed after it ends, so the program leaves no thread behind.
 */
public final class Walkthrough {

  /** How long scene 4's database query spends inside the database. */
  static final Duration QUERY_TIME = Duration.ofMillis(200);

  /** How long scene 4's HTTP service takes to answer. */
  static final Duration HTTP_TIME = Duration.ofMillis(300);

  private static final String FILE_TEXT = "Hello, loop!"; // 12 bytes

  private final PrintStream out;
  private final Path file;
  private final EmbeddedDatabase database;
  private final LoopbackHttpService http;

  private Walkthrough(
      PrintStream out, Path file, EmbeddedDatabase database, LoopbackHttpService http) {
    this.out = out;
    this.file = file;
    this.database = database;
    this.http = http;
  }

  /** Runs the walkthrough on the configured carrier, printing to standard output. */
  public static void main(String[] args) {
    run(System.out, LoopConfig.load());
  }

  /**
   * Runs the walkthrough on the carrier {@code config} names, printing the transcript to {@code
   * out}; returns when every scene is done and every service it started is closed.
   */
  public static void run(PrintStream out, LoopConfig config) {
    Path file;
    try {
      file = Files.createTempFile("loopkit-walkthrough-", ".txt");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the walkthrough's file", e);
    }
    try (LoopbackHttpService http = LoopbackHttpService.start(HTTP_TIME);
        EmbeddedDatabase database = EmbeddedDatabase.open(QUERY_TIME)) {
      Files.writeString(file, FILE_TEXT, StandardCharsets.UTF_8);
      // Warm up before any clock starts: class loading, the HTTP connection, the file system.
      http.get();
      Files.readString(file);
      new Walkthrough(out, file, database, http).play(config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while warming up", e);
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        out.println("(could not delete " + file + ": " + e + ")");
      }
    }
  }

  private void play(LoopConfig config) {
    Loop.run(
        config,
        () -> {
          Loop loop = Loop.current();
          out.println("loopkit walkthrough on the " + loop.carrier() + " carrier");
          scene(loop, "Scene 1: two tasks, each runs to completion", () -> twoTasks(loop))
              .thenCompose(
                  v ->
                      scene(
                          loop,
                          "Scene 2: a file read, offloaded; its callback comes later",
                          () -> fileRead(loop)))
              .thenCompose(
                  v ->
                      scene(
                          loop,
                          "Scene 3: a CPU-heavy hash on the cpu pool, the loop keeps serving",
                          () -> hashing(loop)))
              .thenCompose(
                  v ->
                      scene(
                          loop,
                          "Scene 4: three users served together by one loop",
                          () -> threeUsers(loop)));
        });
  }

  /** Prints the title, plays the scene, then prints the loop's largest delay during it. */
  private Promise<Void> scene(Loop loop, String title, Supplier<Promise<Void>> body) {
    out.println();
    out.println(title);
    DelayMonitor monitor = loop.monitorDelay(Duration.ofMillis(10));
    return body.get()
        .then(
            v -> {
              long samples = monitor.count();
              out.printf(
                  Locale.ROOT,
                  "  max loop delay: %.1f ms (%s)%n",
                  millis(monitor.max().toNanos()),
                  samples == 0
                      ? "no sample: the scene took less than the 10 ms resolution"
                      : samples == 1 ? "1 sample" : samples + " samples");
              monitor.close();
              return null;
            });
  }

  // Scene 1: callbacks run one at a time, each to completion, in the order they were handed in.
  private Promise<Void> twoTasks(Loop loop) {
    Promise.Resolvers<Void> done = Promise.withResolvers(loop);
    loop.execute(() -> out.println("Task 1 started"));
    loop.execute(
        () -> {
          out.println("Task 2 started");
          done.resolve(null);
        });
    return done.promise();
  }

  // Scene 2: the read runs off the loop; its callback runs on the loop after the current callback.
  private Promise<Void> fileRead(Loop loop) {
    out.println("Request 1 started");
    Promise<Void> read =
        loop.offload(() -> Files.readString(file, StandardCharsets.UTF_8))
            .then(
                text -> {
                  out.println("File reading completed");
                  return null;
                });
    out.println("Request 2 started");
    return read;
  }

  // Scene 3: PBKDF2 on the cpu pool; meanwhile an interval counts the callbacks the loop serves.
  private Promise<Void> hashing(Loop loop) {
    int[] served = {0};
    out.println("Hashing started");
    Timer otherRequests = loop.setInterval(() -> served[0]++, 1);
    Promise<Void> hashed =
        loop.offload("cpu", () -> pbkdf2("password", "salt"))
            .then(
                key -> {
                  otherRequests.cancel();
                  out.println("Hash generated");
                  out.printf(
                      Locale.ROOT,
                      "  served %d other callbacks while hashing (%d-byte key)%s%n",
                      served[0],
                      key.length,
                      loop.carrier().equals("manual")
                          ? "; the manual carrier hashed on the caller's thread, virtual time"
                              + " stood still"
                          : "");
                  return null;
                });
    out.println("Handling other requests");
    return hashed;
  }

  /** PBKDF2WithHmacSHA512, 100,000 iterations, a 64-byte key: the tutorial's {@code pbkdf2}. */
  static byte[] pbkdf2(String password, String salt) throws GeneralSecurityException {
    PBEKeySpec spec =
        new PBEKeySpec(
            password.toCharArray(), salt.getBytes(StandardCharsets.UTF_8), 100_000, 64 * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
    } finally {
      spec.clearPassword();
    }
  }

  // Scene 4: three slow jobs started together; the loop waits for none of them.
  private Promise<Void> threeUsers(Loop loop) {
    long start = System.nanoTime();
    List<String> events = new ArrayList<>(); // touched only on the loop: "sent 1", "replied 1", ...
    out.println("User 1 started (read a file)");
    events.add("sent 1");
    Promise<Void> user1 =
        loop.offload(() -> Files.readAllBytes(file))
            .then(
                bytes -> {
                  events.add("replied 1");
                  out.println("User 1: file read (" + bytes.length + " bytes)");
                  return null;
                });
    out.println("User 2 started (database query, " + QUERY_TIME.toMillis() + " ms in H2)");
    events.add("sent 2");
    Promise<Void> user2 =
        loop.offload(() -> database.userName(2))
            .then(
                name -> {
                  events.add("replied 2");
                  out.println("User 2: database answered (user 2 is " + name + ")");
                  return null;
                });
    out.println(
        "User 3 started (HTTP GET, the service answers after " + HTTP_TIME.toMillis() + " ms)");
    events.add("sent 3");
    Promise<Void> user3 =
        loop.offload(http::get)
            .then(
                status -> {
                  events.add("replied 3");
                  out.println("User 3: HTTP answered " + status);
                  return null;
                });
    return Promise.all(List.of(user1, user2, user3))
        .then(
            all -> {
              out.printf(
                  Locale.ROOT,
                  "  total %.0f ms: %s%n",
                  millis(System.nanoTime() - start),
                  verdict(events) + (loop.carrier().equals("manual") ? MANUAL_NOTE : ""));
              return null;
            });
  }

  private static final String MANUAL_NOTE =
      "; the manual carrier then ran the offloads one after another on the caller's thread";

  /**
   * Scene 4's verdict, judged by overlap rather than by a stopwatch: the users were served together
   * when each user's request went out before the previous user's reply came back to the loop.
   * {@code events} is what happened on the loop, in order: {@code "sent 1"}, {@code "replied 1"}...
   */
  static String verdict(List<String> events) {
    for (int user = 2; user <= 3; user++) {
      if (events.indexOf("sent " + user) > events.indexOf("replied " + (user - 1))) {
        return "NOT served together (user "
            + user
            + "'s request waited for user "
            + (user - 1)
            + "'s reply)";
      }
    }
    return "served together (each user's request went out before the previous user's reply came"
        + " back)";
  }

  private static double millis(long nanos) {
    return nanos / 1_000_000.0;
  }
}

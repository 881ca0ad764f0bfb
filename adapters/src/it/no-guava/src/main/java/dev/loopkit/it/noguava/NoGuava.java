package dev.loopkit.it.noguava;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import dev.loopkit.spi.LoopClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a loop with loopkit-core and loopkit-adapters only; exits 1 if Guava is visible or the loop
 * did not run as expected.
 */
public final class NoGuava {
  private NoGuava() {}

  public static void main(String[] args) {
    String where = args.length > 0 ? args[0] : "?";
    if (guavaVisible()) {
      System.err.println("no-guava (" + where + "): FAIL: Guava is visible to a loopkit user");
      System.exit(1);
    }
    List<String> log = new ArrayList<>();
    LoopConfig config =
        LoopConfig.builder()
            .isolated()
            .carrier("single-thread")
            .clock(LoopClock.of(System::nanoTime))
            .build();
    Loop.run(
        config,
        () -> {
          Loop loop = Loop.current();
          loop.setTimeout(() -> log.add("timeout"), Duration.ofMillis(1));
          // Promise.from's overloads once named a Guava type: javac needed Guava to pick one.
          Promise.from(loop, CompletableFuture.completedFuture("promise")).thenAccept(log::add);
          loop.nextTick(() -> log.add("tick"));
          log.add("main");
        });
    System.out.println("no-guava (" + where + "): " + log);
    if (!log.equals(List.of("main", "tick", "promise", "timeout"))) {
      System.err.println("no-guava (" + where + "): FAIL: unexpected order " + log);
      System.exit(1);
    }
  }

  private static boolean guavaVisible() {
    if (ModuleLayer.boot().findModule("com.google.common").isPresent()) {
      return true;
    }
    try {
      Class.forName("com.google.common.base.Ticker", false, NoGuava.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException expected) {
      return false;
    }
  }
}

package dev.loopkit.spi;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Executors that carriers commonly put behind offload pools. */
public final class OffloadExecutors {
  private OffloadExecutors() {}

  /**
   * Up to {@code threads} platform threads named after the loop and the pool, daemon as the loop's
   * configuration says; idle ones exit after 10 s and are made again when needed. The engine hands
   * it at most {@code threads} tasks at once, so a task never waits here for long.
   */
  public static ExecutorService platform(String pool, int threads, LoopDriver driver) {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            threads,
            threads,
            10,
            TimeUnit.SECONDS,
            // a worker that finished a task spins briefly before it parks, so the next offload
            // of a busy loop finds it awake (no unpark); an idle one parks, costing nothing
            new LinkedTransferQueue<>(),
            driver.threadFactory(pool));
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }
}

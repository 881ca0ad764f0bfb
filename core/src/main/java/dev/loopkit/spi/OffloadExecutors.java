package dev.loopkit.spi;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Executors that carriers commonly put behind offload pools. */
public final class OffloadExecutors {
  private OffloadExecutors() {}

  /**
   * A fixed pool of {@code spec.size()} platform threads with a queue of {@code
   * spec.queueCapacity()}; a full queue refuses with {@link
   * java.util.concurrent.RejectedExecutionException}. Idle threads exit after 10 s and are made
   * again when needed.
   */
  public static ExecutorService platform(PoolSpec spec, LoopDriver driver) {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            spec.size(),
            spec.size(),
            10,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(spec.queueCapacity()),
            driver.threadFactory(spec.name()));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}

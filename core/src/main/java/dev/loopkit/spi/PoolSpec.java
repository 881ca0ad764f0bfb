package dev.loopkit.spi;

/**
 * One configured offload pool.
 *
 * @param name the pool's name, as given to {@code Loop.offload(pool, task)}
 * @param kind {@code io} (work that waits) or {@code cpu} (work that computes)
 * @param size the most tasks of the pool that run at once; 0 when not configured (an {@code io}
 *     pool): then the carrier's {@link Carrier#poolBound} decides
 * @param queueCapacity how many tasks may wait for a thread before offload is refused
 */
public record PoolSpec(String name, Kind kind, int size, int queueCapacity) {

  /** What kind of work a pool runs. */
  public enum Kind {
    /** Work that waits (files, databases, remote calls). */
    IO,
    /** Work that computes: always platform threads, sized to the cores. */
    CPU
  }
}

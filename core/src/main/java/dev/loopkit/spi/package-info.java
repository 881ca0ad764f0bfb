/**
 * The service provider interface: what a carrier implements to run a loop's turns on threads of its
 * choosing. The engine keeps every semantic; a carrier only decides when, and on which thread,
 * {@link dev.loopkit.spi.LoopDriver#runTurns} is called.
 *
 * <p>A carrier with a thread of its own, for a loop on a real clock:
 *
 * <pre>{@code
 * final class ParkingCarrier implements Carrier {
 *   private final LoopDriver driver;
 *   private final Thread thread;
 *   private volatile boolean parked;
 *
 *   ParkingCarrier(LoopDriver driver) {
 *     this.driver = driver;
 *     this.thread = driver.threadFactory("loop").newThread(this::turns);
 *   }
 *
 *   public void start() {
 *     thread.start();
 *   }
 *
 *   public void wake() { // cheap, never blocks
 *     if (parked) {
 *       LockSupport.unpark(thread);
 *     }
 *   }
 *
 *   private void turns() {
 *     for (;;) {
 *       LoopDriver.Next next = driver.runTurns(Integer.MAX_VALUE);
 *       switch (next) {
 *         case RUN_AGAIN -> {}
 *         case TERMINATED, HANDED_OFF -> {
 *           return;
 *         }
 *         case IDLE, AT_DEADLINE -> {
 *           parked = true; // publish, then look once more: no wake-up is lost
 *           if (!driver.hasPendingWork()) {
 *             if (next == LoopDriver.Next.IDLE) {
 *               LockSupport.park(this);
 *             } else {
 *               LockSupport.parkNanos(this, driver.nextDeadline() - driver.clock().nanoTime());
 *             }
 *           }
 *           parked = false;
 *         }
 *       }
 *     }
 *   }
 * }
 * }</pre>
 *
 * <p>A {@link dev.loopkit.spi.CarrierProvider} names it, and is found by {@link
 * java.util.ServiceLoader} ({@code provides dev.loopkit.spi.CarrierProvider with ...} in a module,
 * {@code META-INF/services/dev.loopkit.spi.CarrierProvider} on the class path); users choose it
 * with {@code loopkit.carrier}.
 */
@NullMarked
package dev.loopkit.spi;

import org.jspecify.annotations.NullMarked;

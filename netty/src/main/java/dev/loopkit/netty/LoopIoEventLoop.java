package dev.loopkit.netty;

import dev.loopkit.Loop;
import dev.loopkit.Timer;
import dev.loopkit.spi.IoPoller;
import dev.loopkit.spi.LoopClock;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A loopkit loop as Netty sees it: an {@link IoEventLoop} whose tasks, scheduled tasks and channel
 * events all run as the loop's callbacks, so Netty's channels, pipelines and codecs run on the loop
 * unchanged.
 *
 * <pre>{@code
 * Implementation notes
 *
 * inEventLoop is the loop's: true on whichever thread runs the loop now (the carrier may change it
 * between turns; NIO's handler allows that). execute hands the task to the loop's poll phase
 * (IoPoller.Host.handIn: FIFO, never inline, accepted until the loop terminates). Netty's
 * scheduled tasks keep Netty's own queue (AbstractScheduledEventExecutor, on the loop's clock);
 * one unref'd loopkit timer is armed for the earliest of them (armScheduled) and runs the due
 * ones in the loop's timers phase. The loop's end completes terminationFuture.
 * }</pre>
 */
final class LoopIoEventLoop extends AbstractScheduledEventExecutor implements IoEventLoop {
  private final Loop loop;
  private final NioPoller poller;
  private final boolean epollRequested; // loopkit.netty.transport=epoll, and it loads
  private volatile int sockets; // 0: not decided yet; 1: on NIO; 2: on epoll
  private final IoPoller.Host host;
  private final Events events;
  private final Ticker ticker;
  private final Promise<Void> terminated = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);
  private Timer scheduledTimer; // loop: armed for Netty's earliest scheduled task
  private long scheduledTimerDeadline;
  private int localFlushes; // loop: local channels' flushes running (see LocalHop)

  LoopIoEventLoop(Loop loop) {
    this.loop = loop;
    this.ticker = new ClockTicker(loop.clock());
    this.epollRequested = Transports.epollChosen(loop);
    this.poller = new NioPoller(this);
    this.host = IoPoller.attach(loop, poller);
    this.events = new Events(loop, host, poller::isClosed);
    var unused = loop.terminationFuture().whenComplete((v, e) -> terminated.trySuccess(null));
  }

  /**
   * Whether this loop's sockets are epoll's: decided on the loop, at the first use there. Epoll was
   * asked for and loads, and the loop does not run on a virtual thread: epoll's wait is a native
   * call that would pin the virtual thread's carrier thread (NIO's parks it, on JDK 25), so such a
   * loop uses NIO and logs why. Off the loop before the decision: what was asked for.
   */
  boolean socketsOnEpoll() {
    int s = sockets;
    if (s == 0) {
      if (!epollRequested) {
        sockets = 1;
        return false;
      }
      if (!loop.inEventLoop()) {
        return true; // (not decided yet)
      }
      boolean virtual = Thread.currentThread().isVirtual();
      if (virtual) {
        Transports.warnVirtual(loop);
      }
      s = virtual ? 1 : 2;
      sockets = s;
    }
    return s == 2;
  }

  /** The TCP client channels of this loop's transport. */
  Class<? extends SocketChannel> socketChannelType() {
    return socketsOnEpoll() ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /** The TCP server channels of this loop's transport. */
  Class<? extends ServerSocketChannel> serverChannelType() {
    return socketsOnEpoll() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** The loopkit loop. */
  Loop loop() {
    return loop;
  }

  /** How the Node-style API calls its users' callbacks on this loop. */
  Events events() {
    return events;
  }

  /** A local channel's flush starts (loop): what it delivers to a peer waits for a task. */
  void localFlushStarted() {
    localFlushes++;
  }

  void localFlushEnded() {
    localFlushes--;
  }

  /** Whether a local channel's flush is running (loop). */
  boolean inLocalFlush() {
    return localFlushes > 0;
  }

  // ---- the thread and the tasks ----

  @Override
  public boolean inEventLoop(Thread thread) {
    return thread == Thread.currentThread() && loop.inEventLoop();
  }

  @Override
  public void execute(Runnable task) {
    Objects.requireNonNull(task, "task");
    if (poller.isClosed() && loop.inEventLoop()) {
      poller.late(task); // the loop's end is closing the channels: their clean-up
      return;
    }
    if (!host.handIn(() -> runThenArm(task))) {
      if (loop.inEventLoop()) {
        task.run(); // the loop's end closing its channels: their last steps run now, on the loop
        return;
      }
      throw new RejectedExecutionException("the loop " + loop.name() + " has terminated");
    }
  }

  private void runThenArm(Runnable task) {
    try {
      events.runIo(task);
    } finally {
      armScheduled();
    }
    events.rethrowFatal();
  }

  @Override
  public Ticker ticker() {
    return ticker;
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return armed(super.schedule(command, delay, unit));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return armed(super.schedule(callable, delay, unit));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    return armed(super.scheduleAtFixedRate(command, initialDelay, period, unit));
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return armed(super.scheduleWithFixedDelay(command, initialDelay, delay, unit));
  }

  /** On the loop the task joined the queue at once: arm for it (off the loop, execute does). */
  private <F> F armed(F future) {
    if (loop.inEventLoop()) {
      armScheduled();
    }
    return future;
  }

  /**
   * Arms the loopkit timer for Netty's earliest scheduled task, if it is not armed early enough.
   */
  private void armScheduled() {
    long deadline = nextScheduledTaskDeadlineNanos();
    if (deadline == -1 || (scheduledTimer != null && scheduledTimerDeadline <= deadline)) {
      return;
    }
    if (scheduledTimer != null) {
      scheduledTimer.cancel();
    }
    long delayNanos = Math.max(0, deadline - getCurrentTimeNanos());
    long millis = TimeUnit.NANOSECONDS.toMillis(delayNanos + 999_999); // never early
    scheduledTimerDeadline = deadline;
    scheduledTimer = loop.setTimeout(this::runScheduled, Duration.ofMillis(millis)).unref();
  }

  private void runScheduled() {
    scheduledTimer = null;
    long now = getCurrentTimeNanos();
    for (Runnable task; (task = pollScheduledTask(now)) != null; ) {
      events.runIo(task); // (a ScheduledFutureTask: its outcome goes to its future)
    }
    armScheduled();
    events.rethrowFatal();
  }

  // ---- registration ----

  @Override
  public Future<IoRegistration> register(IoHandle handle) {
    Promise<IoRegistration> promise = newPromise();
    if (inEventLoop()) {
      registerNow(handle, promise);
    } else {
      execute(() -> registerNow(handle, promise));
    }
    return promise;
  }

  private void registerNow(IoHandle handle, Promise<IoRegistration> promise) {
    try {
      promise.setSuccess(poller.register(handle));
    } catch (Throwable t) {
      promise.setFailure(t);
    }
  }

  @Override
  public boolean isCompatible(Class<? extends IoHandle> handleType) {
    return poller.isCompatible(handleType);
  }

  @Override
  public boolean isIoType(Class<? extends IoHandler> handlerType) {
    return handlerType == (socketsOnEpoll() ? EpollIoHandler.class : NioIoHandler.class)
        || handlerType == LocalIoHandler.class;
  }

  @Override
  @Deprecated
  public ChannelFuture register(Channel channel) {
    return register(new DefaultChannelPromise(channel, this));
  }

  @Override
  @Deprecated
  public ChannelFuture register(ChannelPromise promise) {
    promise.channel().unsafe().register(this, promise);
    return promise;
  }

  @Override
  @Deprecated
  public ChannelFuture register(Channel channel, ChannelPromise promise) {
    channel.unsafe().register(this, promise);
    return promise;
  }

  @Override
  public IoEventLoop next() {
    return this;
  }

  @Override
  public IoEventLoopGroup parent() {
    return this;
  }

  // ---- the lifecycle: the loop's ----

  @Override
  public boolean isShuttingDown() {
    return loop.isShutdown();
  }

  @Override
  public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
    var unused =
        loop.shutdownGracefully(
            Duration.ofNanos(unit.toNanos(quietPeriod)), Duration.ofNanos(unit.toNanos(timeout)));
    return terminated; // the same end, as Netty's future
  }

  @Override
  public Future<?> terminationFuture() {
    return terminated;
  }

  @Override
  @Deprecated
  public void shutdown() {
    loop.shutdown();
  }

  @Override
  public boolean isShutdown() {
    return loop.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return loop.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return loop.awaitTermination(timeout, unit);
  }

  @Override
  public String toString() {
    return "LoopIoEventLoop[" + loop + "]";
  }

  /** Netty's ticker over the loop's clock (virtual on {@code manual}). */
  private record ClockTicker(LoopClock clock) implements Ticker {
    @Override
    public long initialNanoTime() {
      return 0;
    }

    @Override
    public long nanoTime() {
      return clock.nanoTime();
    }

    @Override
    public void sleep(long delay, TimeUnit unit) {
      throw new UnsupportedOperationException("a loop's ticker does not sleep");
    }
  }
}

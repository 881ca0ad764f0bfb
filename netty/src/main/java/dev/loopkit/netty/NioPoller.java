package dev.loopkit.netty;

import dev.loopkit.spi.IoPoller;
import dev.loopkit.spi.LoopClock;
import io.netty.channel.IoEvent;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.local.LocalIoHandle;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.nio.NioIoEvent;
import io.netty.channel.nio.NioIoHandle;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.nio.NioIoOps;
import java.nio.channels.SelectableChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Netty's multiplexers as the loop's {@link IoPoller}: NIO's ({@link NioIoHandler}) or epoll's
 * ({@link EpollIoHandler}, if the loop's configuration chose it) for sockets, made when the first
 * socket registers, and the local transport's ({@link LocalIoHandler}) for in-process channels.
 * NIO's handler selects, and each channel that became ready is recorded and handed to the loop,
 * whose poll phase runs the channel's handling of its events. Local channels have no readiness to
 * poll: they hand their events to the loop as tasks ({@code execute}), so the local handler only
 * keeps their registrations (and is never run).
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop, except wakeup. Each channel registers through a Recorded handle that
 * stands for it in the handler: when the handler reports it ready (inside run), it merges the
 * ready operations into what it has pending and, if it is not waiting already, hands itself to
 * the loop as a poll-phase callback; run() then calls the channel's own handle with what was
 * pending. NIO readiness is level-triggered, so a channel not yet handled is reported again on
 * the next select: the merge keeps it to one callback. Epoll's channels register through
 * RecordedEpoll, the same for epoll's events (edge-triggered: a channel is reported once per
 * change, and the merged operations wait for its callback). NIO's event objects are immutable, so
 * deferring them is safe; a registration no longer valid when its turn comes is skipped.
 *
 * Waiting: the handler blocks in select when its context says it may (canBlock), for the
 * context's delay (the loop's timeout; no limit is one hour at a time, which NIO handles best),
 * and wakeup() makes it return. Until NIO's handler is made (a loop with local channels only, as
 * on the manual carrier: no selector is opened), a wait parks the thread, and wakeup() unparks it
 * (woken: a wake-up that came before the wait makes it return at once).
 * }</pre>
 */
final class NioPoller implements IoPoller {
  private static final long LONGEST_WAIT = TimeUnit.HOURS.toNanos(1);

  private volatile @Nullable IoHandler handler; // NIO's, once a socket registers (set on the loop)
  private final IoHandler local;
  private final LoopIoEventLoop executor;
  private volatile @Nullable Thread parked; // waiting without NIO's handler
  private volatile boolean woken;
  private boolean closed;
  private final java.util.ArrayDeque<Runnable> lateTasks = new java.util.ArrayDeque<>();
  private int registrations; // channels registered and not yet unregistered (loop)
  private Consumer<Runnable> sink; // during poll: where ready channels go

  // the wait in progress (loop)
  private boolean waiting;
  private long waitDeadline;

  private final IoHandlerContext nonBlocking =
      new IoHandlerContext() {
        @Override
        public boolean canBlock() {
          return false;
        }

        @Override
        public long delayNanos(long currentTimeNanos) {
          return 0;
        }

        @Override
        public long deadlineNanos() {
          return -1;
        }
      };

  private final IoHandlerContext blocking =
      new IoHandlerContext() {
        @Override
        public boolean canBlock() {
          // (asked again after epoll's handler armed its wake-up: a wake-up before that is seen)
          return waiting && !woken;
        }

        @Override
        public long delayNanos(long currentTimeNanos) {
          return Math.max(0, waitDeadline - LoopClock.system().nanoTime());
        }

        @Override
        public long deadlineNanos() {
          return waitDeadline;
        }
      };

  NioPoller(LoopIoEventLoop executor) {
    this.executor = executor;
    this.local = LocalIoHandler.newFactory().newHandler(executor);
  }

  /** NIO's handler, made on first use (loop). */
  private IoHandler nio() {
    IoHandler h = handler;
    if (h == null) {
      h =
          executor.socketsOnEpoll()
              ? EpollIoHandler.newFactory().newHandler(executor)
              : NioIoHandler.newFactory().newHandler(executor);
      h.initialize();
      handler = h;
    }
    return h;
  }

  @Override
  public void poll(long timeoutNanos, Consumer<Runnable> ready) {
    if (closed) {
      return;
    }
    IoHandler handler = this.handler;
    if (handler == null) {
      parkFor(timeoutNanos);
      return;
    }
    if (woken) {
      woken = false;
      timeoutNanos = 0; // a wake-up came before this wait
    }
    sink = ready;
    try {
      if (timeoutNanos == 0) {
        handler.run(nonBlocking);
      } else {
        long wait = timeoutNanos < 0 ? LONGEST_WAIT : Math.min(timeoutNanos, LONGEST_WAIT);
        waitDeadline = LoopClock.system().nanoTime() + wait;
        waiting = true;
        try {
          handler.run(blocking);
        } finally {
          waiting = false;
        }
      }
    } finally {
      sink = null;
    }
  }

  /** A wait without NIO's handler: parks until the timeout or a wake-up. */
  private void parkFor(long timeoutNanos) {
    if (timeoutNanos == 0) {
      woken = false;
      return;
    }
    parked = Thread.currentThread();
    try {
      if (!woken) {
        if (timeoutNanos < 0) {
          LockSupport.parkNanos(this, LONGEST_WAIT);
        } else {
          LockSupport.parkNanos(this, timeoutNanos);
        }
      }
    } finally {
      parked = null;
      woken = false;
    }
  }

  @Override
  public void wakeup() {
    woken = true;
    IoHandler h = handler;
    if (h != null) {
      h.wakeup();
    }
    Thread t = parked;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  @Override
  public boolean holdsLoop() {
    return registrations > 0;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    IoHandler h = handler;
    if (h != null) {
      h.prepareToDestroy(); // closes every registration
    }
    local.prepareToDestroy();
    runLateTasks(); // the channels' own clean-up that the close handed in (deregistration)
    if (h != null) {
      h.destroy();
    }
    local.destroy();
  }

  /**
   * A task Netty hands to the loop while the loop's end closes the channels (their deregistration,
   * say): the loop no longer takes tasks, so it runs before the handler is destroyed, as Netty's
   * own event loops run the tasks their channels' close left.
   */
  void late(Runnable task) {
    lateTasks.add(task);
  }

  private void runLateTasks() {
    for (Runnable task; (task = lateTasks.poll()) != null; ) {
      try {
        task.run();
      } catch (RuntimeException e) {
        System.getLogger("dev.loopkit.netty")
            .log(System.Logger.Level.DEBUG, "a channel's clean-up failed at the loop's end", e);
      }
    }
  }

  /** Whether the loop's end closed the I/O (loop). */
  boolean isClosed() {
    return closed;
  }

  /** Registers {@code handle} (loop). */
  IoRegistration register(IoHandle handle) throws Exception {
    if (closed) {
      throw new IllegalStateException("the loop's I/O is closed");
    }
    if (handle instanceof LocalIoHandle l) {
      return local.register(new Counted(l));
    }
    if (handle instanceof EpollIoHandle e && executor.socketsOnEpoll()) {
      return nio().register(new RecordedEpoll(e));
    }
    if (!(handle instanceof NioIoHandle n)) {
      throw new IllegalArgumentException(
          "the loop's sockets are "
              + (executor.socketsOnEpoll() ? "epoll's" : "NIO's")
              + ": a channel of another transport cannot register ("
              + handle.getClass().getName()
              + ")");
    }
    return nio().register(new Recorded(n));
  }

  boolean isCompatible(Class<? extends IoHandle> handleType) {
    return (executor.socketsOnEpoll() ? EpollIoHandle.class : NioIoHandle.class)
            .isAssignableFrom(handleType)
        || LocalIoHandle.class.isAssignableFrom(handleType);
  }

  /**
   * What a channel's handle is to the handler (NIO's or epoll's): it records readiness, merging the
   * operations reported until the poll phase runs it, and then hands them to the channel.
   */
  @SuppressWarnings("try") // close() throws what the channel's close() throws, as IoHandle says
  private abstract class RecordedHandle<H extends IoHandle> implements IoHandle, Runnable {
    final H channel;
    private IoRegistration registration;
    private int pending; // the transport's operation bits merged since the last run
    private boolean handedOn;

    RecordedHandle(H channel) {
      this.channel = channel;
    }

    /** The operation bits of {@code event}. */
    abstract int opsOf(IoEvent event);

    /** The event the channel is given for the merged bits {@code ops}. */
    abstract IoEvent ready(int ops);

    @Override
    public void handle(IoRegistration reg, IoEvent event) {
      registration = reg;
      pending |= opsOf(event);
      if (!handedOn && sink != null) {
        handedOn = true;
        sink.accept(this);
      } else if (!handedOn) {
        run(); // reported outside a poll (the handler's own clean-up): handle it now
      }
    }

    @Override
    public void run() {
      handedOn = false;
      int ops = pending;
      pending = 0;
      IoRegistration reg = registration;
      if (reg != null && reg.isValid()) {
        Events events = executor.events();
        events.runIo(() -> channel.handle(reg, ready(ops)));
        events.rethrowFatal();
      }
    }

    @Override
    public void registered() {
      registrations++;
      channel.registered();
    }

    @Override
    public void unregistered() {
      registrations--;
      channel.unregistered();
    }

    @Override
    public void close() throws Exception {
      channel.close();
    }
  }

  /** An epoll channel's handle, recorded. */
  private final class RecordedEpoll extends RecordedHandle<EpollIoHandle> implements EpollIoHandle {
    RecordedEpoll(EpollIoHandle channel) {
      super(channel);
    }

    @Override
    public io.netty.channel.unix.FileDescriptor fd() {
      return channel.fd();
    }

    @Override
    int opsOf(IoEvent event) {
      return ((EpollIoEvent) event).ops().value();
    }

    @Override
    IoEvent ready(int ops) {
      return new EpollReady(EpollIoOps.valueOf(ops));
    }
  }

  /** The operations an epoll channel became ready for, merged. */
  private record EpollReady(EpollIoOps ops) implements EpollIoEvent {}

  /** What a local channel's handle is to the local handler: counted while registered. */
  @SuppressWarnings("try") // close() throws what the channel's close() throws, as IoHandle says
  private final class Counted implements LocalIoHandle {
    private final LocalIoHandle channel;

    Counted(LocalIoHandle channel) {
      this.channel = channel;
    }

    @Override
    public void handle(IoRegistration reg, IoEvent event) {
      channel.handle(reg, event);
    }

    @Override
    public void closeNow() {
      channel.closeNow();
    }

    @Override
    public void registered() {
      registrations++;
      channel.registered();
    }

    @Override
    public void unregistered() {
      registrations--;
      channel.unregistered();
    }

    @Override
    public void close() throws Exception {
      channel.close();
    }
  }

  /** A NIO channel's handle, recorded. */
  private final class Recorded extends RecordedHandle<NioIoHandle> implements NioIoHandle {
    Recorded(NioIoHandle channel) {
      super(channel);
    }

    @Override
    public SelectableChannel selectableChannel() {
      return channel.selectableChannel();
    }

    @Override
    int opsOf(IoEvent event) {
      return ((NioIoEvent) event).ops().value();
    }

    @Override
    IoEvent ready(int ops) {
      return new Ready(NioIoOps.valueOf(ops));
    }
  }

  /** The operations a channel became ready for, merged. */
  private record Ready(NioIoOps ops) implements NioIoEvent {}
}

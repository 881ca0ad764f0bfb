package dev.loopkit.netty;

import dev.loopkit.Loop;
import io.netty.channel.IoEventLoop;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Netty's view of loopkit loops: {@link #eventLoop(Loop)} is the {@link IoEventLoop} to give
 * Netty's bootstraps, so that their channels do their I/O in the loop's poll phase and run every
 * handler as the loop's callback.
 *
 * <pre>{@code
 * Loop loop = Loop.create();
 * IoEventLoop io = NettyLoops.eventLoop(loop);
 * new ServerBootstrap()
 *     .group(io)
 *     .channel(NioServerSocketChannel.class)
 *     .childHandler(new EchoHandler())
 *     .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080));
 * }</pre>
 */
public final class NettyLoops {
  private static final Map<Loop, LoopIoEventLoop> LOOPS = new ConcurrentHashMap<>();

  private NettyLoops() {}

  /**
   * The Netty event loop of {@code loop}: made on first use (it attaches Netty's multiplexers to
   * the loop), the same one afterwards, until the loop terminates. Its channels are Netty's local
   * transport ({@code LocalChannel}, {@code LocalServerChannel}: on every carrier, {@code manual}
   * included) and sockets: NIO's ({@code NioSocketChannel}, {@code NioServerSocketChannel}), or
   * epoll's if the loop's {@code loopkit.netty.transport} is {@code epoll} and Netty's native
   * library loads (and the loop does not run on a virtual thread); {@link IoEventLoop#isIoType}
   * says which.
   *
   * @throws IllegalStateException if the loop has stopped, or has another I/O poller attached
   * @throws IllegalArgumentException if {@code loopkit.netty.transport} is neither {@code nio} nor
   *     {@code epoll}
   */
  public static IoEventLoop eventLoop(Loop loop) {
    Objects.requireNonNull(loop, "loop");
    LoopIoEventLoop io = LOOPS.get(loop);
    if (io != null) {
      return io;
    }
    synchronized (LOOPS) {
      io = LOOPS.get(loop);
      if (io == null) {
        LoopIoEventLoop made = new LoopIoEventLoop(loop);
        LOOPS.put(loop, made);
        var unused = loop.terminationFuture().whenComplete((v, e) -> LOOPS.remove(loop, made));
        io = made;
      }
      return io;
    }
  }
}

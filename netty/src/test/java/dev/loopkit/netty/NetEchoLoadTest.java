package dev.loopkit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Acceptance: an echo server on one loop serves 1,000 concurrent connections, each exchanging 1,000
 * messages with it (one at a time: a message, then its echo), with no error. The clients run on a
 * Netty NIO group of their own. Messages are 16 bytes, so a carrier's run takes seconds on two
 * cores; the bound is minutes wide, a margin, not a target.
 */
class NetEchoLoadTest {
  private static final int CONNECTIONS = 1_000;
  private static final int MESSAGES = 1_000;
  private static final int SIZE = 16;
  private static final long BOUND_MINUTES = 5;

  /** Sends a message, waits for its whole echo, checks it, sends the next; MESSAGES times. */
  static final class PingPong extends ChannelInboundHandlerAdapter {
    private final int id;
    private final CountDownLatch done;
    private final AtomicInteger failures;
    private final AtomicReference<Throwable> firstError;
    private int sent;
    private int received; // bytes of the current message's echo

    PingPong(
        int id, CountDownLatch done, AtomicInteger failures, AtomicReference<Throwable> error) {
      this.id = id;
      this.done = done;
      this.failures = failures;
      this.firstError = error;
    }

    private byte expected(int message, int i) {
      return (byte) (id * 31 + message * 7 + i);
    }

    private void sendNext(ChannelHandlerContext ctx) {
      ByteBuf b = Unpooled.buffer(SIZE);
      for (int i = 0; i < SIZE; i++) {
        b.writeByte(expected(sent, i));
      }
      sent++;
      ctx.writeAndFlush(b);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      sendNext(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      try {
        while (b.isReadable()) {
          if (b.readByte() != expected(sent - 1, received)) {
            failures.incrementAndGet();
          }
          if (++received == SIZE) {
            received = 0;
            if (sent == MESSAGES) {
              done.countDown();
              ctx.close();
              return;
            }
            sendNext(ctx);
          }
        }
      } finally {
        b.release();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failures.incrementAndGet();
      firstError.compareAndSet(null, cause);
      ctx.close();
    }
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void anEchoServerOnOneLoopServesAThousandConnectionsOfAThousandMessagesEach(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    AtomicInteger serverErrors = new AtomicInteger();
    AtomicInteger offLoop = new AtomicInteger();
    NetServer server =
        Net.createServer(
            loop,
            s ->
                s.onError(e -> serverErrors.incrementAndGet())
                    .onData(
                        bytes -> {
                          if (!loop.inEventLoop()) {
                            offLoop.incrementAndGet();
                          }
                          s.write(bytes);
                        }));
    InetSocketAddress at = f.await(loop, server.listen(0));
    EventLoopGroup clients = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      CountDownLatch done = new CountDownLatch(CONNECTIONS);
      AtomicInteger failures = new AtomicInteger();
      AtomicReference<Throwable> firstError = new AtomicReference<>();
      Bootstrap b =
          new Bootstrap()
              .group(clients)
              .channel(NioSocketChannel.class)
              .option(ChannelOption.TCP_NODELAY, true);
      for (int c = 0; c < CONNECTIONS; c++) {
        int id = c;
        b.clone()
            .handler(new PingPong(id, done, failures, firstError))
            .connect(at)
            .addListener(
                connected -> {
                  if (!connected.isSuccess()) {
                    failures.incrementAndGet();
                    firstError.compareAndSet(null, connected.cause());
                  }
                });
      }
      assertTrue(
          done.await(BOUND_MINUTES, TimeUnit.MINUTES),
          () ->
              done.getCount()
                  + " connections unfinished after "
                  + BOUND_MINUTES
                  + " minutes; first error: "
                  + firstError.get());
      assertEquals(0, failures.get(), () -> "client failures; first: " + firstError.get());
      assertEquals(0, serverErrors.get(), "server socket errors");
      assertEquals(0, offLoop.get(), "data callbacks off the loop");
      // the clients closed their connections: the server's close settles when the last has closed
      f.await(loop, server.close());
      assertEquals(0, server.connectionCount());
    } finally {
      clients.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
    }
  }
}

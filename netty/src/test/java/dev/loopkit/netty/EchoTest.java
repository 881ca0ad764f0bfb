package dev.loopkit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.IoEventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** Netty channels on a loopkit loop: an echo server and its clients, every handler on the loop. */
class EchoTest {

  /** Writes back what it reads; counts reads made off the loop. */
  static final class Echo extends ChannelInboundHandlerAdapter {
    private final Loop loop;
    private final AtomicInteger offLoop;

    Echo(Loop loop, AtomicInteger offLoop) {
      this.loop = loop;
      this.offLoop = offLoop;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!loop.inEventLoop()) {
        offLoop.incrementAndGet();
      }
      ctx.writeAndFlush(msg);
    }
  }

  /** Sends {@code messages} messages of {@code size} bytes, then counts what comes back. */
  static final class Client extends ChannelInboundHandlerAdapter {
    private final int expected;
    private final CountDownLatch done;
    private final AtomicInteger failures;
    private int received;

    Client(int expected, CountDownLatch done, AtomicInteger failures) {
      this.expected = expected;
      this.done = done;
      this.failures = failures;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      for (int i = 0; i < b.readableBytes(); i++) {
        if (b.getByte(b.readerIndex() + i) != (byte) ((received + i) % 251)) {
          failures.incrementAndGet();
        }
      }
      received += b.readableBytes();
      b.release();
      if (received == expected) {
        ctx.close();
        done.countDown();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failures.incrementAndGet();
      ctx.close();
    }
  }

  private static ByteBuf payload(int from, int size) {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) ((from + i) % 251);
    }
    return Unpooled.wrappedBuffer(bytes);
  }

  @CarrierTest
  void anEchoServerServesItsClientsOnOneLoop(LoopFixture f) throws Exception {
    if (!f.has(Capability.REAL_SOCKETS)) {
      return; // manual: real sockets progress outside the steps; it has the local transport
    }
    Loop loop = f.newLoop();
    IoEventLoop io = NettyLoops.eventLoop(loop);
    AtomicInteger offLoop = new AtomicInteger();
    Channel server =
        new ServerBootstrap()
            .group(io)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(new Echo(loop, offLoop));
                  }
                })
            .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .sync()
            .channel();
    int clients = 50;
    int messages = 40;
    int size = 100;
    CountDownLatch done = new CountDownLatch(clients);
    AtomicInteger failures = new AtomicInteger();
    for (int c = 0; c < clients; c++) {
      Channel ch =
          new Bootstrap()
              .group(io)
              .channel(NioSocketChannel.class)
              .handler(new Client(messages * size, done, failures))
              .connect(server.localAddress())
              .sync()
              .channel();
      ch.eventLoop()
          .execute(
              () -> {
                for (int m = 0; m < messages; m++) {
                  ch.write(payload(m * size, size));
                }
                ch.flush();
              });
    }
    f.await(loop, done);
    assertEquals(0, failures.get(), "bytes that came back wrong, or errors");
    assertEquals(0, offLoop.get(), "handler calls off the loop");
    server.close().sync();
  }

  @CarrierTest
  void aListeningServerKeepsAProgramRunningUntilItCloses(LoopFixture f) {
    if (!f.has(Capability.REAL_SOCKETS)) {
      return;
    }
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Channel> server = new AtomicReference<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          IoEventLoop io = NettyLoops.eventLoop(loop);
          new ServerBootstrap()
              .group(io)
              .channel(NioServerSocketChannel.class)
              .childHandler(
                  new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                      log.add("server read on the loop: " + loop.inEventLoop());
                      ((ByteBuf) msg).release();
                      ctx.close();
                      server.get().close(); // the last handle: the program may end
                    }
                  })
              .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
              .addListener(
                  bound -> {
                    Channel s = ((io.netty.channel.ChannelFuture) bound).channel();
                    server.set(s);
                    log.add("listening");
                    new Bootstrap()
                        .group(io)
                        .channel(NioSocketChannel.class)
                        .handler(new ChannelInboundHandlerAdapter())
                        .connect(s.localAddress())
                        .addListener(
                            connected -> {
                              Channel c = ((io.netty.channel.ChannelFuture) connected).channel();
                              c.writeAndFlush(payload(0, 5));
                            });
                  });
        });
    assertEquals(List.of("listening", "server read on the loop: true"), log);
    assertTrue(!server.get().isOpen(), "the server is closed");
  }

  @CarrierTest
  void aStopWithAnOpenConnectionClosesItAndTheLoopEnds(LoopFixture f) throws Exception {
    if (!f.has(Capability.REAL_SOCKETS)) {
      return;
    }
    Loop loop = f.newLoop();
    IoEventLoop io = NettyLoops.eventLoop(loop);
    AtomicInteger offLoop = new AtomicInteger();
    Channel server =
        new ServerBootstrap()
            .group(io)
            .channel(NioServerSocketChannel.class)
            .childHandler(new Echo(loop, offLoop))
            .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .sync()
            .channel();
    Channel client =
        new Bootstrap()
            .group(io)
            .channel(NioSocketChannel.class)
            .handler(new ChannelInboundHandlerAdapter())
            .connect(server.localAddress())
            .sync()
            .channel();
    loop.shutdownNow();
    assertTrue(
        loop.awaitTermination(
            LoopFixture.PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS),
        "the loop did not end with a connection open: " + loop);
    assertTrue(!server.isOpen() && !client.isOpen(), "channels left open after the loop ended");
    assertTrue(io.terminationFuture().isDone(), "Netty's view of the loop did not end");
  }
}

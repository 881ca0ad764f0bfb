package dev.loopkit.http;

import dev.loopkit.Timer;
import dev.loopkit.netty.NettyLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Map.Entry;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * One connection of an {@link Agent} to a host: one request at a time, its answer aggregated whole
 * by Netty's codec, then back to its pool.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop. A connection is busy (current != null) or idle in its pool, with an
 * unref'd timer that closes it after the agent's idle timeout. If a reused connection closes
 * before any byte of its answer (the server closed it while it was idle), the request is sent
 * again once, on another connection.
 * }</pre>
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
  private final Agent.HostPool pool;
  private @Nullable Channel channel;
  private @Nullable ClientExchange current;
  private boolean reused;
  private boolean answerBegun;
  private @Nullable Timer idleTimer;

  private ClientConnection(Agent.HostPool pool) {
    this.pool = pool;
  }

  /** Opens a connection to the pool's host and sends {@code first} on it. */
  static void open(Agent.HostPool pool, ClientExchange first) {
    ClientConnection c = new ClientConnection(pool);
    var unused =
        pool.agent()
            .resolve(pool.host(), pool.port())
            .handle(
                (address, failure) -> {
                  if (failure != null) {
                    first.fail(failure);
                    pool.closed(c);
                  } else {
                    c.connect(address, first, first.maxResponseSize());
                  }
                  return null;
                });
  }

  private void connect(InetSocketAddress address, ClientExchange first, int maxResponseSize) {
    var connecting =
        new Bootstrap()
            .group(NettyLoops.eventLoop(pool.agent().loop()))
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(new HttpClientCodec())
                        .addLast(new HttpObjectAggregator(maxResponseSize))
                        .addLast(ClientConnection.this);
                  }
                })
            .connect(address);
    connecting.addListener(
        f -> {
          if (!f.isSuccess()) {
            first.fail(f.cause());
            pool.closed(this);
            return;
          }
          channel = connecting.channel();
          if (first.settled()) {
            pool.release(this); // it timed out while connecting: the connection may serve others
          } else {
            send(first, false);
          }
        });
  }

  /** Sends {@code exchange}'s request; {@code reused}: the connection served one before. */
  void send(ClientExchange exchange, boolean reused) {
    cancelIdleTimer();
    this.current = exchange;
    this.reused = reused;
    this.answerBegun = false;
    exchange.on(this);
    URI uri = exchange.uri();
    String target = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      target += "?" + uri.getRawQuery();
    }
    byte[] body = exchange.body();
    var request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            HttpMethod.valueOf(exchange.method()),
            target,
            body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    for (Entry<String, String> h : exchange.headers().entrySet()) {
      request.headers().set(h.getKey(), h.getValue());
    }
    request
        .headers()
        .set(
            HttpHeaderNames.HOST,
            uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort());
    if (body != null) {
      HttpUtil.setContentLength(request, body.length);
    }
    Objects.requireNonNull(channel, "channel")
        .writeAndFlush(request)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                close(); // channelInactive decides: sent again, or failed
              }
            });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (!(msg instanceof FullHttpResponse response) || current == null) {
        return;
      }
      answerBegun = true;
      ClientExchange done = current;
      current = null;
      if (response.decoderResult().isFailure()) {
        done.fail(new IOException("a malformed answer", response.decoderResult().cause()));
        close();
        return;
      }
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (Entry<String, String> e : response.headers()) {
        headers
            .computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(e.getValue());
      }
      headers.replaceAll((k, v) -> List.copyOf(v));
      boolean keep =
          HttpUtil.isKeepAlive(response)
              && done.succeed(
                  new ClientResponse(
                      response.status().code(), headers, ByteBufUtil.getBytes(response.content())));
      if (keep && ctx.channel().isActive()) {
        pool.release(this);
      } else {
        close();
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    answerBegun = true;
    if (current != null) {
      current.fail(cause); // a too large answer, or a reset
    }
    close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancelIdleTimer();
    ClientExchange lost = current;
    current = null;
    pool.closed(this);
    if (lost != null && !lost.settled()) {
      if (reused && !answerBegun && !lost.retried) {
        lost.retried = true;
        pool.retry(lost);
      } else {
        lost.fail(new IOException(lost + ": the connection closed before the whole answer"));
      }
    }
  }

  /** Idle in the pool from now: closed after {@code timeout} unless reused. */
  void idleSince(Duration timeout) {
    cancelIdleTimer();
    try {
      idleTimer = pool.agent().loop().setTimeout(this::close, timeout).unref();
    } catch (RejectedExecutionException e) {
      close(); // the loop is shutting down: keep nothing idle
    }
  }

  private void cancelIdleTimer() {
    if (idleTimer != null) {
      idleTimer.cancel();
      idleTimer = null;
    }
  }

  void close() {
    if (channel != null) {
      var unused = channel.close();
    }
  }
}

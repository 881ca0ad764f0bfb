package dev.loopkit.benchmarks.http;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.http.Http;
import dev.loopkit.http.HttpServer;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Shape F's servers: the same HTTP/1.1 "hello" on each peer, one process each, bound to 127.0.0.1.
 * Every one answers any request with {@code 200 OK}, {@code Content-Type: text/plain}, {@code
 * Content-Length: 5}, a {@code Date} and the body {@code hello}, keeps the connection, and closes
 * no idle connection for at least thirty minutes (so that the idle-connection RSS counts every
 * connection). Every server sends {@code Date} because Helidon cannot be told not to (and Node
 * sends it by default): each formats it at most once a second, as Helidon and Node do ({@link
 * #date}). Netty's leak detector is off in every server process, as Vert.x sets it by default
 * (loopkit and Netty would otherwise record a stack trace for one buffer in 128).
 *
 * <ul>
 *   <li>{@code loopkit-single-thread}: loopkit's {@link Http} server on one {@code single-thread}
 *       loop;
 *   <li>{@code vertx}: a Vert.x 5 HTTP server with one event loop;
 *   <li>{@code helidon}: Helidon 4 SE's web server (a virtual thread per request, its default);
 *   <li>{@code netty}: Netty's {@link HttpServerCodec} and a hello handler on one NIO loop.
 * </ul>
 *
 * <p>Node's is {@code node/http-hello.js}. {@code java ... HelloServers <peer> <port>} prints
 * {@code listening <port>} once it accepts connections and runs until killed.
 */
public final class HelloServers {
  /** The peers this class starts, by name. */
  public static final List<String> PEERS =
      List.of("loopkit-single-thread", "vertx", "helidon", "netty");

  static final byte[] BODY = "hello".getBytes(StandardCharsets.US_ASCII);
  static final String CONTENT_TYPE = "text/plain";

  private static volatile String date = "";

  /** Helidon's logger, held so that its level (warnings only: no start-up chatter) stays set. */
  private static final java.util.logging.Logger HELIDON_LOG =
      java.util.logging.Logger.getLogger("io.helidon");

  private HelloServers() {}

  /** Today's {@code Date} header value, formatted again once a second by a daemon thread. */
  static String date() {
    return date;
  }

  private static synchronized void startDateClock() {
    if (!date.isEmpty()) {
      return;
    }
    Runnable format =
        () ->
            date =
                java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                    java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC));
    format.run();
    var unused =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("date-clock").unstarted(r))
            .scheduleAtFixedRate(format, 1, 1, TimeUnit.SECONDS);
  }

  /** A started server: its port, and how to stop it. */
  public interface Running extends AutoCloseable {
    int port();

    @Override
    void close();
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: HelloServers <" + String.join("|", PEERS) + "> <port>");
      System.exit(2);
    }
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      // Vert.x turns Netty's leak detector off unless this property says otherwise (its sampled
      // buffers record a stack trace each): every Netty-based server here runs the same way
      io.netty.util.ResourceLeakDetector.setLevel(
          io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
    Running server = start(args[0], Integer.parseInt(args[1]));
    System.out.println("listening " + server.port());
    System.out.flush();
    Thread.currentThread().join(); // until killed
  }

  /**
   * Starts {@code peer} on 127.0.0.1:{@code port} (0: any free port) and returns once it listens.
   */
  public static Running start(String peer, int port) throws Exception {
    startDateClock();
    return switch (peer) {
      case "loopkit-single-thread" -> loopkit(port);
      case "vertx" -> vertx(port);
      case "helidon" -> helidon(port);
      case "netty" -> netty(port);
      default -> throw new IllegalArgumentException("peer: '" + peer + "' is not one of " + PEERS);
    };
  }

  private static Running loopkit(int port) throws Exception {
    Loop loop =
        Loop.create(
            LoopConfig.builder().isolated().carrier("single-thread").name("http-hello").build());
    HttpServer server =
        Http.createServer(
                loop,
                (req, res) ->
                    res.header("Content-Type", CONTENT_TYPE)
                        .header("Content-Length", BODY.length)
                        .header("Date", date)
                        .end(BODY))
            .readTimeout(Duration.ofMinutes(30));
    InetSocketAddress bound =
        server
            .listen(new InetSocketAddress("127.0.0.1", port))
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    return running(bound.getPort(), loop::close);
  }

  private static Running vertx(int port) throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    Buffer body = Buffer.buffer(BODY);
    CharSequence contentType = io.vertx.core.http.HttpHeaders.createOptimized(CONTENT_TYPE);
    CharSequence length =
        io.vertx.core.http.HttpHeaders.createOptimized(String.valueOf(BODY.length));
    var server =
        vertx
            .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
            .requestHandler(
                req ->
                    req.response()
                        .putHeader(io.vertx.core.http.HttpHeaders.CONTENT_TYPE, contentType)
                        .putHeader(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH, length)
                        .putHeader(io.vertx.core.http.HttpHeaders.DATE, date)
                        .end(body))
            .listen()
            .await(30, TimeUnit.SECONDS);
    return running(
        server.actualPort(),
        () -> {
          try {
            vertx.close().await(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new IllegalStateException("Vert.x did not close", e);
          }
        });
  }

  private static Running helidon(int port) {
    HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
    WebServer server =
        WebServer.builder()
            .host("127.0.0.1")
            .port(port)
            .idleConnectionTimeout(Duration.ofMinutes(30))
            .routing(
                r ->
                    r.any(
                        (req, res) -> {
                          res.header(HeaderNames.CONTENT_TYPE, CONTENT_TYPE);
                          res.send(BODY);
                        }))
            .build()
            .start();
    return running(server.port(), server::stop);
  }

  private static Running netty(int port) throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ByteBuf body = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(BODY).asReadOnly());
    AsciiString contentType = AsciiString.cached(CONTENT_TYPE);
    AsciiString length = AsciiString.cached(String.valueOf(BODY.length));
    Channel channel =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(
                            new SimpleChannelInboundHandler<HttpObject>() {
                              @Override
                              protected void channelRead0(
                                  ChannelHandlerContext ctx, HttpObject msg) {
                                if (msg instanceof HttpRequest) {
                                  FullHttpResponse res =
                                      new DefaultFullHttpResponse(
                                          HttpVersion.HTTP_1_1,
                                          HttpResponseStatus.OK,
                                          body.duplicate());
                                  res.headers()
                                      .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                                      .set(HttpHeaderNames.CONTENT_LENGTH, length)
                                      .set(HttpHeaderNames.DATE, date);
                                  ctx.write(res);
                                }
                              }

                              @Override
                              public void channelReadComplete(ChannelHandlerContext ctx) {
                                ctx.flush();
                              }

                              @Override
                              public void exceptionCaught(ChannelHandlerContext ctx, Throwable e) {
                                ctx.close(); // a client that reset its connection: quietly
                              }
                            });
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", port))
            .sync()
            .channel();
    int bound = ((InetSocketAddress) channel.localAddress()).getPort();
    return running(
        bound,
        () -> {
          channel.close().syncUninterruptibly();
          group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        });
  }

  private static Running running(int port, Runnable stop) {
    return new Running() {
      @Override
      public int port() {
        return port;
      }

      @Override
      public void close() {
        stop.run();
      }
    };
  }
}

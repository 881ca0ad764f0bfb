package dev.loopkit.http;

import dev.loopkit.Loop;
import dev.loopkit.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * One connection of an {@link HttpServer}: reads its requests one at a time, hands each to the
 * server's handler, and writes the answers in order.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop (Netty calls it there; the handler's answer is confined there too).
 * The channel does not read by itself (AUTO_READ off): what the codec decodes from one read goes
 * to the backlog, handled in order up to the end of a request; the socket is read again
 * (channelReadComplete) only when the backlog is empty and no answer is pending. So between the
 * end of a request and the end of its answer nothing is read: pipelined requests wait in the
 * backlog and the socket, and are answered in order. The next request is taken by a task handed
 * to the loop (its poll phase), so each handler call is a poll-phase callback of its own,
 * followed by the checkpoint.
 *
 * The read timeout runs from when the connection starts waiting for a request until the request
 * has fully arrived. When it passes: with no byte of a request seen, the connection was idle and is
 * closed quietly; otherwise the request was half-sent, and it is answered 408 and closed. One timer
 * per connection keeps it, lazily (as Netty's IdleStateHandler): a request only notes when the
 * wait began (waitingSince) or that it ended (waiting); when the timer fires it re-arms itself for
 * what is left of the current wait, or for a whole timeout if the connection is not waiting, so a
 * request costs no timer of its own.
 * }</pre>
 */
final class ServerConnection extends ChannelInboundHandlerAdapter {
  private final HttpServer server;
  private final Loop loop;
  private @Nullable ChannelHandlerContext ctx;

  private final ArrayDeque<HttpObject> backlog = new ArrayDeque<>(); // decoded, not yet handled
  private @Nullable ServerRequest request; // the request being answered, or null
  private @Nullable ServerResponse response;
  private boolean requestDone;
  private long bodyBytes;
  private boolean keepAlive = true;
  private boolean sawBytes; // a byte of the next request arrived
  private @Nullable Timer readTimer; // armed from the first wait until the connection closes
  private boolean waiting; // for (the rest of) a request: the read timeout runs
  private long waitingSince; // the loop's clock when the wait began
  private boolean open = true;

  ServerConnection(HttpServer server) {
    this.server = server;
    this.loop = server.loop();
  }

  /** Sees raw bytes before the codec: whether a request has begun. */
  final ChannelInboundHandlerAdapter byteWatch =
      new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
          if (msg instanceof ByteBuf b && b.isReadable()) {
            sawBytes = true;
          }
          c.fireChannelRead(msg);
        }
      };

  /** The channel's context: set when the connection became active, before any other event. */
  private ChannelHandlerContext ctx() {
    return Objects.requireNonNull(ctx, "ctx");
  }

  boolean inEventLoop() {
    return loop.inEventLoop();
  }

  boolean isOpen() {
    return open;
  }

  /** Whether the answer being written is to HEAD: headers only, whatever they say (encoder). */
  boolean answeringHead() {
    ServerResponse r = response;
    return r != null && r.isHead();
  }

  /** Whether it waits for a request with none of it read: it may be closed at once. */
  boolean idle() {
    return request == null && !sawBytes;
  }

  // ---- Netty's events ----

  @Override
  public void channelActive(ChannelHandlerContext c) {
    ctx = c;
    server.connected(this);
    waitForRequest();
    c.read();
  }

  @Override
  public void channelInactive(ChannelHandlerContext c) {
    open = false;
    cancelReadTimer();
    if (request != null) {
      request.abort(new IOException("the connection closed before the request's body ended"));
    }
    server.disconnected(this);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
    var unused = c.close(); // a reset by the peer, or a broken pipe: nothing to answer to
  }

  @Override
  public void channelRead(ChannelHandlerContext c, Object msg) {
    if (open && msg instanceof HttpObject o) {
      backlog.add(o);
      drain();
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext c) {
    if (wantsInput()) {
      c.read();
    }
  }

  /** Handles what was decoded, in order, up to the end of a request whose answer is pending. */
  private void drain() {
    while (open && !backlog.isEmpty() && !awaitingAnswer()) {
      HttpObject o = backlog.poll();
      try {
        handle(o);
      } finally {
        ReferenceCountUtil.release(o);
      }
    }
    if (!open) {
      backlog.forEach(ReferenceCountUtil::release);
      backlog.clear();
    }
  }

  private boolean awaitingAnswer() {
    return request != null && requestDone;
  }

  /** Whether to read the socket: nothing decoded is waiting and no answer is pending. */
  private boolean wantsInput() {
    return open && backlog.isEmpty() && !awaitingAnswer();
  }

  private void handle(HttpObject o) {
    DecoderResult result = o.decoderResult();
    if (result.isFailure()) {
      refuse(decodeFailureStatus(result.cause()), "bad request: " + result.cause().getMessage());
      return;
    }
    if (o instanceof HttpRequest head) {
      onHead(head);
    }
    if (o instanceof HttpContent content && request != null && !requestDone) {
      onContent(content);
    }
  }

  private static HttpResponseStatus decodeFailureStatus(Throwable cause) {
    if (cause instanceof TooLongHttpHeaderException) {
      return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
    }
    if (cause instanceof TooLongHttpLineException) {
      return HttpResponseStatus.REQUEST_URI_TOO_LONG;
    }
    return HttpResponseStatus.BAD_REQUEST;
  }

  // ---- a request arrives ----

  private void onHead(HttpRequest head) {
    long length = HttpUtil.getContentLength(head, -1L);
    if (length > server.maxBodySize()) {
      refuse(
          HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
          "the body's " + length + " bytes exceed the limit of " + server.maxBodySize());
      return;
    }
    boolean hasBody = length > 0 || HttpUtil.isTransferEncodingChunked(head);
    String expect = head.headers().get(HttpHeaderNames.EXPECT);
    if (expect != null
        && !head.protocolVersion().equals(HttpVersion.HTTP_1_0)
        && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect)) {
      refuse(HttpResponseStatus.EXPECTATION_FAILED, "only 100-continue is expected here");
      return;
    }
    if (HttpUtil.is100ContinueExpected(head)) {
      if (hasBody) {
        var unused =
            ctx()
                .writeAndFlush(
                    new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
      }
      head.headers().remove(HttpHeaderNames.EXPECT);
    }
    keepAlive = HttpUtil.isKeepAlive(head) && !server.closing();
    request = new ServerRequest(loop, head, (InetSocketAddress) ctx().channel().remoteAddress());
    response =
        new ServerResponse(this, head.protocolVersion(), HttpMethod.HEAD.equals(head.method()));
    requestDone = false;
    bodyBytes = 0;
    server.dispatch(request, response, this);
  }

  private void onContent(HttpContent content) {
    ServerRequest request = Objects.requireNonNull(this.request);
    ServerResponse response = Objects.requireNonNull(this.response);
    ByteBuf data = content.content();
    bodyBytes += data.readableBytes();
    if (bodyBytes > server.maxBodySize()) {
      if (!response.headersSent()) {
        refuse(
            HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
            "the body exceeds the limit of " + server.maxBodySize() + " bytes");
      } else {
        var unused = ctx().close();
      }
      return;
    }
    if (data.isReadable()) {
      request.deliver(ByteBufUtil.getBytes(data));
    }
    if (content instanceof LastHttpContent) {
      requestDone = true;
      cancelReadTimer();
      request.end();
      if (response.ended()) {
        answered();
      }
    }
  }

  // ---- the answer ----

  /** The answer's head is about to go: the connection's own headers. */
  void beforeHead(ServerResponse res) {
    if (server.closing()) {
      keepAlive = false;
    }
    if (!keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (!res.version().isKeepAliveDefault()) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
  }

  void closeAfterAnswer() {
    keepAlive = false;
  }

  /** Writes a part of the answer; {@code last}: the answer is complete. */
  void send(Object part, boolean last) {
    if (!open) {
      ReferenceCountUtil.release(part);
      return;
    }
    if (!last) {
      var unused = ctx().writeAndFlush(part, ctx().voidPromise());
      return;
    }
    if (keepAlive) {
      var unused = ctx().writeAndFlush(part, ctx().voidPromise()); // (a failure: exceptionCaught)
    } else {
      ctx().writeAndFlush(part).addListener(ChannelFutureListener.CLOSE);
    }
    if (requestDone) {
      answered();
    } // else: once the rest of the request has arrived (read, and given to the request)
  }

  /** The request has arrived and its answer ended: on to the next request, or close. */
  private void answered() {
    request = null;
    response = null;
    requestDone = false;
    if (!keepAlive || !open) {
      return; // closed once the answer is written
    }
    waitForRequest();
    if (backlog.isEmpty()) {
      ctx().read(); // (a read pending already, as inside channelRead, stays the one read)
      return;
    }
    try {
      ctx()
          .channel()
          .eventLoop()
          .execute(
              () -> {
                drain(); // a pipelined request, decoded already
                if (wantsInput()) {
                  ctx().read();
                }
              });
    } catch (RejectedExecutionException e) {
      var unused = ctx().close(); // the loop has terminated
    }
  }

  /** Answers {@code status} with a short text and closes the connection. */
  private void refuse(HttpResponseStatus status, String why) {
    cancelReadTimer();
    if (request != null) {
      request.abort(new IOException("the request was refused: " + status));
    }
    if (response != null && response.headersSent()) {
      var unused = ctx().close();
      return;
    }
    var answer =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            status,
            Unpooled.copiedBuffer(why + "\n", StandardCharsets.UTF_8));
    answer.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    answer.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, answer.content().readableBytes());
    answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    keepAlive = false;
    open = false; // nothing more is read or written
    ctx().writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
  }

  /** The handler threw before its answer began: 500; after: the connection closes. */
  void handlerFailed() {
    if (response == null || !open) {
      return;
    }
    if (response.headersSent()) {
      var unused = ctx().close();
      return;
    }
    response.clearHeaders(); // what the handler set is not for this answer
    response.header(HttpHeaderNames.CONTENT_TYPE.toString(), "text/plain; charset=utf-8");
    response.status(500);
    response.end("Internal Server Error\n");
  }

  /** The server is closing: an idle connection closes now, a busy one after its answer. */
  void closeWhenIdle() {
    keepAlive = false;
    if (idle()) {
      var unused = ctx().close();
    }
  }

  void closeNow() {
    if (ctx != null) {
      var unused = ctx().close();
    }
  }

  // ---- the read timer ----

  private void waitForRequest() {
    sawBytes = false;
    waiting = true;
    waitingSince = loop.clock().nanoTime();
    if (readTimer == null) {
      armReadTimer(server.readTimeout().toNanos());
    }
  }

  private void armReadTimer(long nanos) {
    try {
      readTimer =
          loop.setTimeout(this::readTimerFired, Duration.ofNanos(Math.max(1, nanos))).unref();
    } catch (RejectedExecutionException e) {
      // the loop is shutting down: no new timers; its end closes the connection
    }
  }

  /** The request has arrived, or the connection ends: the read timeout stops running. */
  private void cancelReadTimer() {
    waiting = false;
    if (!open && readTimer != null) {
      readTimer.cancel();
      readTimer = null;
    }
  }

  private void readTimerFired() {
    readTimer = null;
    if (!open) {
      return;
    }
    long timeout = server.readTimeout().toNanos();
    long left = waiting ? timeout - (loop.clock().nanoTime() - waitingSince) : timeout;
    if (left > 0) {
      armReadTimer(left);
      return;
    }
    readTimedOut();
  }

  private void readTimedOut() {
    if (requestDone) {
      return;
    }
    if (idle()) {
      var unused = ctx().close();
    } else {
      refuse(
          HttpResponseStatus.REQUEST_TIMEOUT,
          "the request did not arrive within " + server.readTimeout().toMillis() + " ms");
    }
  }
}

package dev.loopkit.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The answer to one HTTP request (Node's {@code ServerResponse}): set the {@link #status} and
 * {@link #header headers}, then {@link #write} the body in pieces and {@link #end}, or {@link
 * #end(byte[])} it in one go.
 *
 * <p>The body is framed as HTTP/1.1 wants: with the {@code Content-Length} the handler set, or the
 * length of what {@link #end(byte[])} sends when nothing was written before, otherwise chunked (or
 * delimited by closing the connection, for an HTTP/1.0 client); 204 and 304 have no body framing.
 * The answer to {@code HEAD} has headers only: what the handler writes is not sent. The connection
 * stays open for the next request unless the client or the server's closing says otherwise; an
 * answer that ends before the request's body has arrived still waits for the rest of it (within the
 * server's limits) before the next request is read.
 *
 * <p>Confined to the server's loop: every method must be called on it. If the connection closed
 * meanwhile, writes are dropped ({@link #closed()} tells).
 */
public final class ServerResponse {
  /** Common header names, spelled as handlers write them, made once (see wireName). */
  private static final Map<String, AsciiString> COMMON_NAMES = commonNames();

  private static Map<String, AsciiString> commonNames() {
    Map<String, AsciiString> m = new HashMap<>();
    for (String n :
        List.of(
            "Content-Type",
            "Content-Length",
            "Date",
            "Server",
            "Connection",
            "Cache-Control",
            "Location",
            "Set-Cookie",
            "Allow",
            "ETag",
            "Last-Modified",
            "Vary",
            "Content-Encoding")) {
      m.put(n, AsciiString.cached(n));
      String lower = n.toLowerCase(Locale.ROOT);
      m.put(lower, AsciiString.cached(lower));
    }
    return Map.copyOf(m);
  }

  private final ServerConnection connection;
  private final boolean head;
  private final HttpVersion version;
  private final HttpHeaders headers = new DefaultHttpHeaders();
  private int status = 200;
  private boolean framed; // Content-Length or Transfer-Encoding set by the handler
  private boolean headersSent;
  private boolean ended;

  ServerResponse(ServerConnection connection, HttpVersion version, boolean head) {
    this.connection = connection;
    this.version = version;
    this.head = head;
  }

  /**
   * Sets the status code (default 200).
   *
   * @throws IllegalArgumentException if {@code code} is not a final status, 200 to 999
   * @throws IllegalStateException if the headers were sent
   */
  public ServerResponse status(int code) {
    if (code < 200 || code > 999) {
      throw new IllegalArgumentException(
          "code: " + code + " is not allowed; a final status, 200 to 999");
    }
    checkHeadersOpen("status");
    status = code;
    return this;
  }

  /** The status code set so far. */
  public int statusCode() {
    return status;
  }

  /**
   * Sets the header {@code name} to {@code value}, replacing what it had.
   *
   * @throws IllegalArgumentException if the name or value is not allowed in HTTP/1.1
   * @throws IllegalStateException if the headers were sent
   */
  public ServerResponse header(String name, Object value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    checkHeadersOpen("header");
    CharSequence wire = wireName(name);
    headers.set(wire, value);
    if (!framed) { // (a common name is one AsciiString: compared by identity first)
      framed =
          AsciiString.contentEqualsIgnoreCase(wire, HttpHeaderNames.CONTENT_LENGTH)
              || AsciiString.contentEqualsIgnoreCase(wire, HttpHeaderNames.TRANSFER_ENCODING);
    }
    return this;
  }

  /**
   * {@code name} as Netty writes it fastest: a common header name, spelled as given, becomes an
   * {@link AsciiString} made once (its bytes are copied whole; a {@code String} goes char by char).
   */
  private static CharSequence wireName(String name) {
    AsciiString known = COMMON_NAMES.get(name);
    return known != null ? known : name;
  }

  /** Whether the status and headers have gone out. */
  public boolean headersSent() {
    return headersSent;
  }

  /** Whether {@link #end} was called. */
  public boolean ended() {
    return ended;
  }

  /** Whether the connection closed: what is written now is dropped. */
  public boolean closed() {
    return !connection.isOpen();
  }

  /**
   * Sends {@code chunk} of the body (the headers first, if they have not gone out).
   *
   * @throws IllegalStateException if the answer has ended
   */
  public ServerResponse write(byte[] chunk) {
    Objects.requireNonNull(chunk, "chunk");
    checkLoop();
    if (ended) {
      throw new IllegalStateException("write: the answer has ended");
    }
    if (!headersSent) {
      sendHead();
    }
    if (!head && chunk.length > 0) {
      connection.send(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk)), false);
    }
    return this;
  }

  /** Sends {@code chunk} as UTF-8; see {@link #write(byte[])}. */
  public ServerResponse write(String chunk) {
    return write(Objects.requireNonNull(chunk, "chunk").getBytes(StandardCharsets.UTF_8));
  }

  /** Ends the answer with no more body. */
  public void end() {
    end(new byte[0]);
  }

  /** Ends the answer with {@code text} as the last of the body, in UTF-8. */
  public void end(String text) {
    end(Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Ends the answer with {@code last} as the last of the body; with nothing written before and no
   * {@code Content-Length} set, it is sent with its length as one message.
   *
   * @throws IllegalStateException if the answer has ended already
   */
  public void end(byte[] last) {
    Objects.requireNonNull(last, "last");
    checkLoop();
    if (ended) {
      throw new IllegalStateException("end: the answer has ended already");
    }
    ended = true;
    if (!headersSent) {
      headersSent = true;
      if (!framed && status != 204 && status != 304) {
        headers.setInt(HttpHeaderNames.CONTENT_LENGTH, last.length);
      }
      connection.beforeHead(this);
      connection.send(
          new DefaultFullHttpResponse(
              version,
              HttpResponseStatus.valueOf(status),
              head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(last),
              headers, // validated as they were set: not copied
              EmptyHttpHeaders.INSTANCE),
          true);
    } else {
      LastHttpContent end =
          head || last.length == 0
              ? LastHttpContent.EMPTY_LAST_CONTENT
              : new DefaultLastHttpContent(Unpooled.wrappedBuffer(last));
      connection.send(end, true);
    }
  }

  /** Writes the head, deciding the framing of a body not sent in one go. */
  private void sendHead() {
    headersSent = true;
    if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH)
        && !head
        && status != 204
        && status != 304) {
      if (version.isKeepAliveDefault()) {
        headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      } else {
        connection.closeAfterAnswer(); // HTTP/1.0: the body ends when the connection does
      }
    }
    connection.beforeHead(this);
    connection.send(
        new DefaultHttpResponse(version, HttpResponseStatus.valueOf(status), headers), false);
  }

  /** Forgets every header set so far (the handler failed before its answer began). */
  void clearHeaders() {
    headers.clear();
    framed = false;
  }

  /** The headers to send (the connection adds its own). */
  HttpHeaders headers() {
    return headers;
  }

  HttpVersion version() {
    return version;
  }

  boolean isHead() {
    return head;
  }

  private void checkHeadersOpen(String call) {
    checkLoop();
    if (headersSent) {
      throw new IllegalStateException(call + ": the headers were sent already");
    }
  }

  private void checkLoop() {
    if (!connection.inEventLoop()) {
      throw new IllegalStateException(
          "an answer is confined to its loop: call it from a callback of the loop");
    }
  }
}

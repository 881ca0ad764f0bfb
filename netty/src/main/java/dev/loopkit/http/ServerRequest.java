package dev.loopkit.http;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP request as a {@link RequestHandler} sees it (Node's {@code IncomingMessage}): its method,
 * target, headers, and its body, either collected ({@link #body()}, {@link #text()}) or streamed
 * ({@link #onData}, {@link #onEnd}) — one or the other, once.
 *
 * <p>Confined to the server's loop: every method must be called on it. The body is limited to the
 * server's {@link HttpServer#maxBodySize}: a larger one is answered 413 and its connection closed.
 */
public final class ServerRequest {
  private final Loop loop;
  private final HttpRequest head;
  private final String method;
  private final String url;
  // decoded from head on first use (loop): a handler that reads none of them pays for none
  private @Nullable QueryStringDecoder target;
  private @Nullable Map<String, List<String>> query;
  private @Nullable Map<String, List<String>> headers;

  // the body (loop)
  private @Nullable List<byte[]> early; // chunks that came before a consumer
  private boolean complete;
  private @Nullable IOException aborted;
  private @Nullable Consumer<byte[]> onData;
  private @Nullable Runnable onEnd;
  private Promise.@Nullable Resolvers<byte[]> collected;
  private @Nullable ByteArrayOutputStream collecting;
  private boolean consumed;

  private final InetSocketAddress remoteAddress;

  ServerRequest(Loop loop, HttpRequest head, InetSocketAddress remoteAddress) {
    this.loop = loop;
    this.remoteAddress = remoteAddress;
    this.head = head;
    this.method = head.method().name();
    this.url = head.uri();
  }

  private QueryStringDecoder target() {
    QueryStringDecoder t = target;
    if (t == null) {
      target = t = new QueryStringDecoder(url);
    }
    return t;
  }

  /** The address of the client's end of the connection. */
  public InetSocketAddress remoteAddress() {
    return remoteAddress;
  }

  /** The method, as sent: {@code GET}, {@code POST}... */
  public String method() {
    return method;
  }

  /** The request target as sent: path and query, for example {@code /wait?ms=200}. */
  public String url() {
    return url;
  }

  /** The target's path, percent-decoded: {@code /wait}. */
  public String path() {
    return target().path();
  }

  /** The query's parameters, decoded, each name with its values in order (empty if none). */
  public Map<String, List<String>> query() {
    Map<String, List<String>> q = query;
    if (q == null) {
      query = q = Collections.unmodifiableMap(new LinkedHashMap<>(target().parameters()));
    }
    return q;
  }

  /** The first value of the query parameter {@code name}, or null if it is absent. */
  public @Nullable String query(String name) {
    Objects.requireNonNull(name, "name");
    List<String> values = query().get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** The headers, names in lower case (as Node gives them), each with its values in order. */
  public Map<String, List<String>> headers() {
    Map<String, List<String>> hs = headers;
    if (hs == null) {
      Map<String, List<String>> h = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : head.headers()) {
        h.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(e.getValue());
      }
      h.replaceAll((k, v) -> List.copyOf(v));
      headers = hs = Collections.unmodifiableMap(h);
    }
    return hs;
  }

  /** The first value of the header {@code name} (any case), or null if it is absent. */
  public @Nullable String header(String name) {
    Objects.requireNonNull(name, "name");
    return head.headers().get(name); // (Netty's headers match names in any case)
  }

  /**
   * The whole body, once it has arrived: a promise of the loop, rejected with an {@link
   * IOException} if the connection closes first. The same promise on every call.
   *
   * @throws IllegalStateException if the body is streamed ({@link #onData}/{@link #onEnd})
   */
  public Promise<byte[]> body() {
    checkLoop();
    if (collected != null) {
      return collected.promise();
    }
    claim("body()");
    collected = Promise.withResolvers(loop);
    collecting = new ByteArrayOutputStream();
    for (byte[] chunk : takeEarly()) {
      collecting.writeBytes(chunk);
    }
    settleCollected();
    return collected.promise();
  }

  /** The whole body as UTF-8 text; see {@link #body()}. */
  public Promise<String> text() {
    return body().then(bytes -> new String(bytes, StandardCharsets.UTF_8));
  }

  /**
   * Streams the body: {@code consumer} gets each chunk on the loop as it arrives (chunks that came
   * before this call first, at once).
   *
   * @throws IllegalStateException if the body is collected ({@link #body()}) or a consumer is set
   */
  public ServerRequest onData(Consumer<byte[]> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    checkLoop();
    if (onData != null) {
      throw new IllegalStateException("onData: a consumer is set already");
    }
    if (collected == null) {
      consumed = true;
    } else {
      throw new IllegalStateException("onData: the body is collected by body()");
    }
    onData = consumer;
    takeEarly().forEach(consumer);
    return this;
  }

  /**
   * Runs {@code callback} on the loop once the whole body has arrived (at once if it has), after
   * the last chunk went to {@link #onData} (set that first). It never runs if the connection closes
   * first.
   *
   * @throws IllegalStateException if the body is collected ({@link #body()}) or a callback is set
   */
  public ServerRequest onEnd(Runnable callback) {
    Objects.requireNonNull(callback, "callback");
    checkLoop();
    if (onEnd != null) {
      throw new IllegalStateException("onEnd: a callback is set already");
    }
    if (collected != null) {
      throw new IllegalStateException("onEnd: the body is collected by body()");
    }
    consumed = true;
    onEnd = callback;
    if (complete) {
      callback.run();
    }
    return this;
  }

  /** Whether the whole body has arrived. */
  public boolean complete() {
    return complete;
  }

  @Override
  public String toString() {
    return method + " " + url;
  }

  // ---- fed by the connection (loop) ----

  void deliver(byte[] chunk) {
    if (onData != null) {
      onData.accept(chunk);
    } else if (collecting != null) {
      collecting.writeBytes(chunk);
    } else {
      if (early == null) {
        early = new ArrayList<>();
      }
      early.add(chunk);
    }
  }

  /** The chunks that came before a consumer, handed over once. */
  private List<byte[]> takeEarly() {
    List<byte[]> before = early == null ? List.of() : early;
    early = null;
    return before;
  }

  void end() {
    complete = true;
    if (collected != null) {
      settleCollected();
    } else if (onEnd != null) {
      onEnd.run();
    }
  }

  void abort(IOException why) {
    if (!complete && aborted == null) {
      aborted = why;
      if (collected != null) {
        collected.reject(why);
      }
    }
  }

  private void settleCollected() {
    Promise.Resolvers<byte[]> c = Objects.requireNonNull(collected);
    if (complete) {
      c.resolve(Objects.requireNonNull(collecting).toByteArray());
    } else if (aborted != null) {
      c.reject(aborted);
    }
  }

  private void claim(String how) {
    if (consumed) {
      throw new IllegalStateException(how + ": the body is streamed by onData/onEnd");
    }
    consumed = true;
  }

  private void checkLoop() {
    if (!loop.inEventLoop()) {
      throw new IllegalStateException(
          "a request is confined to its loop " + loop.name() + ": call it from a callback of it");
    }
  }
}

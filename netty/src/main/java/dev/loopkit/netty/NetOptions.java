package dev.loopkit.netty;

import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Settings of a {@link NetSocket}, for {@link Net#connect(dev.loopkit.Loop, String, int,
 * NetOptions)} and {@link Net#createServer(dev.loopkit.Loop, NetOptions,
 * java.util.function.Consumer)}.
 *
 * @param allowHalfOpen whether a socket stays writable after its peer ended its side (Node's {@code
 *     allowHalfOpen}); if false (the default, as Node), the socket ends its own side once it has
 *     delivered the peer's end
 * @param highWaterMark the bytes queued for writing past which {@link NetSocket#write} answers
 *     false (default 16 KiB, Node's); also the bytes read and not yet delivered past which the
 *     socket stops reading (while paused, or with no data callback yet)
 * @param tls null for plain TCP; otherwise the JDK's TLS context the connections use (Node's {@code
 *     tls} module): a server's needs its key and certificate, a client's the trust to check the
 *     server's certificate, whose name or address must match the host connected to. The connect
 *     event (and a server's connection callback) then waits for the handshake, and a handshake that
 *     fails is a failed connection
 */
public record NetOptions(boolean allowHalfOpen, int highWaterMark, @Nullable SSLContext tls) {
  /** Node's defaults: no half-open sockets, a high-water mark of 16 KiB, plain TCP. */
  public static final NetOptions DEFAULTS = new NetOptions(false, 16 * 1024, null);

  /**
   * Checks the values.
   *
   * @throws IllegalArgumentException if {@code highWaterMark} is below 1
   */
  public NetOptions {
    if (highWaterMark < 1) {
      throw new IllegalArgumentException("highWaterMark must be 1 or more: " + highWaterMark);
    }
  }

  /** These options with {@code allowHalfOpen}. */
  public NetOptions withAllowHalfOpen(boolean allowHalfOpen) {
    return new NetOptions(allowHalfOpen, highWaterMark, tls);
  }

  /** These options with {@code highWaterMark} (1 or more). */
  public NetOptions withHighWaterMark(int highWaterMark) {
    return new NetOptions(allowHalfOpen, highWaterMark, tls);
  }

  /** These options with TLS through {@code context}. */
  public NetOptions withTls(SSLContext context) {
    return new NetOptions(
        allowHalfOpen, highWaterMark, java.util.Objects.requireNonNull(context, "context"));
  }
}

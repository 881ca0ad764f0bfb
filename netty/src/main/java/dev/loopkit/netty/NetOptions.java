package dev.loopkit.netty;

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
 */
public record NetOptions(boolean allowHalfOpen, int highWaterMark) {
  /** Node's defaults: no half-open sockets, a high-water mark of 16 KiB. */
  public static final NetOptions DEFAULTS = new NetOptions(false, 16 * 1024);

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
    return new NetOptions(allowHalfOpen, highWaterMark);
  }

  /** These options with {@code highWaterMark} (1 or more). */
  public NetOptions withHighWaterMark(int highWaterMark) {
    return new NetOptions(allowHalfOpen, highWaterMark);
  }
}

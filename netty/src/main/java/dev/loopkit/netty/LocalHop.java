package dev.loopkit.netty;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * The first handler of a {@link NetSocket}'s channel on Netty's local transport: it makes the local
 * transport deliver as a network does. A local channel hands what its peer writes over at once,
 * inside the writer's own flush when both are on one loop, so the reader's callbacks would run
 * inside the writer's; this handler holds such reads and delivers them in a task of the loop's poll
 * phase, as a socket's data arrives in a later poll.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop. Flushes of local channels are counted on the loop (LoopIoEventLoop's
 * localFlushStarted/Ended, by this handler's outbound side): a read that arrives while one runs
 * is held, and so is every read after it while some are held (the order is kept). One task
 * delivers the reads held when it runs, then a read-complete; reads held meanwhile wait for the
 * next task. Reads that arrive in Netty's own tasks (the transport's deferred delivery, a resume's
 * read) pass at once. The peer's close comes as a task too, queued after the task that delivers
 * what it wrote before it. Reads held when the channel closes are dropped (released), as Node
 * drops what a destroyed socket had not delivered.
 * }</pre>
 */
final class LocalHop extends ChannelDuplexHandler {
  /**
   * What a local channel writes to its peer for {@link NetSocket#end()}: the local transport has no
   * half-close, so the end travels in order with the data.
   */
  static final Object END =
      new Object() {
        @Override
        public String toString() {
          return "LocalHop.END";
        }
      };

  private final LoopIoEventLoop io;
  private final ArrayDeque<Object> held = new ArrayDeque<>();
  private boolean scheduled;

  LocalHop(LoopIoEventLoop io) {
    this.io = io;
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    io.localFlushStarted();
    try {
      ctx.flush();
    } finally {
      io.localFlushEnded();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (held.isEmpty() && !io.inLocalFlush()) {
      ctx.fireChannelRead(msg);
      return;
    }
    held.add(msg);
    if (!scheduled) {
      scheduled = true;
      ctx.executor().execute(() -> deliver(ctx));
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (held.isEmpty()) {
      ctx.fireChannelReadComplete();
    } // else: the task that delivers them completes the read
  }

  private void deliver(ChannelHandlerContext ctx) {
    scheduled = false;
    if (!ctx.channel().isOpen()) {
      releaseHeld();
      return;
    }
    int n = held.size();
    for (int i = 0; i < n && !held.isEmpty(); i++) {
      ctx.fireChannelRead(held.poll());
    }
    ctx.fireChannelReadComplete();
    if (!held.isEmpty() && !scheduled) {
      scheduled = true;
      ctx.executor().execute(() -> deliver(ctx));
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseHeld();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseHeld();
    ctx.fireChannelInactive();
  }

  private void releaseHeld() {
    for (Object m; (m = held.poll()) != null; ) {
      ReferenceCountUtil.release(m);
    }
  }
}

package dev.loopkit.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

/**
 * A {@link NetSocket}'s handler, last in its channel's pipeline: it turns Netty's events into the
 * socket's (each read buffer a {@code byte[]} copy, released here: no buffer leaves it).
 */
final class SocketPipe extends ChannelInboundHandlerAdapter {
  private final NetSocket socket;

  SocketPipe(NetSocket socket) {
    this.socket = socket;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    socket.channelActive(ctx.channel());
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg == LocalHop.END) {
      socket.peerEnded(); // (the local transport's end)
      return;
    }
    ByteBuf buf = (ByteBuf) msg;
    byte[] chunk;
    try {
      chunk = ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
    socket.read(chunk);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent done) {
      socket.handshakeDone(ctx.channel(), done.cause());
    } else if (evt instanceof ChannelInputShutdownEvent || evt instanceof SslCloseCompletionEvent) {
      socket.peerEnded(); // (TLS: the peer's close_notify is its end)
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    socket.writabilityChanged();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable why = cause;
    if (why instanceof DecoderException d && d.getCause() != null) {
      why = d.getCause(); // (what TLS decoding failed on: the error users know)
    }
    socket.failed(ctx.channel(), why);
  }
}

/**
 * Network I/O in the loop's poll phase, on Netty's transport: TCP servers and clients in the shape
 * of Node's {@code net} module ({@link dev.loopkit.netty.Net}, {@link dev.loopkit.netty.NetServer},
 * {@link dev.loopkit.netty.NetSocket}), Netty's futures as promises ({@link
 * dev.loopkit.netty.NettyPromises}), and underneath, a loopkit loop as a Netty {@link
 * io.netty.channel.IoEventLoop}, so that Netty's channels, pipelines and codecs run on the loop.
 * Each channel's events are a poll-phase callback of the loop, followed by its microtask
 * checkpoint; an idle loop waits in Netty's multiplexer; a registered channel holds a program-mode
 * loop open until it closes, and the loop's end closes the channels left.
 *
 * <pre>{@code
 * Loop.run(() -> {
 *   Loop loop = Loop.current();
 *   new ServerBootstrap()
 *       .group(NettyLoops.eventLoop(loop))
 *       .channel(NioServerSocketChannel.class)
 *       .childHandler(new ChannelInboundHandlerAdapter() {
 *         public void channelRead(ChannelHandlerContext ctx, Object msg) {
 *           ctx.writeAndFlush(msg); // an echo, on the loop
 *         }
 *       })
 *       .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 7007));
 * });
 * }</pre>
 */
package dev.loopkit.netty;

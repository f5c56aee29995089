package io.stampede.balancer.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.stampede.common.Transport;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * WebSocket servers for tests, on Netty's own WebSocket codec: each echoes a text message as
 * {@code NAME:text}, answers {@code close} by closing, and counts its open WebSocket connections.
 * The Upgrade and Connection headers of each handshake it saw are kept; a request without a
 * WebSocket handshake gets Netty's 400.
 */
final class WebSocketBackends implements AutoCloseable {
    private final EventLoopGroup group = Transport.newGroup(1, "ws-backend");
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> ports = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();
    /** "name upgrade=... connection=..." per handshake request seen. */
    final List<String> handshakes = new CopyOnWriteArrayList<>();

    WebSocketBackends(String... names) throws InterruptedException {
        for (String name : names) {
            open.put(name, new AtomicInteger());
            Channel ch = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new Witness(name),
                                    new WebSocketServerProtocolHandler("/ws"), new Echo(name));
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            listeners.add(ch);
            ports.put(name, ((InetSocketAddress) ch.localAddress()).getPort());
        }
    }

    String address(String name) {
        return "127.0.0.1:" + ports.get(name);
    }

    private final class Witness extends ChannelInboundHandlerAdapter {
        private final String name;

        Witness(String name) {
            this.name = name;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpRequest r) {
                handshakes.add(name + " upgrade=" + r.headers().get("Upgrade") + " connection=" + r.headers().get("Connection"));
            }
            ctx.fireChannelRead(msg);
        }
    }

    private final class Echo extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        private final String name;
        private boolean counted;

        Echo(String name) {
            this.name = name;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                counted = true;
                open.get(name).incrementAndGet();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
            if (frame.text().equals("close")) {
                ctx.close();
                return;
            }
            ctx.writeAndFlush(new TextWebSocketFrame(name + ":" + frame.text()));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (counted) {
                open.get(name).decrementAndGet();
            }
            ctx.fireChannelInactive();
        }
    }

    @Override
    public void close() {
        listeners.forEach(Channel::close);
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
}

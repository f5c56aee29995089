package io.stampede.common.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.stampede.common.Transport;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A small local HTTP server on an event loop of its own (never one that carries load): the codec,
 * whole requests up to {@code maxRequest} bytes, and a handler per connection. The proxy's admin
 * listener and the swarm's web UI run on it, so neither can delay the traffic it observes.
 */
public final class HttpService implements AutoCloseable {
    private final EventLoopGroup loop;
    private final Channel channel;

    private HttpService(EventLoopGroup loop, Channel channel) {
        this.loop = loop;
        this.channel = channel;
    }

    /**
     * Binds {@code address}; each connection gets {@code handler.get()} after the codec.
     *
     * @param name the loop thread's name
     * @param highWaterMark the most a slow reader may have queued before its channel is unwritable
     */
    public static HttpService start(String name, InetSocketAddress address, int maxRequest, int highWaterMark,
                                    Supplier<ChannelHandler> handler) throws InterruptedException {
        EventLoopGroup loop = Transport.newGroup(1, name);
        try {
            Channel ch = new ServerBootstrap().group(loop).channel(Transport.serverChannel())
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(Math.min(1 << 20, highWaterMark / 2), highWaterMark))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(maxRequest), handler.get());
                        }
                    }).bind(address).sync().channel();
            return new HttpService(loop, ch);
        } catch (Exception e) {
            // Netty's bind also throws the checked BindException without declaring it: the loop
            // stops whatever failed, and the exception goes on as it came.
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}

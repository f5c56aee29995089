package io.stampede.balancer.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.stampede.common.Transport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Scripted upstream servers on loopback, named a, b, c... Each records every request it receives
 * in one shared arrival log (so a test sees the exact order the proxy tried them in) and answers
 * as the test says: a status with its own port as the body, a delay, or a closed connection.
 */
final class TestBackends implements AutoCloseable {
    /** What a backend does with one request. */
    record Action(int status, long delayMillis, boolean close, String body, String setCookie) {
        Action(int status, long delayMillis, boolean close, String body) {
            this(status, delayMillis, close, body, null);
        }

        static Action ok() {
            return new Action(200, 0, false, null);
        }

        static Action status(int status) {
            return new Action(status, 0, false, null);
        }

        static Action closeConnection() {
            return new Action(0, 0, true, null);
        }

        static Action delay(long millis) {
            return new Action(200, millis, false, null);
        }

        /** 200 with a Set-Cookie header (a server starting a session). */
        static Action setCookie(String value) {
            return new Action(200, 0, false, null, value);
        }
    }

    /** One request as a backend received it. */
    record Seen(String backend, String method, String uri, Map<String, List<String>> headers, String body,
                int remotePort) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase());
            return v == null ? null : String.join(", ", v);
        }
    }

    private final EventLoopGroup group = Transport.newGroup(1, "test-backend");
    final Queue<Seen> arrivals = new ConcurrentLinkedQueue<>();
    final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, Function<Seen, Action>> behaviour = new ConcurrentHashMap<>();
    private final List<Channel> listeners = new ArrayList<>();

    TestBackends(String... names) throws InterruptedException {
        for (String name : names) {
            behaviour.put(name, s -> Action.ok());
            Channel ch = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024 * 1024),
                                    new Handler(name));
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            listeners.add(ch);
            ports.put(name, ((InetSocketAddress) ch.localAddress()).getPort());
        }
    }

    void on(String name, Function<Seen, Action> action) {
        behaviour.put(name, action);
    }

    String address(String name) {
        return "127.0.0.1:" + ports.get(name);
    }

    /** Takes the names of the backends that received requests since the last call, in order. */
    String drain() {
        StringBuilder out = new StringBuilder();
        Seen s;
        while ((s = arrivals.poll()) != null) {
            out.append(out.length() == 0 ? "" : " ").append(s.backend);
        }
        return out.toString();
    }

    List<Seen> drainSeen() {
        List<Seen> out = new ArrayList<>();
        Seen s;
        while ((s = arrivals.poll()) != null) {
            out.add(s);
        }
        return out;
    }

    /** Stops one backend's listener, so connecting to it is refused. */
    void stop(String name) {
        int i = new ArrayList<>(ports.keySet()).indexOf(name);
        listeners.get(i).close().syncUninterruptibly();
    }

    @Override
    public void close() {
        listeners.forEach(Channel::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String name;

        Handler(String name) {
            this.name = name;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            req.headers().forEach(e -> headers.computeIfAbsent(e.getKey().toLowerCase(), k -> new ArrayList<>()).add(e.getValue()));
            Seen seen = new Seen(name, req.method().name(), req.uri(), headers,
                    req.content().toString(StandardCharsets.UTF_8),
                    ((InetSocketAddress) ctx.channel().remoteAddress()).getPort());
            arrivals.add(seen);
            Action action = behaviour.get(name).apply(seen);
            if (action.close) {
                ctx.close();
                return;
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            String text = action.body != null ? action.body : name + "\n";
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(action.status),
                    Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
            r.headers().set("X-Backend", name);
            if (action.setCookie != null) {
                r.headers().set(HttpHeaderNames.SET_COOKIE, action.setCookie);
            }
            if (!keepAlive) {
                r.headers().set(HttpHeaderNames.CONNECTION, "close");
            }
            Runnable send = () -> ctx.writeAndFlush(r).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
                    : ChannelFutureListener.CLOSE);
            if (action.delayMillis > 0) {
                ctx.executor().schedule(send, action.delayMillis, TimeUnit.MILLISECONDS);
            } else {
                send.run();
            }
        }
    }
}

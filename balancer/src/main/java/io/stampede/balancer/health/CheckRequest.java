package io.stampede.balancer.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.stampede.balancer.config.directive.HealthCheckConfig;
import io.stampede.balancer.tls.UpstreamTls;
import io.stampede.common.Transport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One health check request on a connection of its own (nothing is shared with client traffic):
 * connect, {@code GET uri}, read the status, headers and at most 256k of the body, then test them
 * against the check's match block. Calls back exactly once, on the check's event loop.
 */
final class CheckRequest {
    static final int BODY_LIMIT = 256 * 1024;

    /** The verdict: null reason for a pass. */
    interface Result {
        void done(String failure);
    }

    private CheckRequest() {}

    /** @param tls TLS to the server (the handshake must end within the connect timeout); null for cleartext */
    static void run(EventLoop loop, InetSocketAddress address, HealthCheckConfig check, UpstreamTls tls, Result result) {
        boolean[] finished = new boolean[1];
        Channel[] channel = new Channel[1];
        Result once = failure -> {
            if (!finished[0]) {
                finished[0] = true;
                if (channel[0] != null) {
                    channel[0].close();
                }
                result.done(failure);
            }
        };
        long timeoutMs = check.connectTimeout().plus(check.readTimeout()).toMillis();
        ScheduledFuture<?> timer = loop.schedule(() -> once.done("timed out after " + timeoutMs + " ms"), timeoutMs, TimeUnit.MILLISECONDS);
        Bootstrap b = new Bootstrap().group(loop).channel(Transport.clientChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, check.connectTimeout().toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            SslHandler handshake = tls.newHandler(ch.alloc(), address, check.connectTimeout());
                            ch.pipeline().addLast(handshake);
                            handshake.handshakeFuture().addListener(h -> {
                                if (!h.isSuccess()) {
                                    timer.cancel(false);
                                    once.done(UpstreamTls.describe(h.cause()));
                                }
                            });
                        }
                        if (check.http2()) {
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().gracefulShutdownTimeoutMillis(0)
                                            .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)).build(),
                                    new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                        } else {
                            ch.pipeline().addLast(new HttpClientCodec(), new Reader(check, failure -> {
                                timer.cancel(false);
                                once.done(failure);
                            }));
                        }
                    }
                });
        b.connect(address).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                timer.cancel(false);
                once.done("connect() failed: " + f.cause().getMessage());
                return;
            }
            if (finished[0]) {
                f.channel().close();
                return;
            }
            channel[0] = f.channel();
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, check.uri());
            req.headers().set(HttpHeaderNames.HOST, check.host());
            req.headers().set(HttpHeaderNames.USER_AGENT, "stampede-health-check");
            Result sendFailed = w -> {
                timer.cancel(false);
                once.done("sending the check failed: " + w);
            };
            if (check.http2()) {
                sendOnStream(f.channel(), tls, req, new Reader(check, failure -> {
                    timer.cancel(false);
                    once.done(failure);
                }), sendFailed);
                return;
            }
            req.headers().set(HttpHeaderNames.CONNECTION, "close");
            f.channel().writeAndFlush(req).addListener((ChannelFutureListener) w -> {
                if (!w.isSuccess()) {
                    sendFailed.done(w.cause().getMessage());
                }
            });
        });
    }

    /**
     * HTTP/2: the check is the one stream of its connection (Host becomes {@code :authority}); over
     * TLS, only once ALPN agreed on h2, as for the location's requests.
     */
    private static void sendOnStream(Channel connection, UpstreamTls tls, FullHttpRequest req, Reader reader, Result failed) {
        SslHandler handshake = connection.pipeline().get(SslHandler.class);
        if (handshake != null && !handshake.handshakeFuture().isDone()) {
            handshake.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    sendOnStream(connection, tls, req, reader, failed);
                } else {
                    req.release(); // the handshake's own listener gave the verdict
                }
            });
            return;
        }
        if (handshake != null && !"h2".equals(handshake.applicationProtocol())) {
            req.release();
            failed.done("the server did not choose h2 by ALPN");
            return;
        }
        new Http2StreamChannelBootstrap(connection).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel stream) {
                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), reader);
            }
        }).open().addListener(opened -> {
            if (!opened.isSuccess()) {
                req.release();
                failed.done(opened.cause().getMessage());
                return;
            }
            ((Channel) opened.getNow()).writeAndFlush(req).addListener((ChannelFutureListener) w -> {
                if (!w.isSuccess()) {
                    failed.done(w.cause().getMessage());
                }
            });
        });
    }

    /** Collects the response; tests it when complete, or fails it when the connection ends first. */
    private static final class Reader extends SimpleChannelInboundHandler<HttpObject> {
        private final HealthCheckConfig check;
        private final Result result;
        private int status;
        private HttpHeaders headers;
        private final StringBuilder body = new StringBuilder();
        private int bodyBytes;
        private boolean done;

        Reader(HealthCheckConfig check, Result result) {
            this.check = check;
            this.result = result;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (done) {
                return;
            }
            if (msg.decoderResult().isFailure()) {
                finish("invalid response: " + msg.decoderResult().cause().getMessage());
                return;
            }
            if (msg instanceof HttpResponse r) {
                status = r.status().code();
                headers = r.headers();
            }
            if (msg instanceof HttpContent c && bodyBytes < BODY_LIMIT) {
                ByteBuf content = c.content();
                int take = Math.min(content.readableBytes(), BODY_LIMIT - bodyBytes);
                body.append(content.toString(content.readerIndex(), take, StandardCharsets.UTF_8));
                bodyBytes += take;
            }
            if (msg instanceof LastHttpContent) {
                HttpHeaders h = headers;
                String failure = check.match().failure(status, name -> h.get(name), body.toString());
                finish(failure == null ? null : failure + " from " + check.uri());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish("the server closed the connection before answering " + check.uri());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finish("error reading the response: " + cause.getMessage());
        }

        private void finish(String failure) {
            if (!done) {
                done = true;
                result.done(failure);
            }
        }
    }
}

package io.stampede.loadgen.engine;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A virtual user's WebSocket, on its worker's event loop: connect (the handshake with the user's
 * headers), send text, and wait for the next message that matches, within a timeout. Messages that
 * arrive while nobody waits are kept, the oldest dropped past {@value #KEPT}, each with its arrival
 * time, so a wait that starts late still measures when its message came.
 */
final class WebSocketSession {
    private static final int KEPT = 1024;

    /** A message and when it arrived (nanoTime). */
    record Message(String text, long arrivedNanos) {}

    interface Connected {
        void done(String error);
    }

    interface Received {
        /** @param message the match, or null when {@code error} says why not (timeout, closed) */
        void done(Message message, String error);
    }

    private final Worker worker;
    private final ArrayDeque<Message> inbox = new ArrayDeque<>();
    private Channel channel;
    private boolean closed;
    private String closedWhy;
    private Predicate<String> wanted;
    private Received waiter;
    private ScheduledFuture<?> timer;
    private Connected connecting;

    WebSocketSession(Worker worker) {
        this.worker = worker;
    }

    boolean open() {
        return channel != null && channel.isActive() && !closed;
    }

    void connect(URI uri, Map<String, String> headers, long timeoutNanos, Connected done) {
        HttpHeaders h = new DefaultHttpHeaders();
        headers.forEach(h::set);
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri).version(WebSocketVersion.V13).customHeaders(h).maxFramePayloadLength(1 << 20)
                .handshakeTimeoutMillis(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos))).build();
        connecting = done;
        Target target = worker.settings().target();
        boolean tls = uri.getScheme().equals("wss");
        Bootstrap b = worker.bootstrap(timeoutNanos)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls) {
                            ch.pipeline().addLast(worker.settings().tls().newHandler(ch.alloc(), target, 0,
                                    TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                                new WebSocketClientProtocolHandler(WebSocketClientHandshakerFactory.newHandshaker(
                                        config.webSocketUri(), config.version(), null, true, config.customHeaders(),
                                        config.maxFramePayloadLength()), config), new Frames());
                    }
                });
        b.connect(target.resolved()).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                connected(f.cause() == null ? "connect failed" : "ConnectionError: " + f.cause().getMessage());
                return;
            }
            channel = f.channel();
        });
    }

    private void connected(String error) {
        Connected c = connecting;
        connecting = null;
        if (c != null) {
            c.done(error);
        }
    }

    /** Sends one text message; {@code done} hears when it was written (or why not). */
    void send(String text, Connected done) {
        if (!open()) {
            done.done("WebSocketClosed: " + (closedWhy != null ? closedWhy : "not connected"));
            return;
        }
        channel.writeAndFlush(new TextWebSocketFrame(text)).addListener(f ->
                done.done(f.isSuccess() ? null : "WebSocketError: " + f.cause().getMessage()));
    }

    /** The first kept or coming message {@code match} accepts, within {@code timeoutNanos}. */
    void await(Predicate<String> match, long timeoutNanos, Received done) {
        while (!inbox.isEmpty()) {
            Message m = inbox.pollFirst();
            if (match.test(m.text())) {
                done.done(m, null);
                return;
            }
        }
        if (!open()) {
            done.done(null, "WebSocketClosed: " + (closedWhy != null ? closedWhy : "not connected"));
            return;
        }
        wanted = match;
        waiter = done;
        timer = worker.loop().schedule(() -> finishWait(null, "Timeout: no matching message within "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"), timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void finishWait(Message m, String error) {
        Received r = waiter;
        waiter = null;
        wanted = null;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (r != null) {
            r.done(m, error);
        }
    }

    void close() {
        closed = true;
        inbox.clear();
        if (channel != null) {
            channel.close();
        }
    }

    private final class Frames extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                connected(null);
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                connected("Timeout: the WebSocket handshake did not complete");
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
            Message m = new Message(frame.text(), System.nanoTime());
            if (wanted != null && wanted.test(m.text())) {
                finishWait(m, null);
                return;
            }
            if (wanted == null) {
                if (inbox.size() >= KEPT) {
                    inbox.pollFirst();
                }
                inbox.addLast(m);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            String why = cause instanceof WebSocketHandshakeException ? "WebSocketHandshakeError: " + cause.getMessage()
                    : "WebSocketError: " + cause.getMessage();
            closedWhy = why;
            connected(why);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (closedWhy == null) {
                closedWhy = "closed by the server";
            }
            closed = true;
            connected("ConnectionError: " + closedWhy + " before the handshake completed");
            finishWait(null, "WebSocketClosed: " + closedWhy);
            ctx.fireChannelInactive();
        }
    }
}

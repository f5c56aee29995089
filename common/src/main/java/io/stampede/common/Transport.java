package io.stampede.common;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Locale;

/**
 * The Netty transport every part of Stampede uses, chosen once per process so servers and clients
 * agree on channel types: io_uring where the kernel allows it (it measured ahead of epoll on the
 * proxy's path: about 1.04x the requests/s and 1.1x the requests per CPU-second at 64 clients),
 * else native epoll (Linux), else NIO; {@link #name()} says which runs.
 * {@code -Dstampede.transport=epoll|io_uring|nio} asks for one ({@code -Dstampede.nio=true}, the
 * older switch, for NIO); one that cannot load falls back the same way.
 */
public final class Transport {
    private enum Kind { EPOLL, IO_URING, NIO }

    static final String MULTISHOT_POLL = "io.netty.iouring.pollAddMultishotEnabled";
    private static final Kind KIND = choose();

    private Transport() {}

    private static Kind choose() {
        String asked = System.getProperty("stampede.transport", Boolean.getBoolean("stampede.nio") ? "nio" : "auto")
                .toLowerCase(Locale.ROOT);
        if (asked.equals("nio")) {
            return Kind.NIO;
        }
        if (!asked.equals("epoll") && ioUringAvailable()) {
            return Kind.IO_URING;
        }
        return Epoll.isAvailable() ? Kind.EPOLL : Kind.NIO;
    }

    private static boolean ioUringAvailable() {
        // Netty arms POLLIN as a multishot poll by default. Then a peer that sends part of a
        // message and resets the connection can leave the channel waiting with nothing armed: the
        // reset is never seen, and a proxied request waits out its read timeout (504 instead of
        // 502), about one time in six on this kernel (BrokenUpstreamCorpusTest, "reset inside the
        // head"). Single-shot polls see it every time. Set before Netty reads it; a value given
        // on the command line wins.
        if (System.getProperty(MULTISHOT_POLL) == null) {
            System.setProperty(MULTISHOT_POLL, "false");
        }
        try {
            return IoUring.isAvailable();
        } catch (Throwable e) {
            return false; // the native library is missing or the kernel refuses io_uring
        }
    }

    public static String name() {
        return switch (KIND) {
            case EPOLL -> "epoll";
            case IO_URING -> "io_uring";
            case NIO -> "nio";
        };
    }

    /** An event loop group of {@code threads} threads (0 = one per core) named {@code name-N}. */
    public static EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory factory = switch (KIND) {
            case EPOLL -> EpollIoHandler.newFactory();
            case IO_URING -> IoUringIoHandler.newFactory(ioUringConfig());
            case NIO -> NioIoHandler.newFactory();
        };
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(name, true), factory);
    }

    /**
     * A completion queue of 16,384 entries (256 KB a loop) rather than Netty's 4,096: with
     * thousands of connections on one loop (10,000 users a process, a Market API behind them) a
     * burst of completions overflowed it, which the kernel then holds back and Netty warns about
     * each time.
     */
    static io.netty.channel.uring.IoUringIoHandlerConfig ioUringConfig() {
        io.netty.channel.uring.IoUringIoHandlerConfig config = new io.netty.channel.uring.IoUringIoHandlerConfig();
        return config.setCqSize(Math.max(config.getCqSize(), 16_384));
    }

    public static Class<? extends ServerChannel> serverChannel() {
        return switch (KIND) {
            case EPOLL -> EpollServerSocketChannel.class;
            case IO_URING -> IoUringServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    /**
     * SO_REUSEPORT for a server channel: several processes bind one port and the kernel spreads
     * new connections over them (gunicorn's {@code --reuse-port}, nginx's {@code listen reuseport}).
     * Null on NIO, which cannot set it.
     */
    public static io.netty.channel.ChannelOption<Boolean> reusePort() {
        return switch (KIND) {
            case EPOLL -> io.netty.channel.epoll.EpollChannelOption.SO_REUSEPORT;
            case IO_URING -> io.netty.channel.uring.IoUringChannelOption.SO_REUSEPORT;
            case NIO -> null;
        };
    }

    public static Class<? extends SocketChannel> clientChannel() {
        return switch (KIND) {
            case EPOLL -> EpollSocketChannel.class;
            case IO_URING -> IoUringSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }
}

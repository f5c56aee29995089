package io.stampede.loadgen.fleet;

import io.stampede.loadgen.stats.Endpoint;
import io.stampede.loadgen.stats.ErrorKey;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * What a fleet's parent and its worker processes say to each other over a loopback socket: one
 * msgpack array per message, {@code [type, fields...]}, each behind its length (4 bytes, big-endian).
 * Histograms travel in HdrHistogram's compressed encoding, the one its logs use, so the parent
 * adds exactly what each worker recorded.
 */
final class Wire {
    /** A frame longer than this is not one of ours: the stream is refused, not read into memory. */
    static final int MAX_FRAME = 64 * 1024 * 1024;

    private Wire() {}

    sealed interface Message permits Hello, Run, Edit, Stop, Quit, Started, Tick, Failed {}

    /**
     * Worker to parent, once: it is connected and its generator is warm. {@code token} is the one
     * the parent put in the worker's environment, so no other local process can pose as a worker.
     */
    record Hello(int index, long pid, String token) implements Message {}

    /** Parent to worker: run the whole load's share (users and arrivals are the whole's; the worker takes its segment). */
    record Run(int run, int users, double spawnRate, String host, String arrivals) implements Message {}

    /** Parent to worker: Locust's Edit, for the whole load. */
    record Edit(int run, int users, double spawnRate, String arrivals) implements Message {}

    /** Parent to worker: stop the run and send its last tick. */
    record Stop(int run) implements Message {}

    /** Parent to worker: exit. */
    record Quit() implements Message {}

    /** Worker to parent: the run's start completed (open model: its arrivals began). */
    record Started(int run) implements Message {}

    /** One endpoint's interval in a tick. */
    record EndpointDelta(Endpoint endpoint, Histogram latency, Histogram service, long failures, long bytes) {}

    /**
     * Worker to parent, once a second and once at the stop ({@code last}): what was recorded since
     * the previous tick, and how the worker is doing now.
     */
    record Tick(int run, boolean last, int users, boolean spawning, double rate, Map<String, Integer> classes, double cpu,
                double lagMs, long gcMillis, List<EndpointDelta> endpoints, Map<ErrorKey, Long> errors,
                Map<String, Long> exceptions, long dropped, Histogram handshakes, long resumed) implements Message {}

    /** A worker's last tick for a run it never ran (it failed to start, or the stop came first): nothing to add. */
    static Tick emptyLast(int run) {
        return new Tick(run, true, 0, false, 0, Map.of(), 0, 0, 0, List.of(), Map.of(), Map.of(), 0,
                new Histogram(3_600_000_000L, 3), 0);
    }

    /** Worker to parent: the run could not start or failed, and why. */
    record Failed(int run, String message) implements Message {}

    static void write(DataOutputStream out, Message m) throws IOException {
        byte[] bytes = encode(m);
        synchronized (out) {
            out.writeInt(bytes.length);
            out.write(bytes);
            out.flush();
        }
    }

    /** A hello is a few dozen bytes: a first frame longer than this is refused before it is read. */
    static final int MAX_HELLO = 1024;

    /**
     * The first message of a connection, which must be a hello: read with a small cap and decoded
     * only when it says "hello", so a stranger on the port gets nothing decoded or allocated.
     */
    static Hello readHello(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_HELLO) {
            throw new IOException("a first frame of " + length + " bytes: not a worker's hello");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        if (!(decode(bytes) instanceof Hello h)) {
            throw new IOException("a first message that is not a hello");
        }
        return h;
    }

    /** The next message; EOFException when the other side closed between messages. */
    static Message read(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_FRAME) {
            throw new IOException("a frame of " + length + " bytes: not a stampede worker's stream");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return decode(bytes);
    }

    static byte[] encode(Message m) throws IOException {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            if (m instanceof Hello h) {
                p.packArrayHeader(4).packString("hello").packInt(h.index()).packLong(h.pid()).packString(h.token());
            } else if (m instanceof Run r) {
                p.packArrayHeader(6).packString("run").packInt(r.run()).packInt(r.users()).packDouble(r.spawnRate())
                        .packString(r.host());
                packNullable(p, r.arrivals());
            } else if (m instanceof Edit e) {
                p.packArrayHeader(5).packString("edit").packInt(e.run()).packInt(e.users()).packDouble(e.spawnRate());
                packNullable(p, e.arrivals());
            } else if (m instanceof Stop s) {
                p.packArrayHeader(2).packString("stop").packInt(s.run());
            } else if (m instanceof Quit) {
                p.packArrayHeader(1).packString("quit");
            } else if (m instanceof Started s) {
                p.packArrayHeader(2).packString("started").packInt(s.run());
            } else if (m instanceof Failed f) {
                p.packArrayHeader(3).packString("failed").packInt(f.run()).packString(f.message());
            } else {
                packTick(p, (Tick) m);
            }
            return p.toByteArray();
        }
    }

    private static void packTick(MessageBufferPacker p, Tick t) throws IOException {
        p.packArrayHeader(16).packString("tick").packInt(t.run()).packBoolean(t.last()).packInt(t.users())
                .packBoolean(t.spawning()).packDouble(t.rate());
        p.packMapHeader(t.classes().size());
        for (Map.Entry<String, Integer> e : t.classes().entrySet()) {
            p.packString(e.getKey()).packInt(e.getValue());
        }
        p.packDouble(t.cpu()).packDouble(t.lagMs()).packLong(t.gcMillis());
        p.packArrayHeader(t.endpoints().size());
        for (EndpointDelta d : t.endpoints()) {
            p.packArrayHeader(6).packString(d.endpoint().method()).packString(d.endpoint().name());
            packHistogram(p, d.latency());
            packHistogram(p, d.service());
            p.packLong(d.failures()).packLong(d.bytes());
        }
        p.packArrayHeader(t.errors().size());
        for (Map.Entry<ErrorKey, Long> e : t.errors().entrySet()) {
            p.packArrayHeader(4).packString(e.getKey().method()).packString(e.getKey().name()).packString(e.getKey().error())
                    .packLong(e.getValue());
        }
        p.packMapHeader(t.exceptions().size());
        for (Map.Entry<String, Long> e : t.exceptions().entrySet()) {
            p.packString(e.getKey()).packLong(e.getValue());
        }
        p.packLong(t.dropped());
        packHistogram(p, t.handshakes());
        p.packLong(t.resumed());
    }

    private static void packNullable(MessageBufferPacker p, String s) throws IOException {
        if (s == null) {
            p.packNil();
        } else {
            p.packString(s);
        }
    }

    private static void packHistogram(MessageBufferPacker p, Histogram h) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int length = h.encodeIntoCompressedByteBuffer(buffer);
        p.packBinaryHeader(length).writePayload(buffer.array(), 0, length);
    }

    static Message decode(byte[] bytes) throws IOException {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            int size = u.unpackArrayHeader();
            String type = u.unpackString();
            Message m = switch (type) {
                case "hello" -> new Hello(u.unpackInt(), u.unpackLong(), u.unpackString());
                case "run" -> new Run(u.unpackInt(), u.unpackInt(), u.unpackDouble(), u.unpackString(), nullable(u));
                case "edit" -> new Edit(u.unpackInt(), u.unpackInt(), u.unpackDouble(), nullable(u));
                case "stop" -> new Stop(u.unpackInt());
                case "quit" -> new Quit();
                case "started" -> new Started(u.unpackInt());
                case "failed" -> new Failed(u.unpackInt(), u.unpackString());
                case "tick" -> unpackTick(u);
                default -> throw new IOException("unknown message '" + type + "' (" + size + " parts)");
            };
            return m;
        } catch (org.msgpack.core.MessagePackException e) {
            throw new IOException("a malformed message: " + e.getMessage(), e);
        }
    }

    private static Tick unpackTick(MessageUnpacker u) throws IOException {
        int run = u.unpackInt();
        boolean last = u.unpackBoolean();
        int users = u.unpackInt();
        boolean spawning = u.unpackBoolean();
        double rate = u.unpackDouble();
        Map<String, Integer> classes = new LinkedHashMap<>();
        for (int i = u.unpackMapHeader(); i > 0; i--) {
            classes.put(u.unpackString(), u.unpackInt());
        }
        double cpu = u.unpackDouble();
        double lag = u.unpackDouble();
        long gc = u.unpackLong();
        List<EndpointDelta> endpoints = new ArrayList<>();
        for (int i = u.unpackArrayHeader(); i > 0; i--) {
            u.unpackArrayHeader();
            Endpoint ep = new Endpoint(u.unpackString(), u.unpackString());
            endpoints.add(new EndpointDelta(ep, unpackHistogram(u), unpackHistogram(u), u.unpackLong(), u.unpackLong()));
        }
        Map<ErrorKey, Long> errors = new LinkedHashMap<>();
        for (int i = u.unpackArrayHeader(); i > 0; i--) {
            u.unpackArrayHeader();
            errors.put(new ErrorKey(u.unpackString(), u.unpackString(), u.unpackString()), u.unpackLong());
        }
        Map<String, Long> exceptions = new LinkedHashMap<>();
        for (int i = u.unpackMapHeader(); i > 0; i--) {
            exceptions.put(u.unpackString(), u.unpackLong());
        }
        long dropped = u.unpackLong();
        Histogram handshakes = unpackHistogram(u);
        return new Tick(run, last, users, spawning, rate, classes, cpu, lag, gc, endpoints, errors, exceptions, dropped,
                handshakes, u.unpackLong());
    }

    private static String nullable(MessageUnpacker u) throws IOException {
        if (u.tryUnpackNil()) {
            return null;
        }
        return u.unpackString();
    }

    private static Histogram unpackHistogram(MessageUnpacker u) throws IOException {
        byte[] bytes = u.readPayload(u.unpackBinaryHeader());
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 0);
        } catch (DataFormatException | RuntimeException e) {
            throw new IOException("a histogram that does not decode: " + e.getMessage(), e);
        }
    }

    /** For a reader's loop: whether the exception is the other side closing. */
    static boolean closed(IOException e) {
        return e instanceof EOFException || e instanceof java.net.SocketException;
    }
}

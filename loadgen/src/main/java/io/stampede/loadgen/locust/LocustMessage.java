package io.stampede.loadgen.locust;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

/**
 * One message of Locust's master/worker protocol: msgpack of {@code (type, data, node_id)}, data
 * being maps, lists, strings, numbers, booleans and nil (maps may have integer keys: the stats use
 * them). What the data holds per type is in {@link LocustWorker}.
 */
record LocustMessage(String type, Object data, String nodeId) {

    byte[] encode() {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(3);
            pack(p, type);
            pack(p, data);
            pack(p, nodeId);
            return p.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("msgpack into memory cannot fail", e);
        }
    }

    /** @throws IllegalArgumentException when the bytes are not a (type, data, node_id) message */
    static LocustMessage decode(byte[] bytes) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            Value v = u.unpackValue();
            if (!v.isArrayValue() || v.asArrayValue().size() != 3 || !v.asArrayValue().get(0).isStringValue()) {
                throw new IllegalArgumentException("not a Locust message (type, data, node_id): " + v);
            }
            List<Value> parts = v.asArrayValue().list();
            Object node = plain(parts.get(2));
            return new LocustMessage(parts.get(0).asStringValue().asString(), plain(parts.get(1)), node == null ? null : node.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("not msgpack: " + e.getMessage(), e);
        }
    }

    private static void pack(MessagePacker p, Object v) throws IOException {
        if (v == null) {
            p.packNil();
        } else if (v instanceof String s) {
            p.packString(s);
        } else if (v instanceof Boolean b) {
            p.packBoolean(b);
        } else if (v instanceof Integer || v instanceof Long) {
            p.packLong(((Number) v).longValue());
        } else if (v instanceof Number n) {
            p.packDouble(n.doubleValue());
        } else if (v instanceof Map<?, ?> m) {
            p.packMapHeader(m.size());
            for (Map.Entry<?, ?> e : m.entrySet()) {
                pack(p, e.getKey());
                pack(p, e.getValue());
            }
        } else if (v instanceof List<?> l) {
            p.packArrayHeader(l.size());
            for (Object o : l) {
                pack(p, o);
            }
        } else {
            throw new IllegalArgumentException("cannot send a " + v.getClass().getSimpleName() + " to Locust");
        }
    }

    /** A msgpack value as plain Java: maps, lists, strings, longs, doubles, booleans, null. */
    private static Object plain(Value v) {
        switch (v.getValueType()) {
            case NIL:
                return null;
            case BOOLEAN:
                return v.asBooleanValue().getBoolean();
            case INTEGER:
                return v.asIntegerValue().toLong();
            case FLOAT:
                return v.asFloatValue().toDouble();
            case STRING:
                return v.asStringValue().asString();
            case BINARY:
                return new String(v.asBinaryValue().asByteArray(), java.nio.charset.StandardCharsets.UTF_8);
            case ARRAY: {
                List<Object> out = new ArrayList<>();
                v.asArrayValue().forEach(x -> out.add(plain(x)));
                return out;
            }
            case MAP: {
                Map<Object, Object> out = new LinkedHashMap<>();
                v.asMapValue().map().forEach((k, x) -> out.put(plain(k), plain(x)));
                return out;
            }
            default:
                return v.toString(); // extension types: none in Locust's messages
        }
    }
}

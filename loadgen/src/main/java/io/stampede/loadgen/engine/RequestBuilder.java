package io.stampede.loadgen.engine;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.stampede.loadgen.scenario.Step;
import io.stampede.loadgen.scenario.Template;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Turns a request step and a user's variables into bytes on the wire. */
final class RequestBuilder {
    private static final JsonFactory JSON = new JsonFactory();

    private RequestBuilder() {}

    static FullHttpRequest build(Step.Request step, Template.Vars vars, Target target, String uri,
                                 Map<String, String> extraHeaders, String cookies, ByteBufAllocator alloc) {
        ByteBuf body = Unpooled.EMPTY_BUFFER;
        if (step.body() instanceof Step.JsonBody json) {
            body = alloc.buffer(256);
            try (JsonGenerator g = JSON.createGenerator((java.io.OutputStream) new ByteBufOutputStream(body))) {
                write(g, json.tree(), vars);
            } catch (IOException e) {
                body.release();
                throw new UncheckedIOException(e);
            } catch (RuntimeException e) {
                body.release();
                throw e;
            }
        } else if (step.body() instanceof Step.TextBody text) {
            body = Unpooled.copiedBuffer(text.text().render(vars), StandardCharsets.UTF_8);
        }
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(step.method()), uri, body);
        r.headers().set(HttpHeaderNames.HOST, target.hostHeader());
        r.headers().set(HttpHeaderNames.USER_AGENT, "stampede/0.1");
        r.headers().set(HttpHeaderNames.ACCEPT, "*/*");
        if (step.body() != null) {
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, step.body().contentType());
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        } else if (!step.method().equals("GET") && !step.method().equals("HEAD")) {
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        }
        if (cookies != null) {
            r.headers().set(HttpHeaderNames.COOKIE, cookies);
        }
        extraHeaders.forEach((k, v) -> r.headers().set(k, v));
        try {
            for (Map.Entry<String, Template> h : step.headers().entrySet()) {
                r.headers().set(h.getKey(), h.getValue().render(vars));
            }
        } catch (RuntimeException e) {
            r.release();
            throw e;
        }
        return r;
    }

    /** A body as text: JSON rendered from its tree, or the text template (a WebSocket message). */
    static String text(Step.Body body, Template.Vars vars) {
        if (body instanceof Step.TextBody t) {
            return t.text().render(vars);
        }
        java.io.StringWriter out = new java.io.StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            write(g, ((Step.JsonBody) body).tree(), vars);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, Object tree, Template.Vars vars) throws IOException {
        if (tree == null) {
            g.writeNull();
        } else if (tree instanceof Template t) {
            g.writeString(t.render(vars));
        } else if (tree instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue(), vars);
            }
            g.writeEndObject();
        } else if (tree instanceof List<?> l) {
            g.writeStartArray();
            for (Object o : l) {
                write(g, o, vars);
            }
            g.writeEndArray();
        } else if (tree instanceof Long n) {
            g.writeNumber(n);
        } else if (tree instanceof Double d) {
            g.writeNumber(d);
        } else if (tree instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeString(String.valueOf(tree));
        }
    }
}

package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.stampede.balancer.config.ConfigLoader;
import io.stampede.common.tls.Certificates;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code grpc_pass} between a real gRPC client and server (grpc-java, not ours): unary, streaming
 * both ways with the request body never held, statuses and trailers passed through, the proxy's
 * own errors told as gRPC statuses, and a client's cancel reaching the server.
 */
class GrpcPassTest {
    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> ECHO = method("Echo", MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<String, String> COUNT = method("Count", MethodDescriptor.MethodType.SERVER_STREAMING);
    private static final MethodDescriptor<String, String> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
    private static final MethodDescriptor<String, String> FIND = method("Find", MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<String, String> HANG = method("Hang", MethodDescriptor.MethodType.UNARY);
    private static final Metadata.Key<String> TENANT = Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    Path dir;
    private Server server;
    private io.grpc.ServerServiceDefinition service;
    private final CountDownLatch hangStarted = new CountDownLatch(1);
    private final CountDownLatch hangCancelled = new CountDownLatch(1);
    private final AtomicReference<String> tenantSeen = new AtomicReference<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    private static MethodDescriptor<String, String> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<String, String>newBuilder().setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Market", name))
                .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();
    }

    @BeforeEach
    void startServer() throws IOException {
        ServerServiceDefinition plain = ServerServiceDefinition.builder("test.Market")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
                    out.onNext("echo:" + req);
                    out.onCompleted();
                }))
                .addMethod(COUNT, ServerCalls.asyncServerStreamingCall((String req, StreamObserver<String> out) -> {
                    int n = Integer.parseInt(req);
                    for (int i = 1; i <= n; i++) {
                        out.onNext("item-" + i + "-" + "p".repeat(1000));
                    }
                    out.onCompleted();
                }))
                .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(out -> new StreamObserver<String>() {
                    @Override
                    public void onNext(String value) {
                        out.onNext("re:" + value);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        out.onCompleted();
                    }
                }))
                .addMethod(FIND, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
                    if (req.equals("missing")) {
                        // No message first: grpc-java answers "Trailers-Only", the status in the head.
                        out.onError(Status.NOT_FOUND.withDescription("no product 'missing'").asRuntimeException());
                    } else {
                        out.onNext("found:" + req);
                        out.onError(Status.FAILED_PRECONDITION.withDescription("found, then failed").asRuntimeException());
                    }
                }))
                .addMethod(HANG, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
                    ((ServerCallStreamObserver<String>) out).setOnCancelHandler(hangCancelled::countDown);
                    hangStarted.countDown();
                }))
                .build();
        service = io.grpc.ServerInterceptors.intercept(plain, new io.grpc.ServerInterceptor() {
                    @Override
                    public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, Metadata headers,
                                                                               io.grpc.ServerCallHandler<Q, R> next) {
                        if (headers.get(TENANT) != null) {
                            tenantSeen.set(headers.get(TENANT));
                        }
                        return next.startCall(call, headers);
                    }
                });
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private TestProxy proxy(int backendPort) throws Exception {
        return new TestProxy("http2: on\nlocations:\n  /:\n    grpc_pass: grpc://market\n    grpc_read_timeout: 30s\n"
                + "upstreams:\n  market:\n    servers: [127.0.0.1:" + backendPort + "]\n");
    }

    private ManagedChannel channel(TestProxy proxy) {
        ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", proxy.address.getPort()).usePlaintext().build();
        channels.add(c);
        return c;
    }

    private static CallOptions deadline() {
        return CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    @Test
    void unaryAndServerStreamingCallsPassWithTheirHeaders() throws Exception {
        try (TestProxy proxy = proxy(server.getPort())) {
            ManagedChannel ch = channel(proxy);
            Metadata extra = new Metadata();
            extra.put(TENANT, "acme");
            io.grpc.Channel withTenant = io.grpc.ClientInterceptors.intercept(ch, MetadataUtils.newAttachHeadersInterceptor(extra));
            assertThat(ClientCalls.blockingUnaryCall(withTenant, ECHO, deadline(), "hello")).isEqualTo("echo:hello");
            assertThat(tenantSeen.get()).isEqualTo("acme");
            // Larger than a stream's window several times over: flow control paces it, nothing is lost.
            List<String> items = new ArrayList<>();
            Iterator<String> it = ClientCalls.blockingServerStreamingCall(ch, COUNT, deadline(), "2000");
            it.forEachRemaining(items::add);
            assertThat(items).hasSize(2000);
            assertThat(items.get(1999)).startsWith("item-2000-");
        }
    }

    @Test
    void aBidiCallIsAConversationNotABufferedUpload() throws Exception {
        try (TestProxy proxy = proxy(server.getPort())) {
            LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
            CountDownLatch done = new CountDownLatch(1);
            StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(channel(proxy).newCall(CHAT, deadline()),
                    new StreamObserver<>() {
                        @Override
                        public void onNext(String value) {
                            replies.add(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                            replies.add("error:" + t);
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            done.countDown();
                        }
                    });
            // Each message waits for the answer to the last: were the body held until its end,
            // the first answer would never come.
            for (int i = 0; i < 5; i++) {
                requests.onNext("m" + i);
                assertThat(replies.poll(10, TimeUnit.SECONDS)).isEqualTo("re:m" + i);
            }
            requests.onCompleted();
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(replies).isEmpty();
        }
    }

    @Test
    void theServersStatusesReachTheClient() throws Exception {
        try (TestProxy proxy = proxy(server.getPort())) {
            ManagedChannel ch = channel(proxy);
            // Trailers-Only: the status in the response head, which must stay one HEADERS frame.
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(ch, FIND, deadline(), "missing"))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                        assertThat(e.getStatus().getDescription()).isEqualTo("no product 'missing'");
                    });
            // A status in trailers, after a message.
            Iterator<String> it = ClientCalls.blockingServerStreamingCall(ch, FIND.toBuilder()
                    .setType(MethodDescriptor.MethodType.SERVER_STREAMING).build(), deadline(), "x");
            assertThat(it.next()).isEqualTo("found:x");
            assertThatThrownBy(it::hasNext).isInstanceOfSatisfying(StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
        }
    }

    @Test
    void theProxysOwnErrorsAreGrpcStatuses() throws Exception {
        int nobody = PeerProcess.freePort();
        try (TestProxy proxy = proxy(nobody)) {
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel(proxy), ECHO, deadline(), "hello"))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                        assertThat(e.getStatus().getDescription()).contains("stampede proxy: 502 Bad Gateway");
                    });
        }
    }

    @Test
    void grpcsToTheServerAndTlsToTheClient() throws Exception {
        Certificates.Issued ca = Certificates.authority("Test CA");
        Files.writeString(dir.resolve("ca.crt"), Certificates.pem(ca.certificate()));
        Certificates.signed(ca, "market.internal", List.of("market.internal"), "EC", Duration.ofDays(1))
                .write(dir.resolve("backend.crt"), dir.resolve("backend.key"));
        Certificates.signed(ca, "localhost", List.of("localhost"), "EC", Duration.ofDays(1))
                .write(dir.resolve("proxy.crt"), dir.resolve("proxy.key"));
        Server tls = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(GrpcSslContexts.forServer(dir.resolve("backend.crt").toFile(), dir.resolve("backend.key").toFile()).build())
                .addService(service).build().start();
        String yaml = "listen: 127.0.0.1:0 ssl http2\nssl_certificate: " + dir.resolve("proxy.crt")
                + "\nssl_certificate_key: " + dir.resolve("proxy.key") + "\nlocations:\n  /:\n    grpc_pass: grpcs://market\n"
                + "    grpc_ssl_verify: on\n    grpc_ssl_trusted_certificate: " + dir.resolve("ca.crt")
                + "\n    grpc_ssl_name: market.internal\n    grpc_ssl_server_name: on\n"
                + "upstreams:\n  market:\n    servers: [127.0.0.1:" + tls.getPort() + "]\n";
        ProxyServer proxy = new ProxyServer(ConfigLoader.parse("grpcs.yaml", new StringReader(yaml)), () -> 1_000L, new java.util.SplittableRandom(1)::nextLong);
        try {
            proxy.start();
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", proxy.addresses().get(0).getPort())
                    .overrideAuthority("localhost")
                    .sslContext(GrpcSslContexts.forClient().trustManager(dir.resolve("ca.crt").toFile()).build()).build();
            channels.add(ch);
            assertThat(ClientCalls.blockingUnaryCall(ch, ECHO, deadline(), "secure")).isEqualTo("echo:secure");
        } finally {
            proxy.close();
            tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aCancelledCallIsCancelledAtTheServer() throws Exception {
        try (TestProxy proxy = proxy(server.getPort())) {
            ClientCall<String, String> call = channel(proxy).newCall(HANG, deadline());
            AtomicBoolean closed = new AtomicBoolean();
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onClose(Status status, Metadata trailers) {
                    closed.set(true);
                }
            }, new Metadata());
            call.sendMessage("wait");
            call.halfClose();
            call.request(1);
            assertThat(hangStarted.await(10, TimeUnit.SECONDS)).as("the call reached the server").isTrue();
            call.cancel("the user gave up", null);
            assertThat(hangCancelled.await(10, TimeUnit.SECONDS)).as("the server saw the cancel").isTrue();
            await().atMost(Duration.ofSeconds(5)).untilTrue(closed);
        }
    }
}

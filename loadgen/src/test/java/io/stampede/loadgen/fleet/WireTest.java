package io.stampede.loadgen.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.loadgen.stats.Endpoint;
import io.stampede.loadgen.stats.ErrorKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The parent/worker messages of --processes survive the wire whole, and a stream that is not ours is refused. */
class WireTest {

    private static Wire.Message roundTrip(Wire.Message m) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Wire.write(new DataOutputStream(bytes), m);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
        Wire.Message back = Wire.read(in);
        assertThatThrownBy(() -> Wire.read(in)).isInstanceOf(EOFException.class);
        return back;
    }

    @Test
    void controlMessagesComeBackEqual() throws IOException {
        for (Wire.Message m : List.of(new Wire.Hello(3, 4242L, "00ff"), new Wire.Run(7, 40_000, 2000.5, "http://127.0.0.1:8000", "500/s"),
                new Wire.Run(1, 10, 1, "https://h", null), new Wire.Edit(7, 12, 3, "30s:100/s,1m:500/s"), new Wire.Edit(2, 5, 1, null),
                new Wire.Stop(7), new Wire.Started(7), new Wire.Failed(7, "user_count: 0"))) {
            assertThat(roundTrip(m)).isEqualTo(m);
        }
        assertThat(roundTrip(new Wire.Quit())).isInstanceOf(Wire.Quit.class);
    }

    @Test
    void aTickCarriesItsHistogramsBucketForBucket() throws IOException {
        Histogram latency = new Histogram(3_600_000_000L, 3);
        Histogram service = new Histogram(3_600_000_000L, 3);
        for (long v = 1; v < 5_000_000; v = v * 3 + 1) {
            latency.recordValueWithCount(v, v % 5 + 1);
            service.recordValue(v / 2 + 1);
        }
        Histogram handshakes = new Histogram(3_600_000_000L, 3);
        handshakes.recordValue(1234);
        Map<String, Integer> classes = new LinkedHashMap<>();
        classes.put("Reader", 30);
        classes.put("Writer", 10);
        Wire.Tick t = new Wire.Tick(9, true, 40, false, 123.5, classes, 0.25, 12.5, 345,
                List.of(new Wire.EndpointDelta(new Endpoint("GET", "/api/v1/products/[id]/"), latency, service, 3, 98765)),
                Map.of(new ErrorKey("GET", "/x", "HTTP 503"), 3L), Map.of("no token", 2L), 4, handshakes, 1);
        Wire.Tick back = (Wire.Tick) roundTrip(t);
        assertThat(back.run()).isEqualTo(9);
        assertThat(back.last()).isTrue();
        assertThat(back.users()).isEqualTo(40);
        assertThat(back.rate()).isEqualTo(123.5);
        assertThat(back.classes()).containsExactly(Map.entry("Reader", 30), Map.entry("Writer", 10));
        assertThat(back.cpu()).isEqualTo(0.25);
        assertThat(back.lagMs()).isEqualTo(12.5);
        assertThat(back.gcMillis()).isEqualTo(345);
        Wire.EndpointDelta d = back.endpoints().get(0);
        assertThat(d.endpoint()).isEqualTo(new Endpoint("GET", "/api/v1/products/[id]/"));
        assertThat(d.latency()).isEqualTo(latency);
        assertThat(d.service()).isEqualTo(service);
        assertThat(d.failures()).isEqualTo(3);
        assertThat(d.bytes()).isEqualTo(98765);
        assertThat(back.errors()).isEqualTo(t.errors());
        assertThat(back.exceptions()).isEqualTo(t.exceptions());
        assertThat(back.dropped()).isEqualTo(4);
        assertThat(back.handshakes()).isEqualTo(handshakes);
        assertThat(back.resumed()).isEqualTo(1);
    }

    @Test
    void aConnectionsFirstFrameMustBeASmallHello() throws IOException {
        ByteArrayOutputStream hello = new ByteArrayOutputStream();
        Wire.write(new DataOutputStream(hello), new Wire.Hello(1, 77, "abc"));
        assertThat(Wire.readHello(new DataInputStream(new ByteArrayInputStream(hello.toByteArray()))))
                .isEqualTo(new Wire.Hello(1, 77, "abc"));
        // A stranger's big first frame is refused on its length, before a byte of it is read.
        DataInputStream big = new DataInputStream(new ByteArrayInputStream(new byte[] {0, 0, 4, 1}));
        assertThatThrownBy(() -> Wire.readHello(big)).isInstanceOf(IOException.class).hasMessageContaining("not a worker's hello");
        ByteArrayOutputStream stop = new ByteArrayOutputStream();
        Wire.write(new DataOutputStream(stop), new Wire.Stop(3));
        assertThatThrownBy(() -> Wire.readHello(new DataInputStream(new ByteArrayInputStream(stop.toByteArray()))))
                .isInstanceOf(IOException.class).hasMessageContaining("not a hello");
    }

    @Test
    void aStreamThatIsNotOursIsRefusedWithoutReadingItIntoMemory() {
        // "GET / HTTP/1.1": its first four bytes read as a length of over a gigabyte.
        DataInputStream http = new DataInputStream(new ByteArrayInputStream("GET / HTTP/1.1\r\n\r\n".getBytes()));
        assertThatThrownBy(() -> Wire.read(http)).isInstanceOf(IOException.class).hasMessageContaining("not a stampede worker's stream");
        DataInputStream unknown = new DataInputStream(new ByteArrayInputStream(new byte[] {0, 0, 0, 5, (byte) 0x91, (byte) 0xa3, 'b', 'a', 'd'}));
        assertThatThrownBy(() -> Wire.read(unknown)).isInstanceOf(IOException.class).hasMessageContaining("unknown message 'bad'");
        DataInputStream truncated = new DataInputStream(new ByteArrayInputStream(new byte[] {0, 0, 0, 9, (byte) 0x92}));
        assertThatThrownBy(() -> Wire.read(truncated)).isInstanceOf(EOFException.class);
        DataInputStream garbage = new DataInputStream(new ByteArrayInputStream(new byte[] {0, 0, 0, 2, (byte) 0xc1, 0}));
        assertThatThrownBy(() -> Wire.read(garbage)).isInstanceOf(IOException.class);
    }
}

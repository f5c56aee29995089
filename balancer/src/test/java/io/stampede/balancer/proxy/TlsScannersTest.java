package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.ProxyConfig;
import java.io.File;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped TLS example (config/proxy-tls.yaml) as outside scanners judge it: testssl.sh and
 * sslscan must find no protocol or cipher they call weak (nothing LOW or worse, nothing below
 * "acceptable").
 */
class TlsScannersTest {
    private static final Path EXAMPLE = Path.of("..", "config", "proxy-tls.yaml");
    @TempDir
    Path dir;
    private ProxyServer server;
    private int port;

    @BeforeEach
    void startTheExample() throws Exception {
        String yaml = Files.readString(EXAMPLE).replace("127.0.0.1:8080", "127.0.0.1:0").replace("127.0.0.1:8443 ssl", "127.0.0.1:0 ssl");
        ProxyConfig config = ConfigLoader.parse(EXAMPLE.toString(), new StringReader(yaml));
        AtomicLong seconds = new AtomicLong(1_000);
        SplittableRandom random = new SplittableRandom(1);
        server = new ProxyServer(config, seconds::get, random::nextLong);
        server.start();
        port = server.addresses().get(1).getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static Path tool(String... names) {
        for (String name : names) {
            for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
                Path p = Path.of(d, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        System.err.println("SKIPPED LOUDLY: " + names[0] + " is not installed (apt-get install " + names[names.length - 1]
                + "); the TLS scan did not run");
        Assumptions.abort(names[0] + " is not installed");
        return null;
    }

    private static void run(Path logFile, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("%s finished", command[0]).isTrue();
    }

    @Test
    void testsslFindsNothingWeak() throws Exception {
        Path testssl = tool("testssl", "testssl.sh");
        Path json = dir.resolve("testssl.json");
        run(dir.resolve("testssl.log"), testssl.toString(), "--quiet", "--color", "0", "--warnings", "off", "--jsonfile",
                json.toString(), "-p", "-s", "-f", "-U", "-E", "127.0.0.1:" + port);
        JsonNode findings = new ObjectMapper().readTree(json.toFile());
        List<String> weak = new ArrayList<>();
        int checked = 0;
        for (JsonNode f : findings) {
            checked++;
            String severity = f.get("severity").asText();
            if (!severity.equals("OK") && !severity.equals("INFO")) {
                weak.add(severity + " " + f.get("id").asText() + ": " + f.get("finding").asText());
            }
        }
        assertThat(checked).as("testssl.sh ran its checks: %s", Files.readString(dir.resolve("testssl.log"))).isGreaterThan(20);
        assertThat(weak).as("testssl.sh findings above INFO").isEmpty();
    }

    @Test
    void sslscanSeesOnlyModernProtocolsAndStrongCiphers() throws Exception {
        Path sslscan = tool("sslscan");
        Path xml = dir.resolve("sslscan.xml");
        run(dir.resolve("sslscan.log"), sslscan.toString(), "--no-colour", "--xml=" + xml, "127.0.0.1:" + port);
        String report = Files.readString(xml);
        Matcher protocols = Pattern.compile("<protocol type=\"(\\w+)\" version=\"([\\d.]+)\" enabled=\"1\"").matcher(report);
        List<String> enabled = new ArrayList<>();
        while (protocols.find()) {
            enabled.add(protocols.group(1) + protocols.group(2));
        }
        assertThat(enabled).containsExactlyInAnyOrder("tls1.2", "tls1.3");
        Matcher ciphers = Pattern.compile("<cipher status=\"\\w+\" sslversion=\"([^\"]+)\"[^>]* cipher=\"([^\"]+)\"[^>]* strength=\"(\\w+)\"").matcher(report);
        List<String> seen = new ArrayList<>();
        while (ciphers.find()) {
            seen.add(ciphers.group(1) + " " + ciphers.group(2) + " " + ciphers.group(3));
        }
        assertThat(seen).as("ciphers sslscan accepted").isNotEmpty()
                .allMatch(c -> c.endsWith(" strong") || c.endsWith(" acceptable"), "strong or acceptable")
                .noneMatch(c -> c.contains("-SHA ") || c.contains("CBC"), "no CBC suites");
    }
}

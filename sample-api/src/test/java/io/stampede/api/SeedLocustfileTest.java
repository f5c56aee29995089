package io.stampede.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed article's locustfile, unchanged, run by real Locust against the Market API: zero
 * failures, and Locust's request count agrees with the API's own. Needs {@code locust} on the PATH
 * ({@code apt-get install python3-locust}, done by .ci/run) and the shared seed folder beside the
 * repository; skips loudly without them.
 */
class SeedLocustfileTest {

    @Test
    void seedLocustfileRunsWithZeroFailures(@TempDir Path dir) throws Exception {
        Path locustfile = findSeedLocustfile();
        Path locust = onPath("locust");
        if (locustfile == null || locust == null) {
            String why = locust == null ? "locust is not installed (apt-get install python3-locust)"
                    : "../shared/seed/locustfile.py was not found beside the repository";
            System.err.println("SKIPPED SeedLocustfileTest: " + why);
            Assumptions.abort(why);
        }
        try (TestApi api = TestApi.start(8, Duration.ofMillis(2), 64)) {
            api.post("/_admin/stats/reset", "", null);
            ProcessBuilder pb = new ProcessBuilder(locust.toString(), "-f", locustfile.toString(), "--headless",
                    "-u", "20", "-r", "20", "-t", "6s", "-H", api.instance.url() + "/", "--only-summary",
                    "--exit-code-on-error", "1")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("locust.log").toFile());
            pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            pb.environment().remove("MARKET_EMAIL");
            pb.environment().remove("MARKET_PASSWORD");
            Process p = pb.start();
            boolean done = p.waitFor(90, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String log = Files.readString(dir.resolve("locust.log"));
            assertThat(done).as("locust finished; log:%n%s", log).isTrue();
            assertThat(p.exitValue()).as("locust exit code; log:%n%s", log).isZero();

            // Locust's final console summary: "Aggregated  <requests>  <failures>(<pct>%) | ...". (Its CSV
            // is written before the last requests are counted, so the console is the number to compare.)
            Matcher m = Pattern.compile("^\\s+Aggregated\\s+(\\d+)\\s+(\\d+)\\(", Pattern.MULTILINE).matcher(log);
            assertThat(m.find()).as("summary line in the log:%n%s", log).isTrue();
            long requests = Long.parseLong(m.group(1));
            long failures = Long.parseLong(m.group(2));
            assertThat(failures).as("failures; log:%n%s", log).isZero();
            assertThat(requests).isGreaterThan(50);
            // Locust drops the requests its users were in the middle of when the run ends (at most
            // one per user), which the API did serve.
            assertThat(api.get("/_admin/stats", null).json().get("requests_total").asLong()).isBetween(requests, requests + 20);
        }
    }

    private static Path findSeedLocustfile() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/seed/locustfile.py");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static Path onPath(String tool) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(entry, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}

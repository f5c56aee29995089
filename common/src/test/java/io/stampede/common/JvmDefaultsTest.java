package io.stampede.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** ./stampede and the bench start each part with the same JVM flags: the launcher's list is this class's. */
class JvmDefaultsTest {
    @Test
    void theLauncherPassesTheSameFlagsAsTheBench() throws Exception {
        String launcher = Files.readString(Path.of("..", "stampede"));
        Matcher proxy = Pattern.compile("\\n\\s*proxy\\) defaults=\"([^\"]*)\"").matcher(launcher);
        assertThat(proxy.find()).as("the launcher's proxy defaults").isTrue();
        assertThat(proxy.group(1)).isEqualTo(String.join(" ", JvmDefaults.forPart("proxy")));
        assertThat(launcher).contains("*) defaults=\"\"");
        for (String part : new String[] {"api", "swarm", "bench"}) {
            assertThat(JvmDefaults.forPart(part)).as(part).isEmpty();
        }
        // The user's flags come after the defaults, so they win.
        assertThat(launcher).contains("$defaults ${STAMPEDE_JAVA_OPTS:-}");
    }
}

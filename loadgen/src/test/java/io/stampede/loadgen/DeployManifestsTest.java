package io.stampede.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.Cli;
import io.stampede.loadgen.scenario.ScenarioLoader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * deploy/kubernetes/: every manifest parses, every stampede container's arguments are a command
 * line the swarm accepts (only flags that exist, values it takes), the Indexed Job's segment count
 * is its completion count, and each ConfigMap's scenario loads, naming the classes its stub names.
 */
class DeployManifestsTest {
    private static final Path DIR = Path.of("../deploy/kubernetes");

    @Test
    @SuppressWarnings("unchecked")
    void theManifestsRunOnlyCommandLinesTheSwarmAccepts() throws Exception {
        List<Path> files;
        try (var s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(2);
        int containers = 0;
        for (Path f : files) {
            List<Map<String, Object>> docs = new ArrayList<>();
            new Yaml().loadAll(Files.readString(f)).forEach(d -> docs.add((Map<String, Object>) d));
            for (Map<String, Object> doc : docs) {
                assertThat(doc).as("%s: a Kubernetes object", f).containsKeys("apiVersion", "kind", "metadata");
                Map<String, Object> spec = (Map<String, Object>) doc.get("spec");
                if ("ConfigMap".equals(doc.get("kind"))) {
                    configMap(f, (Map<String, String>) doc.get("data"));
                    continue;
                }
                if (spec == null || !spec.containsKey("template")) {
                    continue;
                }
                Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) spec.get("template")).get("spec");
                for (Map<String, Object> c : (List<Map<String, Object>>) pod.get("containers")) {
                    if (!String.valueOf(c.get("image")).startsWith("stampede:")) {
                        continue;
                    }
                    containers++;
                    List<String> args = new ArrayList<>();
                    ((List<Object>) c.get("args")).forEach(a -> args.add(String.valueOf(a)));
                    assertThat(args.get(0)).as("%s: the subcommand", f).isEqualTo("swarm");
                    String line = String.join(" ", args);
                    Matcher segment = Pattern.compile("--segment \\$\\(JOB_COMPLETION_INDEX\\)/(\\d+)").matcher(line);
                    if (segment.find()) {
                        assertThat(spec.get("completionMode")).isEqualTo("Indexed");
                        assertThat(spec.get("completions")).as("%s: completions = the segment count", f)
                                .isEqualTo(Integer.parseInt(segment.group(1)));
                    }
                    // Kubernetes puts the pod's index in; picocli must take the rest as it is.
                    List<String> swarmArgs = args.subList(1, args.size()).stream().map(a -> a.replace("$(JOB_COMPLETION_INDEX)", "0")).toList();
                    CommandLine cmd = Cli.configure(new CommandLine(new SwarmCommand()));
                    cmd.parseArgs(swarmArgs.toArray(String[]::new)); // throws on a flag that does not exist or a bad value
                }
            }
        }
        assertThat(containers).isGreaterThanOrEqualTo(2);
    }

    private static void configMap(Path f, Map<String, String> data) throws Exception {
        String scenario = data.get("scenario.yaml");
        if (scenario == null) {
            return;
        }
        var loaded = ScenarioLoader.parse(f + " scenario.yaml", new StringReader(scenario), Map.of(), Path.of("."));
        String stub = data.get("locustfile.py");
        if (stub != null) {
            Matcher m = Pattern.compile("class (\\w+)\\(HttpUser\\)").matcher(stub);
            List<String> classes = new ArrayList<>();
            while (m.find()) {
                classes.add(m.group(1));
            }
            assertThat(loaded.users().stream().map(u -> u.name()).toList()).as("%s: the scenario's classes are the stub's", f)
                    .containsExactlyElementsOf(classes);
        }
    }
}

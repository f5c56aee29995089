package io.stampede.balancer.config.nginx;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.common.yaml.YamlNode;
import java.nio.file.Path;
import java.util.function.Consumer;

/** An nginx.conf as the native configuration: the tree the loader checks, or the YAML it reads as. */
public final class NginxConfigs {
    private NginxConfigs() {}

    /** The nginx.conf at {@code file} as the loader's tree (errors name the nginx.conf file and line). */
    public static YamlNode tree(Path file, boolean lenient, Consumer<String> notes, ConfigLoader.Keys keys) {
        return YamlNode.of(file.toString(), convert(file, lenient, notes, keys).toNode());
    }

    /** The nginx.conf at {@code file} as YAML text ({@code stampede config convert}). */
    public static String yaml(Path file, boolean lenient, Consumer<String> notes) {
        return "# converted from " + file + " by stampede config convert\n" + convert(file, lenient, notes, ConfigLoader.keys()).toYaml();
    }

    private static YamlTree convert(Path file, boolean lenient, Consumer<String> notes, ConfigLoader.Keys keys) {
        return new NginxToYaml(lenient, notes, keys.top(), keys.server(), keys.location(), keys.upstream())
                .convert(NginxConf.load(file), file.toString());
    }
}

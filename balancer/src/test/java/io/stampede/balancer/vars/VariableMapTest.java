package io.stampede.balancer.vars;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.common.yaml.ConfigException;
import io.stampede.balancer.config.ConfigLoader;
import java.io.StringReader;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** nginx's map: which source value wins, as ngx_http_map_module documents the order. */
class VariableMapTest {
    private static List<Map.Entry<String, String>> lines(String... kv) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (int i = 0; i < kv.length; i += 2) {
            out.add(new AbstractMap.SimpleEntry<>(kv[i], kv[i + 1]));
        }
        return out;
    }

    private static String eval(VariableMap m, String host) {
        return m.evaluate(name -> name.equals("http_host") ? host : name.equals("arg_x") ? "X" : null);
    }

    @Test
    void exactStringsIgnoreCaseThenRegexesInOrderThenDefault() {
        VariableMap m = VariableMap.parse("$http_host $out", lines("Example.COM", "exact", "~^api\\.", "first-re",
                "~*\\.COM$", "caseless-re", "~\\.com$", "later-re", "default", "dflt"));
        assertThat(eval(m, "example.com")).isEqualTo("exact");
        assertThat(eval(m, "EXAMPLE.com")).isEqualTo("exact");
        assertThat(eval(m, "api.example.com")).isEqualTo("first-re");
        assertThat(eval(m, "www.example.com")).isEqualTo("caseless-re");
        assertThat(eval(m, "www.example.org")).isEqualTo("dflt");
    }

    @Test
    void theEmptyValueAndNoDefault() {
        VariableMap m = VariableMap.parse("$http_host $connection_upgrade", lines("''", "close"));
        assertThat(eval(m, "")).isEqualTo("close");
        assertThat(eval(m, null)).isEqualTo("close");
        assertThat(eval(m, "websocket")).isEmpty();
    }

    @Test
    void hostnamesMasksLongestFirstExactBeforeMasks() {
        VariableMap m = VariableMap.parse("$http_host $site", lines("hostnames", "", "*.example.com", "star",
                ".shop.example.com", "shop", "www.example.com", "exact", "mail.*", "mail", "default", "none"));
        assertThat(eval(m, "www.example.com")).isEqualTo("exact");
        assertThat(eval(m, "a.example.com")).isEqualTo("star");
        assertThat(eval(m, "a.shop.example.com")).isEqualTo("shop");
        assertThat(eval(m, "shop.example.com")).isEqualTo("shop");  // the leading-dot form covers the name itself
        assertThat(eval(m, "example.com")).isEqualTo("none");       // "*." does not
        assertThat(eval(m, "mail.example.org")).isEqualTo("mail");
        assertThat(eval(m, "www.example.com.")).isEqualTo("exact");  // a trailing dot is dropped first
    }

    @Test
    void resultsMayHoldVariables() {
        VariableMap m = VariableMap.parse("$http_host $k", lines("default", "h-$arg_x"));
        assertThat(eval(m, "a")).isEqualTo("h-X");
    }

    @Test
    void badMapsAreRefusedByName() {
        assertThatThrownBy(() -> VariableMap.parse("$http_host", lines())).hasMessageContaining("expected SOURCE $NAME");
        assertThatThrownBy(() -> VariableMap.parse("$http_host $host", lines())).hasMessageContaining("built-in");
        assertThatThrownBy(() -> VariableMap.parse("$http_host $x", lines("~(", "a"))).hasMessageContaining("not a regular expression");
        assertThatThrownBy(() -> VariableMap.parse("$http_host $x", lines("a", "1", "A", "2"))).hasMessageContaining("duplicate");
        assertThatThrownBy(() -> VariableMap.parse("$http_host $x", lines("~(a)", "$1"))).hasMessageContaining("unknown variable '$1'");
    }

    @Test
    void theConfigurationNamesMapsAndRefusesLoops() {
        String base = "locations:\n  /:\n    proxy_pass: http://127.0.0.1:1\n    proxy_set_header: {X-A: $a}\n";
        var ok = ConfigLoader.parse("m.yaml", new StringReader("map:\n  \"$b $a\":\n    default: x\n  \"$http_host $b\":\n    default: y\n" + base));
        assertThat(ok.maps()).containsOnlyKeys("a", "b");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yaml", new StringReader(base)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown variable '$a'");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yaml", new StringReader(
                "map:\n  \"$b $a\":\n    default: x\n  \"$a $b\":\n    default: y\n" + base)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("m.yaml:").hasMessageContaining("reads itself");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yaml", new StringReader("map:\n  \"$http_host $a\": close\n" + base)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("m.yaml:2");
    }
}

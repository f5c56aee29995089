package io.stampede.balancer.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * nginx's rule for header names a proxy passes on: letters, digits and {@code -}, and {@code _}
 * only with {@code underscores_in_headers on}. With {@code ignore_invalid_headers on} (the
 * default) other names are dropped before anything sees them. Underscores matter because many
 * frameworks read {@code X-Real-IP} and {@code X_Real_IP} as the same variable: forwarding the
 * client's {@code X_Real_IP} beside the proxy's own {@code X-Real-IP} lets the client choose.
 */
final class HeaderNames {
    private HeaderNames() {}

    static void dropInvalid(HttpHeaders headers, boolean underscores, boolean ignoreInvalid) {
        if (!ignoreInvalid) {
            return;
        }
        List<CharSequence> invalid = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (!valid(name, underscores)) {
                if (invalid == null) {
                    invalid = new ArrayList<>(2);
                }
                invalid.add(name);
            }
        }
        if (invalid != null) {
            invalid.forEach(headers::remove);
        }
    }

    static boolean valid(CharSequence name, boolean underscores) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || (c == '_' && underscores);
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}

package io.stampede.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where nginx is installed, if it is (Debian puts it in /usr/sbin, outside most users' PATH). */
final class Nginx {
    private Nginx() {}

    static Optional<String> binary() {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin:/usr/local/nginx/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, "nginx");
                if (Files.isExecutable(p)) {
                    return Optional.of(p.toString());
                }
            }
        }
        return Optional.empty();
    }
}

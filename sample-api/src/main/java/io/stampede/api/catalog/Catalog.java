package io.stampede.api.catalog;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The in-memory database behind the Market API: products (ids from 1, append-only) and their
 * comments. Instances started together in one process share one catalog, as instances behind a
 * balancer share one database. Reads and writes are a few microseconds under the lock; the
 * simulated database time is charged by the worker pool, not here.
 */
public final class Catalog {
    private static final String[] ADJECTIVES = {"Sturdy", "Compact", "Vintage", "Wireless", "Organic",
        "Handmade", "Portable", "Classic", "Smart", "Deluxe", "Rustic", "Modern"};
    private static final String[] NOUNS = {"Kettle", "Backpack", "Lamp", "Headphones", "Notebook",
        "Teapot", "Chair", "Blender", "Umbrella", "Watch", "Skillet", "Speaker", "Bicycle Bell"};
    private static final String[] REMARKS = {"Works as described.", "Arrived quickly.",
        "Better than expected.", "Would buy again.", "Packaging could be better.", "Great value."};

    private final Clock clock;
    private final List<Product> products = new ArrayList<>();
    private final List<Comment> comments = new ArrayList<>();

    public Catalog(int seedProducts, int commentsPerProduct, Random random, Clock clock) {
        this.clock = clock;
        Instant start = clock.instant().truncatedTo(ChronoUnit.SECONDS).minusSeconds(86_400L * 30);
        for (int i = 1; i <= seedProducts; i++) {
            String name = ADJECTIVES[random.nextInt(ADJECTIVES.length)] + " " + NOUNS[random.nextInt(NOUNS.length)];
            BigDecimal price = BigDecimal.valueOf(100 + random.nextInt(99_900), 2);
            Instant created = start.plusSeconds(i * 600L);
            products.add(Product.of(i, name, "A " + name.toLowerCase() + " from the Market API seed data.",
                    price, created));
            for (int c = 0; c < commentsPerProduct; c++) {
                comments.add(new Comment(comments.size() + 1L, i,
                        "user" + (1 + random.nextInt(1000)) + "@market.test",
                        REMARKS[random.nextInt(REMARKS.length)], created.plusSeconds(60L * (c + 1)).toString()));
            }
        }
    }

    public synchronized Optional<Product> product(long id) {
        return id >= 1 && id <= products.size() ? Optional.of(products.get((int) (id - 1))) : Optional.empty();
    }

    public synchronized Product addProduct(String name, String description, BigDecimal price) {
        Product p = Product.of(products.size() + 1L, name, description, price, clock.instant());
        products.add(p);
        return p;
    }

    /** @return empty when the page number is past the end (DRF answers "Invalid page.") */
    public synchronized Optional<Page<Product>> products(int page, int pageSize) {
        return slice(products, page, pageSize);
    }

    public synchronized Optional<Page<Comment>> comments(int page, int pageSize) {
        return slice(comments, page, pageSize);
    }

    private static <T> Optional<Page<T>> slice(List<T> all, int page, int pageSize) {
        int count = all.size();
        long from = (long) (page - 1) * pageSize;
        if (page < 1 || (from >= count && page != 1)) {
            return Optional.empty();
        }
        int to = (int) Math.min(count, from + pageSize);
        return Optional.of(new Page<>(count, page, pageSize, List.copyOf(all.subList((int) from, to))));
    }
}

package io.stampede.loadgen.scenario;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rows of a CSV file (a header line names the columns) handed out to users in turn: the first
 * user gets row 1, the next row 2, wrapping around. A user reads its row as {@code ${feed.column}}.
 */
public final class DataFeed {
    private final String name;
    private final List<Map<String, String>> rows;
    private final AtomicLong next = new AtomicLong();

    public DataFeed(String name, List<Map<String, String>> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("feed " + name + " has no rows");
        }
        this.name = name;
        this.rows = List.copyOf(rows);
    }

    public String name() {
        return name;
    }

    public Map<String, String> nextRow() {
        return rows.get((int) (next.getAndIncrement() % rows.size()));
    }

    public java.util.Set<String> columns() {
        return rows.get(0).keySet();
    }

    public int size() {
        return rows.size();
    }
}

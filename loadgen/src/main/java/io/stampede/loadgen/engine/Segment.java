package io.stampede.loadgen.engine;

/**
 * One share of a load split over processes or pods ({@code --segment}, {@code --processes}):
 * users spread as evenly as they go (the first {@code users mod count} segments take one more),
 * the spawn rate divided, and the open model's arrivals striped (every count-th from the index-th),
 * so the segments together are the whole load exactly.
 */
public record Segment(int index, int count) {
    public static final Segment WHOLE = new Segment(0, 1);

    public Segment {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("segment " + index + "/" + count + " (expected INDEX/COUNT with 0 <= INDEX < COUNT)");
        }
    }

    public boolean whole() {
        return count == 1;
    }

    /** This segment's users of {@code users} (0 when there are fewer users than segments and this is past them). */
    public int users(int users) {
        return users / count + (index < users % count ? 1 : 0);
    }

    public double spawnRate(double rate) {
        return rate / count;
    }

    /** This segment's arrivals of {@code pacer}, or null for null (the closed model). */
    public Pacer arrivals(Pacer pacer) {
        return pacer == null || whole() ? pacer : pacer.segment(index, count);
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}

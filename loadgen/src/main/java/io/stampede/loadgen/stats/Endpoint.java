package io.stampede.loadgen.stats;

/** What statistics are grouped by, as in Locust: the method and the request's name. */
public record Endpoint(String method, String name) implements Comparable<Endpoint> {
    /** The total row's key: empty method, name "Aggregated". */
    public static final Endpoint AGGREGATED = new Endpoint("", "Aggregated");

    @Override
    public int compareTo(Endpoint o) {
        int c = name.compareTo(o.name);
        return c != 0 ? c : method.compareTo(o.method);
    }

    @Override
    public String toString() {
        return method.isEmpty() ? name : method + " " + name;
    }
}

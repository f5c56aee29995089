package io.stampede.bench;

/** Locust history rows for the report tests. */
final class BenchHtmlTestData {
    static final String HEADER = io.stampede.loadgen.report.CsvFiles.HISTORY_HEADER + "\n";

    private BenchHtmlTestData() {}

    /** An Aggregated history row: req/s, failures/s, p50, p95 and the total count so far. */
    static String row(double rps, double fps, Object p50, Object p95, long total) {
        return "100,10,,Aggregated," + rps + "," + fps + "," + p50 + ",1,1,1,1," + p95 + ",1,1,1,1,1," + total + ",0,1,1,1,1,800\n";
    }
}

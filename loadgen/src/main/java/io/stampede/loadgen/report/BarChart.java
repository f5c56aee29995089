package io.stampede.loadgen.report;

import java.util.List;
import java.util.Locale;

/**
 * Horizontal bar charts as inline SVG, for reports that compare a handful of runs (the bench's
 * rows, {@code stampede report}'s before and after): one group of bars per row, or one bar per
 * row split into parts. Drawn when the page is written, so they need no script; every bar carries
 * its value as text beside it and as a tooltip ({@code <title>}) on hover.
 */
public final class BarChart {
    /** A row of the chart: its label, a tag shown after it (e.g. "direct"), and whether to set it apart. */
    public record Row(String label, String tag, boolean marked) {}

    /** A series: its name in the legend and its colour. */
    public record Series(String name, String color) {}

    private static final int LABEL = 190;
    private static final int PLOT = 560;
    private static final int VALUE = 90;
    private static final int BAR = 14;
    private static final int GAP = 10;

    private BarChart() {}

    /**
     * One bar per series for each row, lengths to one scale from zero.
     *
     * @param values values[row][series]; NaN draws no bar and says "n/a"
     * @param colorPerRow colours by row instead of by series (one series); null for by series
     */
    public static String grouped(String title, String unit, List<Row> rows, List<Series> series, double[][] values,
                                 List<String> colorPerRow) {
        double max = 0;
        for (double[] r : values) {
            for (double v : r) {
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        double scale = max > 0 ? PLOT / (max * 1.05) : 0;
        int groupHeight = series.size() * BAR + GAP;
        int legend = series.size() > 1 ? 22 : 0;
        int height = 28 + legend + rows.size() * groupHeight + 4;
        StringBuilder s = open(title, height);
        if (legend > 0) {
            legend(s, series, 28);
        }
        int y = 28 + legend;
        for (int r = 0; r < rows.size(); r++) {
            rowLabel(s, rows.get(r), y + groupHeight / 2 - GAP / 2);
            for (int k = 0; k < series.size(); k++) {
                double v = values[r][k];
                int top = y + k * BAR;
                String color = colorPerRow != null ? colorPerRow.get(r) : series.get(k).color();
                String tip = rows.get(r).label() + (series.size() > 1 ? " " + series.get(k).name() : "") + ": " + format(v, unit);
                if (!Double.isNaN(v)) {
                    double w = v > 0 ? Math.max(1, v * scale) : 0; // a negative value draws nothing
                    s.append(String.format(Locale.ROOT, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">",
                            LABEL, top + 1, w, BAR - 2, color)).append("<title>").append(HtmlReport.esc(tip)).append("</title></rect>");
                    text(s, LABEL + w + 4, top + BAR - 3, format(v, unit), "start", "value");
                } else {
                    text(s, LABEL + 4, top + BAR - 3, "n/a", "start", "value");
                }
            }
            y += groupHeight;
        }
        return s.append("</svg>\n").toString();
    }

    /**
     * One bar per row split into parts (each row's fractions should add up to one), the parts in
     * the same order and colour on every row.
     *
     * @param fractions fractions[row][part], 0..1
     */
    public static String stacked(String title, List<Row> rows, List<Series> parts, double[][] fractions) {
        int legend = 22;
        int height = 28 + legend + rows.size() * (BAR + GAP) + 4;
        StringBuilder s = open(title, height);
        legend(s, parts, 28);
        int y = 28 + legend;
        for (int r = 0; r < rows.size(); r++) {
            rowLabel(s, rows.get(r), y + BAR / 2);
            double x = LABEL;
            for (int k = 0; k < parts.size(); k++) {
                double f = k < fractions[r].length ? fractions[r][k] : 0;
                if (f <= 0 || Double.isNaN(f)) {
                    continue;
                }
                double w = f * PLOT;
                String pct = String.format(Locale.ROOT, "%.1f%%", f * 100);
                s.append(String.format(Locale.ROOT, "<rect class=\"bar\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">",
                        x, y + 1, w, BAR - 2, parts.get(k).color())).append("<title>")
                        .append(HtmlReport.esc(rows.get(r).label() + " " + parts.get(k).name() + ": " + pct)).append("</title></rect>");
                if (w > 44) {
                    text(s, x + w / 2, y + BAR - 3, pct, "middle", "inside");
                }
                x += w;
            }
            y += BAR + GAP;
        }
        return s.append("</svg>\n").toString();
    }

    /** A value with its unit, as the charts print it: whole numbers from 100 up, else two decimals. */
    public static String format(double v, String unit) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        String n = Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
        return n + unit;
    }

    private static StringBuilder open(String title, int height) {
        int width = LABEL + PLOT + VALUE;
        StringBuilder s = new StringBuilder(4096);
        s.append(String.format(Locale.ROOT, "<svg class=\"barchart\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">", width, height, width, height, HtmlReport.esc(title)));
        s.append("<style>text{font:12px system-ui,sans-serif;fill:#222}.title{font-weight:bold;font-size:14px}"
                + ".value{fill:#444}.inside{fill:#fff;font-size:11px}.marked{font-weight:bold}.bar:hover{opacity:.75}</style>");
        text(s, 0, 16, title, "start", "title");
        // The zero line the bars grow from.
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"24\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", LABEL, LABEL, height - 2));
        return s;
    }

    private static void legend(StringBuilder s, List<Series> series, int top) {
        int x = LABEL;
        for (Series k : series) {
            if (x + 28 + 7 * k.name().length() > LABEL + PLOT + VALUE) {
                text(s, x, top + 12, "…", "start", "legend"); // more parts than fit: each bar's tooltip names them
                break;
            }
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, top + 2, k.color()));
            text(s, x + 16, top + 12, k.name(), "start", "legend");
            x += 28 + 7 * k.name().length();
        }
    }

    private static void rowLabel(StringBuilder s, Row row, int middle) {
        String label = row.tag() == null || row.tag().isEmpty() ? row.label() : row.label() + " (" + row.tag() + ")";
        text(s, LABEL - 6, middle + 4, label, "end", row.marked() ? "marked" : "label");
    }

    private static void text(StringBuilder s, double x, double y, String text, String anchor, String cls) {
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">", x, y, anchor, cls))
                .append(HtmlReport.esc(text)).append("</text>");
    }
}

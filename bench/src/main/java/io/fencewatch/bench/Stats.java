package io.fencewatch.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Percentiles by the nearest-rank method: p-th percentile = the ceil(p/100 · n)-th smallest value. */
final class Stats {
    private Stats() {
    }

    /** n, p50, p99 and max of a sample, in its unit; NaN figures when the sample is empty. */
    record Summary(int n, double p50, double p99, double max) {
    }

    static Summary summary(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return new Summary(sorted.size(), percentile(sorted, 50), percentile(sorted, 99),
                sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1));
    }

    /** Nearest-rank percentile of an ascending list. */
    static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        if (p <= 0) {
            return sorted.get(0);
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(rank, sorted.size()) - 1));
    }

    /** Largest over smallest repetition beyond which a figure is flagged: the machine, not the code, moved it. */
    static final double WIDE_SPREAD = 1.5;

    /** The median of repetitions with their range; {@link #note()} says when the range is wide. */
    record Spread(double median, double min, double max, int n) {
        boolean wide() {
            return n > 1 && min > 0 && max / min > WIDE_SPREAD;
        }

        /** Empty, or " (wide spread: min-max over n)" when the repetitions disagree by more than {@link #WIDE_SPREAD}x. */
        String note() {
            return wide() ? " (wide spread: " + BenchMain.Figures.fmt(min) + "-" + BenchMain.Figures.fmt(max) + " over " + n + ")"
                    : "";
        }
    }

    static Spread spread(List<Double> values) {
        List<Double> finite = values.stream().filter(v -> !v.isNaN()).toList();
        if (finite.isEmpty()) {
            return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
        }
        return new Spread(median(finite), Collections.min(finite), Collections.max(finite), finite.size());
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}

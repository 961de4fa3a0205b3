package io.fencewatch.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class BenchMainTest {

    @Test
    void shouldRunFullByDefaultWritingDocsBenchmarks() {
        BenchMain.Options o = BenchMain.parse(new String[0]);
        assertThat(o.quick()).isFalse();
        assertThat(o.doc()).isEqualTo(Path.of("docs", "benchmarks.md"));
        assertThat(o.runs("scale")).isTrue();
    }

    @Test
    void shouldParseQuickDocAndOnly() {
        BenchMain.Options o = BenchMain.parse(new String[] {"--quick", "--doc=/tmp/x.md", "--only=latency,query"});
        assertThat(o.quick()).isTrue();
        assertThat(o.doc()).isEqualTo(Path.of("/tmp/x.md"));
        assertThat(o.only()).isEqualTo(Set.of("latency", "query"));
        assertThat(o.runs("latency")).isTrue();
        assertThat(o.runs("throughput")).isFalse();
        assertThat(BenchMain.parse(new String[] {"--doc="}).doc()).isNull();
    }

    @Test
    void shouldKnowTheOciSectionBesideTheOthers() {
        assertThat(BenchMain.SECTIONS).containsSubsequence("latency", "throughput", "sync", "query", "polling", "scale",
                "audit", "real", "oci");
        BenchMain.Options o = BenchMain.parse(new String[] {"--quick", "--only=oci"});
        assertThat(o.runs("oci")).isTrue();
        assertThat(o.runs("sync")).isFalse();
        assertThat(BenchMain.parse(new String[0]).runs("oci")).isTrue();
    }

    @Test
    void shouldKnowThePodChurnSectionLast() {
        assertThat(BenchMain.SECTIONS).endsWith("cluster-policy", "pod-churn");
        BenchMain.Options o = BenchMain.parse(new String[] {"--quick", "--only=pod-churn"});
        assertThat(o.runs("pod-churn")).isTrue();
        assertThat(o.runs("cluster-policy")).isFalse();
    }

    @Test
    void shouldCountFewerEventsForShapesThanForPodsWhenADeploymentRollsAndPodsCrashLoop() {
        PodChurnBenchmark.Counts delayed = PodChurnBenchmark.churn(java.time.Duration.ofSeconds(1));
        PodChurnBenchmark.Counts immediate = PodChurnBenchmark.churn(java.time.Duration.ZERO);
        // Per pod: 6 rolls x 200 pods x (add, update, delete) + 50 pods x 29 status updates.
        assertThat(delayed.perPod()).isEqualTo(6 * 200 * 3 + 50 * 29);
        assertThat(immediate.perPod()).isEqualTo(delayed.perPod());
        // No delay: a count per pod created or deleted; the crash loop never moves one.
        assertThat(immediate.shapes()).isEqualTo(6 * 200 * 2);
        assertThat(delayed.shapes()).isPositive().isLessThan(immediate.shapes() / 10);
    }

    @Test
    void shouldKnowTheClusterPolicySection() {
        assertThat(BenchMain.SECTIONS).contains("cluster-policy");
        BenchMain.Options o = BenchMain.parse(new String[] {"--only=cluster-policy"});
        assertThat(o.runs("cluster-policy")).isTrue();
        assertThat(o.runs("oci")).isFalse();
    }

    @Test
    void shouldReturnNullForHelp() {
        assertThat(BenchMain.parse(new String[] {"--quick", "--help"})).isNull();
        assertThat(BenchMain.parse(new String[] {"-h"})).isNull();
    }

    @Test
    void shouldRejectAnUnknownFlagInOneLineNamingIt() {
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--fast"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--fast: unknown flag")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--only=latency,nope"}))
                .hasMessageStartingWith("--only: 'nope' is not a section");
    }

    @Test
    void shouldTakeNearestRankPercentiles() {
        List<Double> hundred = new java.util.ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            hundred.add((double) i);
        }
        assertThat(Stats.percentile(hundred, 50)).isEqualTo(50.0);
        assertThat(Stats.percentile(hundred, 99)).isEqualTo(99.0);
        assertThat(Stats.percentile(hundred, 100)).isEqualTo(100.0);
        assertThat(Stats.percentile(List.of(7.0), 99)).isEqualTo(7.0);
        assertThat(Stats.percentile(List.of(), 50)).isNaN();
        Stats.Summary s = Stats.summary(List.of(3.0, 1.0, 2.0));
        assertThat(s.n()).isEqualTo(3);
        assertThat(s.p50()).isEqualTo(2.0);
        assertThat(s.p99()).isEqualTo(3.0);
        assertThat(s.max()).isEqualTo(3.0);
        assertThat(Stats.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
    }

    @Test
    void shouldFlagARepeatedFigureWhoseRepetitionsDisagreeByMoreThanHalf() {
        Stats.Spread narrow = Stats.spread(List.of(100.0, 140.0, 120.0));
        assertThat(narrow.median()).isEqualTo(120.0);
        assertThat(narrow.wide()).isFalse();
        assertThat(narrow.note()).isEmpty();
        Stats.Spread wide = Stats.spread(List.of(8590.0, 17261.0, 15010.0));
        assertThat(wide.median()).isEqualTo(15010.0);
        assertThat(wide.wide()).isTrue();
        assertThat(wide.note()).isEqualTo(" (wide spread: 8590-17261 over 3)");
        assertThat(Stats.spread(List.of(5.0)).wide()).isFalse();
        assertThat(Stats.spread(List.of(Double.NaN, 2.0, 4.0)).n()).isEqualTo(2);
        assertThat(Stats.spread(List.of()).median()).isNaN();
    }

    @Test
    void shouldLeaveOutEachLatencyRunsFirstTwoSecondsOfWrites() {
        assertThat(DriftLatencyBenchmark.warmupWrites(100, 400)).isEqualTo(200);
        assertThat(DriftLatencyBenchmark.warmupWrites(10, 300)).isEqualTo(30);
        assertThat(DriftLatencyBenchmark.warmupWrites(1000, 5000)).isEqualTo(2000);
        assertThat(DriftLatencyBenchmark.warmupWrites(100, 5000)).isEqualTo(500);
    }

    @Test
    void shouldJudgeTargets() {
        assertThat(BenchMain.atMost(250, 250)).isEqualTo("yes");
        assertThat(BenchMain.atMost(251, 250)).isEqualTo("NO");
        assertThat(BenchMain.atLeast(0.69, 0.7)).isEqualTo("NO");
        assertThat(BenchMain.atLeast(Double.NaN, 0.7)).isEqualTo("n/a");
    }
}

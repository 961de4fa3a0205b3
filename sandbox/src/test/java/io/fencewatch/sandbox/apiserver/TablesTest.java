package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

class TablesTest {

  @ParameterizedTest(name = "{0}s -> {1}")
  @CsvSource({
      "0, 0s", "119, 119s", "120, 2m", "150, 2m30s", "600, 10m", "10799, 179m", "10800, 3h", "11100, 3h5m",
      "28800, 8h", "172800, 2d", "180000, 2d2h", "691200, 8d", "63072000, 2y", "63158400, 2y1d"})
  void shouldPrintAgeAsKubectlWhenDurationGrows(long seconds, String expected) {
    assertThat(Tables.humanDuration(Duration.ofSeconds(seconds))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{}|<none>",
      "{'matchLabels':{'b':'2','a':'1'}}|a=1,b=2",
      "{'matchExpressions':[{'key':'tier','operator':'In','values':['web','api']},{'key':'x','operator':'DoesNotExist'}],"
          + "'matchLabels':{'app':'shop'}}|app=shop,tier in (api,web),!x"})
  void shouldFormatPodSelectorAsKubectlWhenSelectorVaries(String selector, String expected) {
    JsonNode node = Serialization.jsonMapper().readTree(selector.replace('\'', '"'));

    assertThat(Tables.selector(node)).isEqualTo(expected);
  }
}

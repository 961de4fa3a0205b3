package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/** Runs the real kubectl against a kubeconfig, in a private HOME and cache directory. */
final class Kubectl {

  /** What one kubectl run printed and returned. */
  record Result(int exitCode, String out, String err) {
    Result assertSucceeded() {
      assertThat(exitCode).as("kubectl failed: %s", err).isZero();
      assertThat(err).as("kubectl warned").doesNotContainIgnoringCase("warning");
      return this;
    }
  }

  private final Path kubeconfig;
  private final Path home;
  private final AtomicInteger runs = new AtomicInteger();

  Kubectl(Path kubeconfig, Path home) {
    this.kubeconfig = kubeconfig;
    this.home = home;
  }

  /** Skips the calling test, with the reason, when kubectl is not installed. */
  static void assumeInstalled() {
    Assumptions.assumeTrue(onPath(), "kubectl is not on PATH: skipping the tests that drive the simulated API server"
        + " with the real kubectl");
  }

  static boolean onPath() {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
        return true;
      }
    }
    return false;
  }

  /** Writes {@code yaml} to a file in HOME and returns its path. */
  Path manifest(String name, String yaml) {
    try {
      return Files.writeString(home.resolve(name), yaml, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Result run(String... args) {
    List<String> command = new ArrayList<>();
    command.add("kubectl");
    command.addAll(List.of(args));
    int n = runs.incrementAndGet();
    Path out = home.resolve("kubectl-" + n + ".out");
    Path err = home.resolve("kubectl-" + n + ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().put("HOME", home.toString());
    pb.environment().put("KUBECACHEDIR", home.resolve("cache").toString());
    try {
      Process p = pb.start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish within 60s");
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}

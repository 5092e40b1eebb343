package io.sagaflow.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Deterministic key stream (fixed seed) so that every run of a scenario produces the same data. */
final class KeySequence {
  private final SplittableRandom random = new SplittableRandom(0x5A6AF10L);
  private final int keyCount;
  private final double[] zipfCdf;

  KeySequence(Scenario.KeyDistribution distribution, int keyCount) {
    this.keyCount = keyCount;
    this.zipfCdf = distribution == Scenario.KeyDistribution.ZIPF ? zipfCdf(keyCount, 1.0) : null;
  }

  String next() {
    int rank;
    if (zipfCdf == null) {
      rank = random.nextInt(keyCount);
    } else {
      int i = Arrays.binarySearch(zipfCdf, random.nextDouble());
      rank = Math.min(i >= 0 ? i : -i - 1, keyCount - 1);
    }
    return "key-" + rank;
  }

  private static double[] zipfCdf(int n, double exponent) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int k = 1; k <= n; k++) {
      sum += 1.0 / Math.pow(k, exponent);
      cdf[k - 1] = sum;
    }
    for (int i = 0; i < n; i++) {
      cdf[i] /= sum;
    }
    return cdf;
  }
}

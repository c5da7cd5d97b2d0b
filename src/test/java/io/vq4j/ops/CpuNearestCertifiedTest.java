package io.vq4j.ops;

import io.vq4j.TestData;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The CPU nearestCode's fast path (approximate FMA scores, a certificate, an exact re-rank) must
 * give exactly the answer of the direct form evaluated for every code: the same index (lowest on
 * ties) and the same distance bits. The brute force below is that definition, written here.
 * Near-duplicate codebooks and vectors midway between codes make the certificate keep several
 * candidates; huge and tiny magnitudes take the overflow fallback and the subnormal slack.
 */
class CpuNearestCertifiedTest {
    private final Ops ops = new CpuOps();

    /** Index and distance of the direct form's minimum: fp32, c ascending, no FMA, strict '<'. */
    private static void bruteForce(float[] z, float[] e, int n, int d, int k, int[] idx, float[] dist) {
        for (int i = 0; i < n; i++) {
            float best = Float.POSITIVE_INFINITY;
            int bj = 0;
            for (int j = 0; j < k; j++) {
                float a = 0;
                for (int c = 0; c < d; c++) {
                    float u = z[i * d + c] - e[j * d + c];
                    a += u * u;
                }
                if (a < best) { best = a; bj = j; }
            }
            idx[i] = bj;
            dist[i] = best;
        }
    }

    private void assertSameAsBruteForce(float[] z, float[] e, int n, int d, int k, String what) {
        int[] want = new int[n];
        float[] wantDist = new float[n];
        bruteForce(z, e, n, d, k, want, wantDist);
        try (NearestCode r = ops.nearestCode(Tensor.of(z, n, d), Tensor.of(e, k, d), true)) {
            int[] got = r.indices().toIntArray();
            float[] gotDist = r.distances().toFloatArray();
            for (int i = 0; i < n; i++) {
                int ii = i;
                assertEquals(want[i], got[i], () -> what + ": vector " + ii + " distances brute " + wantDist[ii]
                        + " got " + gotDist[ii]);
                assertEquals(Float.floatToRawIntBits(wantDist[i]), Float.floatToRawIntBits(gotDist[i]),
                        () -> what + ": distance bits of vector " + ii);
            }
        }
    }

    @Test
    void randomCasesMatchTheDirectFormExactly() {
        int[][] shapes = {{1, 1, 1}, {13, 3, 2}, {207, 64, 512}, {13, 13, 207}, {100, 64, 1}, {64, 256, 1000}, {207, 7, 13}};
        for (int[] s : shapes) {
            int n = s[0], d = s[1], k = s[2];
            assertSameAsBruteForce(TestData.gaussian(n + d, n * d, 1.0), TestData.gaussian(k + d, k * d, 1.0), n, d, k,
                    "random N=" + n + " D=" + d + " K=" + k);
        }
    }

    /**
     * Codes in clusters of near-duplicates (a base code plus perturbations of a few ulps, some
     * exactly equal), and vectors on codes, between two near-duplicates, or at a base plus noise
     * smaller than the score's rounding: many codes pass the certificate and only the exact
     * re-rank can tell them apart.
     */
    @Test
    void nearDuplicateCodesTakeTheExactReRank() {
        for (int d : new int[] {1, 4, 13, 64}) {
            int bases = 7, copies = 37, k = bases * copies, n = 333;
            SplittableRandom rnd = new SplittableRandom(d);
            float[] base = TestData.gaussian(40 + d, bases * d, 3.0);
            float[] e = new float[k * d];
            for (int j = 0; j < k; j++) {
                int b = j % bases; // copies interleaved, so clusters cross code tiles
                for (int c = 0; c < d; c++) {
                    float v = base[b * d + c];
                    int ulps = (j / bases) % 5 == 0 ? 0 : rnd.nextInt(-4, 5);
                    for (int u = 0; u < Math.abs(ulps); u++) v = ulps > 0 ? Math.nextUp(v) : Math.nextDown(v);
                    e[j * d + c] = v;
                }
            }
            float[] z = new float[n * d];
            for (int i = 0; i < n; i++) {
                int kind = i % 3, j = rnd.nextInt(k), j2 = (j + bases) % k;
                for (int c = 0; c < d; c++) {
                    float v = switch (kind) {
                        case 0 -> e[j * d + c];                                        // on a code
                        case 1 -> (e[j * d + c] + e[j2 * d + c]) * 0.5f;               // between two copies
                        default -> e[j * d + c] + (float) (rnd.nextGaussian() * 1e-6); // near one
                    };
                    z[i * d + c] = v;
                }
            }
            assertSameAsBruteForce(z, e, n, d, k, "near-duplicates D=" + d);
        }
    }

    /** Magnitudes whose fp32 scores could overflow (the plain scan) and whose terms go subnormal. */
    @Test
    void extremeMagnitudesMatchTheDirectForm() {
        int n = 50, d = 13, k = 207;
        for (double scale : new double[] {1e18, 3e18, 1e-20, 1e-40}) {
            float[] z = TestData.gaussian(5, n * d, scale), e = TestData.gaussian(6, k * d, scale);
            for (int c = 0; c < d; c++) e[100 * d + c] = e[3 * d + c]; // an exact tie: index 3 wins
            System.arraycopy(e, 100 * d, z, 0, d);
            assertSameAsBruteForce(z, e, n, d, k, "scale " + scale);
        }
    }
}

package io.vq4j.cuda.ffm;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The GPU tests' references are themselves checked here, on the CPU: convolution against
 * hand-worked examples and the adjoint identities that define its gradients, batch norm's
 * gradients against central finite differences in double.
 */
class DnnReferenceTest {

    private static ConvolutionDescriptor.Params p(int pad, int stride, int dil) {
        return new ConvolutionDescriptor.Params(pad, pad, stride, stride, dil, dil, CudnnMathType.FMA);
    }

    private static final double[] ONE_TO_NINE = {1, 2, 3, 4, 5, 6, 7, 8, 9};

    @Test
    void convForwardHandWorkedExamples() {
        Dims4 x = new Dims4(1, 1, 3, 3);
        // w = [[1, 0], [0, -1]]: every output is x[i][j] - x[i+1][j+1] = -4
        assertArrayEquals(new double[] {-4, -4, -4, -4},
                DnnReference.convForward(ONE_TO_NINE, x, new double[] {1, 0, 0, -1}, new Dims4(1, 1, 2, 2), p(0, 1, 1)));
        // 1x1 filter of 2, pad 1, stride 2: output (3 + 2 - 1) / 2 + 1 = 3; only the centre reads inside x (2 * 5)
        assertArrayEquals(new double[] {0, 0, 0, 0, 10, 0, 0, 0, 0},
                DnnReference.convForward(ONE_TO_NINE, x, new double[] {2}, new Dims4(1, 1, 1, 1), p(1, 2, 1)));
        // 2x2 ones with dilation 2 read the four corners: 1 + 3 + 7 + 9
        assertArrayEquals(new double[] {20},
                DnnReference.convForward(ONE_TO_NINE, x, new double[] {1, 1, 1, 1}, new Dims4(1, 1, 2, 2), p(0, 1, 2)));
        // channels: x = (ones, twos), w = [[1, 10], [100, 1000]] as 2x2x1x1 -> k0 = 21, k1 = 2100
        double[] y = DnnReference.convForward(new double[] {1, 1, 1, 1, 2, 2, 2, 2}, new Dims4(1, 2, 2, 2),
                new double[] {1, 10, 100, 1000}, new Dims4(2, 2, 1, 1), p(0, 1, 1));
        assertArrayEquals(new double[] {21, 21, 21, 21, 2100, 2100, 2100, 2100}, y);
        assertArrayEquals(new double[] {84, 8400}, DnnReference.biasGrad(y, new Dims4(1, 2, 2, 2)));
    }

    @Test
    void convGradientsAreTheAdjointsOfTheForwardPass() {
        SplittableRandom r = new SplittableRandom(7);
        Object[][] cases = {
                {new Dims4(2, 3, 9, 9), new Dims4(4, 3, 3, 3), p(1, 2, 1)},
                {new Dims4(1, 2, 13, 13), new Dims4(2, 2, 3, 3), p(0, 1, 2)},
                {new Dims4(3, 5, 13, 7), new Dims4(6, 5, 3, 3), p(1, 1, 1)},
                {new Dims4(2, 2, 8, 8), new Dims4(3, 2, 4, 4), p(1, 2, 1)},
        };
        for (Object[] c : cases) {
            Dims4 xd = (Dims4) c[0], wd = (Dims4) c[1];
            ConvolutionDescriptor.Params pp = (ConvolutionDescriptor.Params) c[2];
            Dims4 yd = pp.output(xd, wd);
            double[] x = r.doubles(xd.elements(), -1, 1).toArray();
            double[] w = r.doubles(wd.elements(), -1, 1).toArray();
            double[] dy = r.doubles(yd.elements(), -1, 1).toArray();
            double yDotDy = DnnReference.dot(DnnReference.convForward(x, xd, w, wd, pp), dy);
            // <conv(x, w), dy> = <x, dx(dy, w)> = <w, dw(x, dy)>
            assertEquals(yDotDy, DnnReference.dot(x, DnnReference.convBackwardData(dy, w, xd, wd, pp)), 1e-9, xd + " " + wd);
            assertEquals(yDotDy, DnnReference.dot(w, DnnReference.convBackwardFilter(x, dy, xd, wd, pp)), 1e-9, xd + " " + wd);
        }
    }

    @Test
    void batchNormMatchesItsDefinitionAndGradientsMatchFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(11);
        Dims4 d = new Dims4(3, 2, 2, 3);
        double eps = 1e-5;
        double[] x = r.doubles(d.elements(), -1, 2).toArray();
        double[] scale = {1.5, -0.7}, bias = {0.1, 0.3};
        double[] g = r.doubles(d.elements(), -1, 1).toArray(); // L = <g, y>, so dL/dy = g

        DnnReference.BnTraining t = DnnReference.batchNormTraining(x, d, scale, bias, 0.1,
                new double[] {0.5, -0.5}, new double[] {2, 3}, eps);
        // channel 0 of the output has mean bias[0] and variance scale[0]^2 var/(var+eps)
        double[][] st = DnnReference.channelStats(t.y(), d);
        assertEquals(bias[0], st[0][0], 1e-12);
        assertEquals(bias[1], st[0][1], 1e-12);
        double[][] xs = DnnReference.channelStats(x, d);
        assertEquals(scale[0] * scale[0] * xs[1][0] / (xs[1][0] + eps), st[1][0], 1e-9);
        assertEquals(0.9 * 0.5 + 0.1 * xs[0][0], t.runningMean()[0], 1e-12);
        assertEquals(0.9 * 3 + 0.1 * xs[1][1] * 18 / 17, t.runningVar()[1], 1e-12);

        DnnReference.BnGrads grads = DnnReference.batchNormBackward(x, d, g, scale, eps);
        double h = 1e-6;
        for (int i = 0; i < x.length; i++) {
            double[] xp = x.clone(), xm = x.clone();
            xp[i] += h;
            xm[i] -= h;
            double fd = (loss(xp, d, scale, bias, g, eps) - loss(xm, d, scale, bias, g, eps)) / (2 * h);
            assertEquals(fd, grads.dx()[i], 1e-6, "dx[" + i + "]");
        }
        for (int c = 0; c < 2; c++) {
            double[] sp = scale.clone(), sm = scale.clone(), bp = bias.clone(), bm = bias.clone();
            sp[c] += h;
            sm[c] -= h;
            bp[c] += h;
            bm[c] -= h;
            assertEquals((loss(x, d, sp, bias, g, eps) - loss(x, d, sm, bias, g, eps)) / (2 * h), grads.dScale()[c], 1e-6);
            assertEquals((loss(x, d, scale, bp, g, eps) - loss(x, d, scale, bm, g, eps)) / (2 * h), grads.dBias()[c], 1e-6);
        }
    }

    private static double loss(double[] x, Dims4 d, double[] scale, double[] bias, double[] g, double eps) {
        double[][] st = DnnReference.channelStats(x, d);
        return DnnReference.dot(g, DnnReference.batchNorm(x, d, scale, bias, st[0], st[1], eps));
    }
}

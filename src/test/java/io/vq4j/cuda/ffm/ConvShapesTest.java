package io.vq4j.cuda.ffm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Convolution shape arithmetic and argument checks, without cuDNN. */
class ConvShapesTest {

    private static ConvolutionDescriptor.Params p(int pad, int stride, int dil) {
        return new ConvolutionDescriptor.Params(pad, pad, stride, stride, dil, dil, CudnnMathType.FMA);
    }

    @Test
    void outputDimensionsFollowTheConvolutionFormula() {
        // the GPU test's case: 2x3x9x9 by 4x3x3x3, stride 2, pad 1 -> (9 + 2 - 3) / 2 + 1 = 5
        assertEquals(new Dims4(2, 4, 5, 5), p(1, 2, 1).output(new Dims4(2, 3, 9, 9), new Dims4(4, 3, 3, 3)));
        assertEquals(new Dims4(1, 1, 1, 1), p(0, 1, 1).output(new Dims4(1, 1, 1, 1), new Dims4(1, 1, 1, 1)));
        // "same" padding, stride 1
        assertEquals(new Dims4(3, 8, 13, 7), p(1, 1, 1).output(new Dims4(3, 5, 13, 7), new Dims4(8, 5, 3, 3)));
        // dilation 2: a 3x3 filter spans 5 -> 13 - 5 + 1 = 9
        assertEquals(new Dims4(1, 2, 9, 9), p(0, 1, 2).output(new Dims4(1, 2, 13, 13), new Dims4(2, 2, 3, 3)));
        // stride 2 on an even input with a 4x4 filter and pad 1, the usual VQ-VAE downsampling
        assertEquals(new Dims4(2, 16, 16, 16), p(1, 2, 1).output(new Dims4(2, 8, 32, 32), new Dims4(16, 8, 4, 4)));
        // non-square everything
        ConvolutionDescriptor.Params q = new ConvolutionDescriptor.Params(0, 2, 3, 1, 1, 2, CudnnMathType.DEFAULT);
        // h: (10 + 0 - 2) / 3 + 1 = 3; w: (6 + 4 - (2*2 + 1)) / 1 + 1 = 6
        assertEquals(new Dims4(1, 1, 3, 6), q.output(new Dims4(1, 1, 10, 6), new Dims4(1, 1, 2, 3)));
    }

    @Test
    void outputSizeDoesNotOverflow() {
        assertEquals(2L * Integer.MAX_VALUE - 1, // (MAX + 2 (MAX / 2) - 1) / 1 + 1
                ConvolutionDescriptor.Params.outputSize(Integer.MAX_VALUE, 1, Integer.MAX_VALUE / 2, 1, 1));
        assertEquals(0, ConvolutionDescriptor.Params.outputSize(2, 5, 0, 1, 1));
    }

    @Test
    void mismatchesAreIllegalArgumentsNamingTheShapes() {
        IllegalArgumentException ch = assertThrows(IllegalArgumentException.class,
                () -> p(1, 1, 1).output(new Dims4(2, 3, 9, 9), new Dims4(4, 5, 3, 3)));
        assertTrue(ch.getMessage().contains("2x3x9x9") && ch.getMessage().contains("4x5x3x3"), ch.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> p(0, 1, 1).output(new Dims4(1, 1, 2, 2), new Dims4(1, 1, 3, 3)));
        assertTrue(empty.getMessage().contains("(empty)"), empty.getMessage());
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class,
                () -> p(1 << 30, 1, 1).output(new Dims4(1, 1, 1, 1), new Dims4(1, 1, 1, 1)));
        assertTrue(huge.getMessage().contains("too large"), huge.getMessage());
        IllegalArgumentException y = assertThrows(IllegalArgumentException.class,
                () -> p(1, 2, 1).requireOutput("convolutionForward", new Dims4(2, 3, 9, 9), new Dims4(4, 3, 3, 3),
                        new Dims4(2, 4, 9, 9)));
        assertTrue(y.getMessage().contains("convolutionForward") && y.getMessage().contains("2x4x5x5")
                && y.getMessage().contains("2x4x9x9"), y.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p(-1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> p(0, 1, 0));
        assertThrows(NullPointerException.class, () -> new ConvolutionDescriptor.Params(0, 0, 1, 1, 1, 1, null));
    }

    @Test
    void dims4() {
        assertEquals(2L * 3 * 9 * 9, new Dims4(2, 3, 9, 9).elements());
        assertEquals("2x3x9x9", new Dims4(2, 3, 9, 9).toString());
        assertEquals(4_294_967_296L, new Dims4(65536, 65536, 1, 1).elements());
        assertThrows(IllegalArgumentException.class, () -> Dims4.checked("t", 1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Dims4.checked("t", 46341, 46341, 1, 1));
        assertEquals(new Dims4(46340, 46340, 1, 1), Dims4.checked("t", 46340, 46340, 1, 1));
    }

    @Test
    void workspaceSizesRoundUpToWholeMebibytes() {
        assertEquals(0, Workspace.roundUp(0));
        assertEquals(1 << 20, Workspace.roundUp(1));
        assertEquals(1 << 20, Workspace.roundUp(1 << 20));
        assertEquals(2 << 20, Workspace.roundUp((1 << 20) + 1));
    }
}

package io.vq4j.io;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * loss.png: training and validation loss per epoch (x = 1, 2, ...), drawn with xchart and
 * written as PNG through its BitmapEncoder, atomically. Works without a display (sets
 * java.awt.headless=true unless the application chose). Non-finite values (a NaN epoch) are
 * left out rather than breaking the chart; a log-scale y axis falls back to linear, saying so
 * in the title, when a value is not positive (a VAE's negative ELBO can be).
 */
public final class LossChart {
    static { Headless.ensure(); }

    private LossChart() {}

    public static final int WIDTH = 800, HEIGHT = 500;

    /**
     * Writes the chart of {@code train} (loss after epoch i+1 at index i) and {@code validation}
     * (same indexing; may be shorter, or null for none) to {@code png}.
     */
    public static void write(Path png, double[] train, double[] validation, boolean logY) throws IOException {
        if (png == null) throw new IllegalArgumentException("path must not be null");
        if (train == null) throw new IllegalArgumentException("train must not be null");
        double[][] t = finitePoints(train), v = finitePoints(validation == null ? new double[0] : validation);
        if (t[0].length == 0 && v[0].length == 0) {
            throw new IllegalArgumentException("nothing to plot: no finite loss values (train " + train.length
                    + " epochs, validation " + (validation == null ? 0 : validation.length) + ")");
        }
        boolean log = logY && allPositive(t[1]) && allPositive(v[1]);
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(logY && !log ? "loss (linear scale: some values <= 0)" : "loss")
                .xAxisTitle("epoch").yAxisTitle("loss").build();
        chart.getStyler().setYAxisLogarithmic(log);
        chart.getStyler().setXAxisDecimalPattern("#"); // epochs are whole numbers
        if (t[0].length > 0) chart.addSeries("train", t[0], t[1]).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        if (v[0].length > 0) chart.addSeries("validation", v[0], v[1]).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        AtomicFile.writeStream(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }

    /** {x = epoch, y = value} for the finite values. */
    private static double[][] finitePoints(double[] values) {
        double[] x = new double[values.length], y = new double[values.length];
        int n = 0;
        for (int i = 0; i < values.length; i++) {
            if (Double.isFinite(values[i])) {
                x[n] = i + 1;
                y[n++] = values[i];
            }
        }
        return new double[][] {Arrays.copyOf(x, n), Arrays.copyOf(y, n)};
    }

    private static boolean allPositive(double[] a) {
        for (double d : a) if (!(d > 0)) return false;
        return true;
    }
}

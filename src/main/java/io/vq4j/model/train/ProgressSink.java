package io.vq4j.model.train;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;

/**
 * Where training progress goes: a progress bar per epoch on a terminal (me.tongfei.progressbar),
 * plain lines otherwise (logs, pipes, CI), or nowhere.
 */
public interface ProgressSink {
    void startEpoch(int epoch, int epochs, long steps);

    void step(double meanLoss);

    void endEpoch(EpochMetrics m);

    /** A bar on a terminal, else one line per epoch on {@code out}. */
    static ProgressSink auto(PrintStream out) {
        return System.console() != null ? new Bar(out) : new Lines(out);
    }

    static ProgressSink silent() {
        return new ProgressSink() {
            @Override public void startEpoch(int epoch, int epochs, long steps) {}
            @Override public void step(double meanLoss) {}
            @Override public void endEpoch(EpochMetrics m) {}
        };
    }

    /** One line per epoch. */
    final class Lines implements ProgressSink {
        private final PrintStream out;
        public Lines(PrintStream out) { this.out = out; }
        @Override public void startEpoch(int epoch, int epochs, long steps) {}
        @Override public void step(double meanLoss) {}
        @Override public void endEpoch(EpochMetrics m) { out.println(m.line()); out.flush(); }
    }

    /** A progress bar per epoch, then the epoch's line. */
    final class Bar implements ProgressSink {
        private final PrintStream out;
        private ProgressBar bar;
        public Bar(PrintStream out) { this.out = out; }

        @Override
        public void startEpoch(int epoch, int epochs, long steps) {
            bar = new ProgressBarBuilder().setTaskName("epoch " + epoch + "/" + epochs).setInitialMax(steps)
                    .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(out))
                    .build();
        }

        @Override
        public void step(double meanLoss) {
            if (bar == null) return;
            bar.step();
            bar.setExtraMessage(String.format(" loss %.4f", meanLoss));
        }

        @Override
        public void endEpoch(EpochMetrics m) {
            if (bar != null) bar.close();
            bar = null;
            out.println(m.line());
        }
    }
}

package io.vq4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The vq4j command line: {@code java -jar target/vq4j.jar COMMAND [options]}.
 * A wrong flag or a missing file is one line on stderr and exit code 2, never a stack trace.
 */
@Command(name = "vq4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "VQ-VAEs and VAEs on CUDA kernels, with a pure-Java CPU fallback.",
        subcommands = {TrainCommand.class, EncodeCommand.class, DecodeCommand.class, ReconstructCommand.class, EvaluateCommand.class,
                InfoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // one short line per log record on the terminal, unless the user configured logging
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "[vq4j] %5$s%n");
        }
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((e, a) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("vq4j: " + e.getMessage() + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            if (e instanceof UsageError u) {
                c.getErr().println("vq4j: " + u.getMessage());
                return 2;
            }
            throw e;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** A user mistake (bad value, missing file) reported as one line with exit code 2. */
    public static final class UsageError extends RuntimeException {
        public UsageError(String message) { super(message); }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"vq4j " + (v == null ? "(development build)" : v)};
        }
    }
}

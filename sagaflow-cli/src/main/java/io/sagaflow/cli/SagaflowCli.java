package io.sagaflow.cli;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sagaflow} command. Each subcommand has its own {@code --help}. */
@Command(
    name = "sagaflow",
    mixinStandardHelpOptions = true,
    versionProvider = SagaflowCli.Version.class,
    description = "Reliable event processing and sagas on Apache Kafka.",
    subcommands = {
      DemoCommand.class,
      BrokerCommand.class,
      LagCommand.class,
      DlqCommand.class,
      UiCommand.class,
      SagasCommand.class,
      CommandLine.HelpCommand.class
    })
public final class SagaflowCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns the exit code: 0 ok, 1 failure, 2 bad usage. */
  public static int execute(String... args) {
    return newCommandLine().execute(args);
  }

  /** The configured command line, for embedding and tests. */
  public static CommandLine newCommandLine() {
    CommandLine cmd = new CommandLine(new SagaflowCli());
    cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
        err.println("error: " + e.getMessage());
      } else {
        err.println("error: " + e);
        e.printStackTrace(err);
      }
      err.flush();
      return 1;
    });
    return cmd;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = SagaflowCli.class.getPackage().getImplementationVersion();
      return new String[] {"sagaflow " + (v == null ? "(development build)" : v)};
    }
  }
}

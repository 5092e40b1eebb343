package io.sagaflow.cli;

import java.io.PrintWriter;

import org.apache.kafka.common.KafkaException;

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
      OtherJarCommands.Bench.class,
      OtherJarCommands.Chaos.class,
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
      } else if (e instanceof KafkaException) {
        // A client error no command explained (the commands check the cluster first): one line,
        // with the servers the command used and the usual fix, not a stack trace.
        CommandLine.Model.OptionSpec option = commandLine.getCommandSpec().findOption("--bootstrap-servers");
        Object servers = option == null || option.getValue() == null ? "the given servers" : option.getValue();
        err.println("error: Kafka at " + servers + " failed: " + e.getClass().getSimpleName() + ": " + e.getMessage()
            + " (" + KafkaOptions.HINT + ")");
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

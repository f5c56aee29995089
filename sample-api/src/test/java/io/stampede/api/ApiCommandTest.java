package io.stampede.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ApiCommandTest {

    @Test
    void helpDocumentsEveryFlag() {
        CommandLine cmd = new CommandLine(new ApiCommand());
        String usage = cmd.getUsageMessage();
        for (CommandLine.Model.OptionSpec option : cmd.getCommandSpec().options()) {
            assertThat(usage).contains(option.longestName());
            assertThat(String.join(" ", option.description())).as(option.longestName()).isNotBlank();
        }
        assertThat(usage).contains("--workers", "--db-latency", "--max-queue", "--instances", "--jwt-secret",
                "MARKET_JWT_SECRET", "demo@market.test");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--workers=0 | --workers: 0",
        "--workers=many | --workers",
        "--db-latency=10q | '10q' is not a duration",
        "--max-queue=-1 | --max-queue: -1",
        "--port=70000 | --port: 70000",
        "--tls-port=70000 | --tls-port: 70000",
        "--instances=0 | --instances: 0",
        "--hash-iterations=0 | --hash-iterations: 0",
        "--jwt-secret=short | at least 16 characters",
        "--no-such-flag | --no-such-flag",
        "--tls-key=/nonexistent.key | --tls-key was given without --tls-cert"})
    void badFlagValuesGetOneClearLineAndExitCode2(String arg, String expected) {
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.configure(new CommandLine(new ApiCommand()));
        cmd.setErr(new PrintWriter(err));
        int code = cmd.execute(arg);
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).contains(expected).doesNotContain("\n");
    }

    @Test
    void tlsAndTlsPortTogetherAreRefused() {
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.configure(new CommandLine(new ApiCommand()));
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute("--tls", "--tls-port=0")).isEqualTo(2);
        assertThat(err.toString().strip()).contains("give --tls (HTTPS on --port) or --tls-port").doesNotContain("\n");
    }

    @Test
    void aCertificateFileThatCannotBeReadIsNamed() {
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.configure(new CommandLine(new ApiCommand()));
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute("--tls-cert=/nonexistent.crt", "--tls-key=/nonexistent.key")).isEqualTo(2);
        assertThat(err.toString().strip()).contains("--tls-cert/--tls-key: ").contains("/nonexistent.crt").doesNotContain("\n");
    }

    @Test
    void aWrongSecretIsNeverEchoed() {
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.configure(new CommandLine(new ApiCommand()));
        cmd.setErr(new PrintWriter(err));
        cmd.execute("--jwt-secret=hunter2");
        assertThat(err.toString()).doesNotContain("hunter2");
    }
}

package io.stampede.common;

import java.time.Duration;
import picocli.CommandLine;

/** Lets command-line flags take nginx-style durations ({@code 10ms}, {@code 5m}). */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}

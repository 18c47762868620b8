package com.amazonaws.services.lambda.runtime.logging;

/** The levels of a log line, as in aws-lambda-java-core. */
public enum LogLevel {
    UNDEFINED,
    TRACE,
    DEBUG,
    INFO,
    WARN,
    ERROR,
    FATAL;

    /** fromString parses a level name, case-insensitively; unknown names are UNDEFINED. */
    public static LogLevel fromString(String logLevel) {
        try {
            return LogLevel.valueOf(logLevel.toUpperCase());
        } catch (Exception e) {
            return UNDEFINED;
        }
    }
}

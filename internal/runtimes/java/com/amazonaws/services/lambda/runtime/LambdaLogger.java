package com.amazonaws.services.lambda.runtime;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;

/** A logger whose lines go to the function's log. As in aws-lambda-java-core. */
public interface LambdaLogger {
    void log(String message);

    void log(byte[] message);

    /** log writes message at level; with the JSON log format, levels below the function's are dropped. */
    default void log(String message, LogLevel logLevel) {
        log(message);
    }

    default void log(byte[] message, LogLevel logLevel) {
        log(message);
    }
}

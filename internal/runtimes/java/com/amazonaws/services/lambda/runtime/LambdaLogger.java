package com.amazonaws.services.lambda.runtime;

/** A logger whose lines go to the function's log. As in aws-lambda-java-core. */
public interface LambdaLogger {
    void log(String message);

    void log(byte[] message);
}

package com.amazonaws.services.lambda.runtime;

/**
 * The context object passed to a handler: the invocation's request id, the
 * function's identity and limits, and a logger. Same methods as
 * aws-lambda-java-core's Context.
 */
public interface Context {
    String getAwsRequestId();

    String getLogGroupName();

    String getLogStreamName();

    String getFunctionName();

    String getFunctionVersion();

    String getInvokedFunctionArn();

    CognitoIdentity getIdentity();

    ClientContext getClientContext();

    int getRemainingTimeInMillis();

    int getMemoryLimitInMB();

    LambdaLogger getLogger();
}

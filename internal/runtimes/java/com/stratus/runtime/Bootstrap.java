package com.stratus.runtime;

import com.amazonaws.services.lambda.runtime.Client;
import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Stratus's runtime client for Lambda's managed Java runtimes (java17, java21).
 *
 * <p>Stratus starts it with the environment Lambda gives a runtime
 * (AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT, ...). It follows AWS's
 * own runtime client (aws-lambda-java-runtime-interface-client):
 *
 * <ul>
 * <li>the handler, {@code pkg.Class::method} or {@code pkg.Class} (a
 * RequestHandler or RequestStreamHandler), is loaded once from the code
 * directory's classes and lib/*.jar, with a URLClassLoader whose parent holds
 * the aws-lambda-java-core API;
 * <li>a class that is not found, or a method that is not there, fails each
 * invocation (Runtime.BadFunctionCode); a class whose static initialiser or
 * constructor throws fails the init, posted to /runtime/init/error;
 * <li>an exception a handler throws becomes {errorMessage, errorType,
 * stackTrace}, posted with Lambda-Runtime-Function-Error-Type
 * Runtime.UserException, and is written to the log.
 * </ul>
 */
public final class Bootstrap {
    private Bootstrap() {
    }

    // Cold starts: this client uses no lambdas and is compiled with
    // -XDstringConcat=inline, so that its first invocation does not pay for
    // bootstrapping invokedynamic call sites (tens of milliseconds on a cold JVM).

    static final String BAD_FUNCTION_CODE = "Runtime.BadFunctionCode";
    static final String USER_EXCEPTION = "Runtime.UserException";
    private static final String PACKAGE_PREFIX = Bootstrap.class.getPackage().getName();

    /** An error of the function's configuration or code, reported without a stack trace, as AWS's UserFault. */
    static final class UserFault extends RuntimeException {
        private static final long serialVersionUID = 1;
        final String msg;
        final String exception; // a class name, or null
        final String trace; // a printed stack trace, or null
        final boolean fatal;

        UserFault(String msg, String exception, String trace, boolean fatal) {
            super(msg);
            this.msg = msg;
            this.exception = exception;
            this.trace = trace;
            this.fatal = fatal;
        }

        /** The text AWS's runtime logs for a fault. */
        String reportable() {
            if (exception != null || trace != null) {
                return msg + ": " + (exception == null ? "" : exception) + "\n" + (trace == null ? "" : trace) + "\n";
            }
            return msg + "\n";
        }

        String body() {
            StringBuilder b = new StringBuilder("{\"errorMessage\":");
            Json.quote(b, msg);
            if (exception != null) {
                b.append(",\"errorType\":");
                Json.quote(b, exception);
            }
            return b.append('}').toString();
        }
    }

    /** Calls the function for one event; returns the response body. */
    interface Handler {
        byte[] call(byte[] event, Context ctx) throws Throwable;
    }

    private static PrintStream stdout;

    public static void main(String[] args) {
        stdout = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 8192), true,
                StandardCharsets.UTF_8);
        System.setOut(stdout);
        System.setErr(new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.err), 8192), true,
                StandardCharsets.UTF_8));
        String address = System.getenv("AWS_LAMBDA_RUNTIME_API");
        if (address == null || address.isEmpty()) {
            System.err.println("AWS_LAMBDA_RUNTIME_API is not set");
            System.exit(1);
        }
        RuntimeApi api = new RuntimeApi(address);
        setRuntimeLogger();

        Handler handler;
        try {
            handler = load(handlerString());
        } catch (UserFault f) {
            log(f.reportable());
            flushOutput();
            try {
                api.post("init/error", f.body().getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json",
                        "Lambda-Runtime-Function-Error-Type", BAD_FUNCTION_CODE);
            } catch (IOException e) {
                System.err.println("stratus java runtime: " + e.getMessage());
            }
            flushOutput();
            System.exit(1);
            return;
        }

        while (true) {
            flushOutput(); // the init phase's output belongs before the first START
            RuntimeApi.Response next;
            try {
                next = api.next();
            } catch (IOException e) {
                System.err.println("stratus java runtime: Failed to get next invocation: " + e.getMessage());
                flushOutput();
                System.exit(1);
                return;
            }
            if (next.status == 410) {
                System.exit(0);
            }
            String id = next.headers.get("lambda-runtime-aws-request-id");
            if (next.status != 200 || id == null) {
                System.err.println("stratus java runtime: Failed to get next invocation: HTTP " + next.status);
                flushOutput();
                System.exit(1);
            }
            String trace = next.headers.get("lambda-runtime-trace-id");
            if (trace != null) {
                System.setProperty("com.amazonaws.xray.traceHeader", trace);
            } else {
                System.clearProperty("com.amazonaws.xray.traceHeader");
            }
            boolean exit = false;
            try {
                byte[] result;
                try {
                    currentRequestId = id;
                    result = handler.call(next.body, new LambdaContext(id, next.headers));
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
                flushOutput();
                api.post("invocation/" + id + "/response", result, "Content-Type", "application/json");
                Thread.interrupted(); // clear a flag the function's code set
            } catch (UserFault f) {
                exit = f.fatal;
                log(f.reportable());
                flushOutput();
                postError(api, id, f.body(), BAD_FUNCTION_CODE);
            } catch (Throwable t) {
                exit = t instanceof VirtualMachineError || t instanceof IOError;
                filterStackTrace(t);
                String msg = t.getLocalizedMessage() == null ? t.getClass().getName() : t.getLocalizedMessage();
                log(msg + ": " + t.getClass().getName() + "\n" + printed(t) + "\n");
                flushOutput();
                postError(api, id, errorBody(msg, t), USER_EXCEPTION);
            }
            if (exit) {
                flushOutput();
                System.exit(1);
            }
        }
    }

    private static void postError(RuntimeApi api, String id, String body, String type) {
        try {
            api.post("invocation/" + id + "/error", body.getBytes(StandardCharsets.UTF_8), "Content-Type",
                    "application/json", "Lambda-Runtime-Function-Error-Type", type);
        } catch (IOException e) {
            System.err.println("stratus java runtime: " + e.getMessage());
            flushOutput();
            System.exit(1);
        }
    }

    /** The error document of a thrown exception, as AWS's runtime writes it. */
    static String errorBody(String msg, Throwable t) {
        StringBuilder b = new StringBuilder("{\"errorMessage\":");
        Json.quote(b, msg);
        b.append(",\"errorType\":");
        Json.quote(b, t.getClass().getName());
        b.append(",\"stackTrace\":[");
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < st.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            Json.quote(b, st[i].toString());
        }
        return b.append("]}").toString();
    }

    /** Drops the frames of this runtime (and all below them) from t and its causes. */
    static void filterStackTrace(Throwable t) {
        for (int depth = 0; t != null && depth < 32; t = t.getCause(), depth++) {
            StackTraceElement[] st = t.getStackTrace();
            for (int i = 0; i < st.length; i++) {
                if (st[i].getClassName().startsWith(PACKAGE_PREFIX)) {
                    t.setStackTrace(Arrays.copyOf(st, i));
                    break;
                }
            }
        }
    }

    static String printed(Throwable t) {
        filterStackTrace(t);
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        return sw.toString();
    }

    static void log(String s) {
        stdout.print(s.endsWith("\n") ? s : s + "\n");
        stdout.flush();
    }

    static void flushOutput() {
        System.out.flush();
        System.err.flush();
    }

    // ------------------------------------------------------------------ logging

    /** The request being served, for JSON log lines; null during init. */
    static volatile String currentRequestId;

    static final boolean JSON_LOGS = "JSON".equals(System.getenv("AWS_LAMBDA_LOG_FORMAT"));
    static final LogLevel MIN_LEVEL = minLevel();

    private static LogLevel minLevel() {
        String v = System.getenv("AWS_LAMBDA_LOG_LEVEL");
        LogLevel l = v == null ? LogLevel.UNDEFINED : LogLevel.fromString(v);
        return l == LogLevel.UNDEFINED ? LogLevel.INFO : l;
    }

    /**
     * logAt writes one LambdaLogger line: as it is with the Text format; with JSON, as
     * AWS's Java runtime writes it ({"timestamp","level","message","AWSRequestId"}),
     * dropping levels below AWS_LAMBDA_LOG_LEVEL (lines without a level pass).
     */
    static void logAt(String message, LogLevel level) {
        if (message == null) {
            message = "null";
        }
        if (!JSON_LOGS) {
            log(message);
            return;
        }
        if (level != LogLevel.UNDEFINED && level.ordinal() < MIN_LEVEL.ordinal()) {
            return;
        }
        StringBuilder b = new StringBuilder(message.length() + 128);
        b.append("{\"timestamp\":");
        Json.quote(b, java.time.format.DateTimeFormatter.ISO_INSTANT.format(java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)));
        if (level != LogLevel.UNDEFINED) {
            b.append(",\"level\":");
            Json.quote(b, level.name());
        }
        b.append(",\"message\":");
        Json.quote(b, message.endsWith("\n") ? message.substring(0, message.length() - 1) : message);
        String id = currentRequestId;
        if (id != null) {
            b.append(",\"AWSRequestId\":");
            Json.quote(b, id);
        }
        b.append('}');
        log(b.toString());
    }

    static final LambdaLogger LOGGER = new LambdaLogger() {
        public void log(String message) {
            logAt(message, LogLevel.UNDEFINED);
        }

        public void log(byte[] message) {
            logAt(new String(message, StandardCharsets.UTF_8), LogLevel.UNDEFINED);
        }

        public void log(String message, LogLevel level) {
            logAt(message, level);
        }

        public void log(byte[] message, LogLevel level) {
            logAt(new String(message, StandardCharsets.UTF_8), level);
        }
    };

    private static void setRuntimeLogger() {
        try {
            Field f = LambdaRuntime.class.getDeclaredField("logger");
            f.setAccessible(true);
            f.set(null, LOGGER);
        } catch (ReflectiveOperationException e) {
            System.err.println("stratus java runtime: cannot set LambdaRuntime's logger: " + e);
        }
    }

    // ------------------------------------------------------------------ loading

    private static String handlerString() {
        String h = System.getenv("_HANDLER");
        return h == null ? "" : h.trim();
    }

    private static String taskRoot() {
        String r = System.getenv("LAMBDA_TASK_ROOT");
        return r == null || r.isEmpty() ? System.getProperty("user.dir") : r;
    }

    /** The function's class loader: the code directory, then lib/*.jar, then /opt/java/lib/*.jar (layers). */
    static ClassLoader customerClassLoader() {
        List<URL> urls = new ArrayList<>();
        try {
            File root = new File(taskRoot());
            urls.add(root.toURI().toURL());
            // Layers are under /opt on AWS; Stratus's process sandbox names their directory.
            String opt = System.getenv("_STRATUS_OPT_DIR");
            if (opt == null || opt.isEmpty()) {
                opt = "/opt";
            }
            for (File dir : new File[] {new File(root, "lib"), new File(opt, "java/lib")}) {
                File[] jars = dir.listFiles(new java.io.FilenameFilter() {
                    public boolean accept(File d, String n) {
                        return n.endsWith(".jar");
                    }
                });
                if (jars != null) {
                    Arrays.sort(jars);
                    for (File j : jars) {
                        urls.add(j.toURI().toURL());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOError(e);
        }
        return new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getSystemClassLoader());
    }

    private static final class UncheckedIOError extends RuntimeException {
        private static final long serialVersionUID = 1;

        UncheckedIOError(IOException e) {
            super(e);
        }
    }

    /** A Handler that fails every invocation with f, as AWS defers some load errors to the invocation. */
    private static Handler failing(UserFault f) {
        return new Handler() {
            public byte[] call(byte[] event, Context ctx) {
                throw f;
            }
        };
    }

    /**
     * Loads the handler. Returns a failing Handler for faults AWS reports per
     * invocation; throws a fatal UserFault for those it reports as init errors.
     */
    static Handler load(String handler) {
        String className = handler;
        String methodName = null;
        int sep = handler.lastIndexOf("::");
        if (sep >= 0) {
            className = handler.substring(0, sep);
            methodName = handler.substring(sep + 2);
        }
        if (className.isEmpty() || (methodName != null && methodName.isEmpty())) {
            return failing(new UserFault("Invalid handler: `" + handler + "'", null, null, false));
        }
        ClassLoader loader = customerClassLoader();
        Thread.currentThread().setContextClassLoader(loader);
        Class<?> cls;
        try {
            cls = Class.forName(className, true, loader);
        } catch (ClassNotFoundException e) {
            return failing(new UserFault("Class not found: " + className, e.getClass().getName(), printed(e), false));
        } catch (NoClassDefFoundError e) {
            return failing(initError(e, className));
        } catch (Throwable t) {
            throw initError(t, className);
        }

        // As AWS's runtime: the interfaces are used only when the handler names no
        // method; Class::method goes through reflection, whose frames then show in
        // a stack trace as they do on Lambda.
        if (methodName == null) {
            if (RequestStreamHandler.class.isAssignableFrom(cls)) {
                RequestStreamHandler h = (RequestStreamHandler) instance(cls);
                return new Handler() {
                    public byte[] call(byte[] event, Context ctx) throws IOException {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        h.handleRequest(new ByteArrayInputStream(event), out, ctx);
                        return out.toByteArray();
                    }
                };
            }
            if (RequestHandler.class.isAssignableFrom(cls)) {
                @SuppressWarnings("unchecked")
                RequestHandler<Object, Object> h = (RequestHandler<Object, Object>) instance(cls);
                Type in = requestHandlerInput(cls);
                return new Handler() {
                    public byte[] call(byte[] event, Context ctx) {
                        return serialize(h.handleRequest(deserialize(event, in), ctx));
                    }
                };
            }
            return failing(new UserFault("Class does not implement an appropriate handler interface: "
                    + cls.getName(), null, null, false));
        }

        Method best = null;
        for (Method m : cls.getMethods()) {
            if (!m.getName().equals(methodName) || m.isBridge() || m.isSynthetic()) {
                continue;
            }
            if (usable(m) && (best == null || weight(m) > weight(best))) {
                best = m;
            }
        }
        if (best == null) {
            return failing(new UserFault("No public method named " + methodName
                    + " with appropriate method signature found on class " + cls.getName(), null, null, false));
        }
        Method m = best;
        Object target = Modifier.isStatic(m.getModifiers()) ? null : instance(cls);
        Class<?>[] p = m.getParameterTypes();
        if (p.length >= 2 && p[0] == InputStream.class && p[1] == OutputStream.class) {
            return new Handler() {
                public byte[] call(byte[] event, Context ctx) throws ReflectiveOperationException {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    if (p.length == 3) {
                        m.invoke(target, new ByteArrayInputStream(event), out, ctx);
                    } else {
                        m.invoke(target, new ByteArrayInputStream(event), out);
                    }
                    return out.toByteArray();
                }
            };
        }
        Type in = p.length > 0 && p[0] != Context.class ? m.getGenericParameterTypes()[0] : null;
        boolean wantsContext = p.length > 0 && p[p.length - 1] == Context.class;
        boolean isVoid = m.getReturnType() == void.class;
        return new Handler() {
            public byte[] call(byte[] event, Context ctx) throws ReflectiveOperationException {
                Object[] a = new Object[p.length];
                if (in != null) {
                    a[0] = deserialize(event, in);
                }
                if (wantsContext) {
                    a[p.length - 1] = ctx;
                }
                Object r = m.invoke(target, a);
                return isVoid ? "null".getBytes(StandardCharsets.UTF_8) : serialize(r);
            }
        };
    }

    /** AWS's overload preference: more parameters first, a trailing Context counting twice. */
    private static int weight(Method m) {
        Class<?>[] p = m.getParameterTypes();
        return p.length + (p.length > 0 && p[p.length - 1] == Context.class ? 1 : 0);
    }

    /** Whether m has a handler's signature: (), (I), (I, Context), (Context), or (InputStream, OutputStream[, Context]). */
    private static boolean usable(Method m) {
        Class<?>[] p = m.getParameterTypes();
        switch (p.length) {
            case 0:
            case 1:
                return true;
            case 2:
                return p[1] == Context.class || (p[0] == InputStream.class && p[1] == OutputStream.class);
            case 3:
                return p[0] == InputStream.class && p[1] == OutputStream.class && p[2] == Context.class;
            default:
                return false;
        }
    }

    private static UserFault initError(Throwable t, String className) {
        if (t instanceof InvocationTargetException && t.getCause() != null) {
            t = t.getCause();
        }
        String msg = "Error loading class " + className + (t.getMessage() == null ? "" : ": " + t.getMessage());
        if (t instanceof UnsupportedClassVersionError) {
            // Lambda's runtimes run their own Java; Stratus runs every java* runtime on the host's.
            String env = System.getenv("AWS_EXECUTION_ENV");
            String runtime = env != null && env.startsWith("AWS_Lambda_") ? env.substring(11) : "this runtime";
            msg += " (Stratus runs " + runtime + " on the host's Java " + System.getProperty("java.version")
                    + "; compile the function for that release, or give Stratus a newer JDK)";
        }
        return new UserFault(msg, t.getClass().getName(), printed(t), true);
    }

    /**
     * Creates the handler object once. A constructor that throws fails the init
     * with its exception, as AWS's runtime reports it (makeUserFault(e, true)).
     */
    private static Object instance(Class<?> cls) {
        try {
            return cls.getDeclaredConstructor().newInstance();
        } catch (Throwable t) {
            if (t instanceof InvocationTargetException && t.getCause() != null) {
                t = t.getCause();
            }
            String msg = t.getLocalizedMessage() == null ? t.getClass().getName() : t.getLocalizedMessage();
            throw new UserFault(msg, t.getClass().getName(), printed(t), true);
        }
    }

    /** The I of RequestHandler<I, O> as cls (or a superclass) binds it; Object if unbound. */
    private static Type requestHandlerInput(Class<?> cls) {
        for (Class<?> c = cls; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Type t : c.getGenericInterfaces()) {
                if (t instanceof ParameterizedType && ((ParameterizedType) t).getRawType() == RequestHandler.class) {
                    return ((ParameterizedType) t).getActualTypeArguments()[0];
                }
            }
        }
        return Object.class;
    }

    // ------------------------------------------------------------------ (de)serialisation

    static Object deserialize(byte[] event, Type t) {
        Class<?> raw = Json.rawClass(t);
        if (raw == InputStream.class) {
            return new ByteArrayInputStream(event);
        }
        if (raw == byte[].class) {
            return event;
        }
        String s = new String(event, StandardCharsets.UTF_8);
        Object v;
        try {
            v = s.trim().isEmpty() ? null : Json.parse(s);
        } catch (Json.JsonException e) {
            if (raw == String.class) {
                return s; // not JSON: the text as it came
            }
            throw new SerializationException("Could not parse request payload as JSON: " + e.getMessage());
        }
        try {
            return Json.convert(v, t);
        } catch (Json.JsonException e) {
            throw new SerializationException(e.getMessage());
        }
    }

    static byte[] serialize(Object r) {
        if (r instanceof byte[]) {
            return (byte[]) r;
        }
        if (r instanceof InputStream) {
            try {
                return ((InputStream) r).readAllBytes();
            } catch (IOException e) {
                throw new SerializationException(e.toString());
            }
        }
        return Json.write(r).getBytes(StandardCharsets.UTF_8);
    }

    /** An event that does not fit the handler's type, or a result that cannot be written. */
    static final class SerializationException extends RuntimeException {
        private static final long serialVersionUID = 1;

        SerializationException(String msg) {
            super(msg);
        }
    }

    // ------------------------------------------------------------------ context

    static final class LambdaContext implements Context {
        private final String requestId;
        private final String arn;
        private final long deadline;
        private final CognitoIdentity identity;
        private final ClientContext clientContext;

        LambdaContext(String requestId, Map<String, String> headers) {
            this.requestId = requestId;
            this.arn = headers.get("lambda-runtime-invoked-function-arn");
            long d = 0;
            try {
                d = Long.parseLong(headers.getOrDefault("lambda-runtime-deadline-ms", "0"));
            } catch (NumberFormatException ignored) {
                // no deadline
            }
            this.deadline = d;
            this.identity = identity(headers.get("lambda-runtime-cognito-identity"));
            this.clientContext = clientContext(headers.get("lambda-runtime-client-context"));
        }

        private static Map<?, ?> object(String json) {
            if (json == null || json.isEmpty()) {
                return null;
            }
            try {
                Object v = Json.parse(json);
                return v instanceof Map ? (Map<?, ?>) v : null;
            } catch (Json.JsonException e) {
                return null;
            }
        }

        private static String str(Map<?, ?> m, String k) {
            Object v = m == null ? null : m.get(k);
            return v == null ? null : v.toString();
        }

        @SuppressWarnings("unchecked")
        private static Map<String, String> strings(Object v) {
            if (!(v instanceof Map)) {
                return null;
            }
            Map<String, String> out = new java.util.LinkedHashMap<>();
            for (Map.Entry<?, ?> e : ((Map<Object, Object>) v).entrySet()) {
                out.put(String.valueOf(e.getKey()), e.getValue() == null ? null : e.getValue().toString());
            }
            return Collections.unmodifiableMap(out);
        }

        private static CognitoIdentity identity(String json) {
            Map<?, ?> m = object(json);
            if (m == null) {
                return null; // as AWS's runtime client: no identity header, no identity
            }
            String id = str(m, "cognitoIdentityId");
            String pool = str(m, "cognitoIdentityPoolId");
            return new CognitoIdentity() {
                public String getIdentityId() {
                    return id == null ? "" : id;
                }

                public String getIdentityPoolId() {
                    return pool == null ? "" : pool;
                }
            };
        }

        private static ClientContext clientContext(String json) {
            Map<?, ?> m = object(json);
            if (m == null) {
                return null;
            }
            Map<?, ?> c = m.get("client") instanceof Map ? (Map<?, ?>) m.get("client") : null;
            Client client = c == null ? null : new Client() {
                public String getInstallationId() {
                    return str(c, "installation_id");
                }

                public String getAppTitle() {
                    return str(c, "app_title");
                }

                public String getAppVersionName() {
                    return str(c, "app_version_name");
                }

                public String getAppVersionCode() {
                    return str(c, "app_version_code");
                }

                public String getAppPackageName() {
                    return str(c, "app_package_name");
                }
            };
            Map<String, String> custom = strings(m.get("custom"));
            Map<String, String> env = strings(m.get("env"));
            return new ClientContext() {
                public Client getClient() {
                    return client;
                }

                public Map<String, String> getCustom() {
                    return custom;
                }

                public Map<String, String> getEnvironment() {
                    return env;
                }
            };
        }

        public String getAwsRequestId() {
            return requestId;
        }

        public String getLogGroupName() {
            return System.getenv("AWS_LAMBDA_LOG_GROUP_NAME");
        }

        public String getLogStreamName() {
            return System.getenv("AWS_LAMBDA_LOG_STREAM_NAME");
        }

        public String getFunctionName() {
            return System.getenv("AWS_LAMBDA_FUNCTION_NAME");
        }

        public String getFunctionVersion() {
            return System.getenv("AWS_LAMBDA_FUNCTION_VERSION");
        }

        public String getInvokedFunctionArn() {
            return arn;
        }

        public CognitoIdentity getIdentity() {
            return identity;
        }

        public ClientContext getClientContext() {
            return clientContext;
        }

        public int getRemainingTimeInMillis() {
            if (deadline == 0) {
                return 0;
            }
            long left = deadline - System.currentTimeMillis();
            return left <= 0 ? 0 : (int) Math.min(left, Integer.MAX_VALUE);
        }

        public int getMemoryLimitInMB() {
            try {
                return Integer.parseInt(System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));
            } catch (NumberFormatException e) {
                return 128;
            }
        }

        public LambdaLogger getLogger() {
            return LOGGER;
        }
    }
}

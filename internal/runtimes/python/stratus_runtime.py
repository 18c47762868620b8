"""Stratus's runtime client for Lambda's managed Python runtimes.

Stratus starts it through `python3 -u bootstrap.py` (which imports this module, so
its bytecode is cached) in the function's code directory
with the environment Lambda gives a runtime (AWS_LAMBDA_RUNTIME_API, _HANDLER,
LAMBDA_TASK_ROOT, ...). It follows the conventions of AWS's own runtime client
(awslambdaric) so that a function behaves as it does on Lambda:

- the handler `file.function` (or `pkg/mod.fn`, `pkg.mod.fn`) is imported once,
  with the code directory and the layer paths under /opt/python first on
  sys.path; a failure is posted to /runtime/init/error with Lambda's error
  types (Runtime.ImportModuleError, Runtime.HandlerNotFound, ...) and the
  process exits;
- each event is decoded from JSON and passed with a context object carrying
  Lambda's documented fields; the result is encoded as JSON (Decimal as a
  number, bytes as they are) and an exception becomes an error document
  {errorMessage, errorType, requestId, stackTrace} posted to /error;
- the root logger writes `[LEVEL]\\t<UTC time>\\t<request id>\\t<message>` lines
  (or JSON lines when AWS_LAMBDA_LOG_FORMAT=JSON) at AWS_LAMBDA_LOG_LEVEL.

Only the standard library is used, and a cold start imports only what it needs:
the Runtime API is spoken over a raw socket with a persistent HTTP/1.1
connection (http.client alone costs more than a bare interpreter start),
logging is set up when something first imports it, and traceback is imported
only when an error needs it.
"""

import _socket
import json
import os
import sys
import time

_API_PREFIX = "/2018-06-01/runtime/"
_ERROR_LOG_INDENT = "\u00a0"  # AWS indents traceback lines in logs with NO-BREAK SPACE
_MAX_XRAY_HEADER = 1024 * 1024
_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. "
    "The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. "
    "To determine if the runtime has been updated, check the runtime version in the INIT_START log entry. "
    "If this error correlates with a change in the runtime version, you may be able to mitigate this error "
    "by temporarily rolling back to the previous runtime version. "
    "For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)

# The invocation being handled, for log lines (LambdaLoggerFilter reads them).
_request_id = None
_tenant_id = None


class FaultException(Exception):
    """An error of the runtime's own, reported with one of Lambda's types."""

    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.exception_type = exception_type
        self.msg = msg
        self.trace = trace


# ---------------------------------------------------------------------------
# The Runtime API client: HTTP/1.1 over one kept-alive socket.


class RuntimeAPIError(Exception):
    pass


class RuntimeAPI:
    """A minimal HTTP/1.1 client for the Runtime API at host:port.

    It uses _socket directly: socket.py (its enums) and the idna codec that
    getaddrinfo would load for a str host cost milliseconds of every cold start.
    """

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        if not host:
            host, port = address, "80"
        self.host_header = address
        self.addr = (host.strip("[]"), int(port))
        self.sock = None
        self.buf = bytearray()

    def _connect(self):
        self.close()
        err = None
        for family, kind, proto, _, sockaddr in _socket.getaddrinfo(
            self.addr[0].encode("ascii"), self.addr[1], 0, _socket.SOCK_STREAM
        ):
            sock = _socket.socket(family, kind, proto)
            try:
                sock.connect(sockaddr)
            except OSError as e:
                sock.close()
                err = e
                continue
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            self.sock = sock
            return
        raise err or OSError("cannot resolve %s" % self.addr[0])

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buf = bytearray()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("connection closed by the Runtime API")
        self.buf += chunk

    def _readline(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[: i + 1])
                del self.buf[: i + 1]
                return line
            if len(self.buf) > 65536:
                raise RuntimeAPIError("header line too long")
            self._fill()

    def _read(self, n):
        if len(self.buf) >= n:
            b = bytes(self.buf[:n])
            del self.buf[:n]
            return b
        out = bytearray(n)
        have = len(self.buf)
        out[:have] = self.buf
        self.buf = bytearray()
        view = memoryview(out)
        while have < n:
            got = self.sock.recv_into(view[have:])
            if not got:
                raise ConnectionResetError("connection closed by the Runtime API")
            have += got
        return bytes(out)

    def request(self, method, path, body=b"", headers=()):
        """Sends one request; returns (status, headers with lower-case names, body).

        A kept-alive connection the server closed meanwhile is reopened once,
        if nothing of the answer had arrived.
        """
        head = ["%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, self.host_header)]
        for k, v in headers:
            head.append("%s: %s\r\n" % (k, v))
        if method != "GET":
            head.append("Content-Length: %d\r\n" % len(body))
        head.append("\r\n")
        data = "".join(head).encode("utf-8") + body
        for attempt in (0, 1):
            fresh = self.sock is None
            if fresh:
                self._connect()
            try:
                self.sock.sendall(data)
                status_line = self._readline()
            except OSError:
                self.close()
                if fresh or attempt:
                    raise
                continue
            try:
                return self._read_response(status_line)
            except Exception:
                self.close()
                raise
        raise RuntimeAPIError("unreachable")

    def _read_response(self, status_line):
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise RuntimeAPIError("bad status line %r" % status_line)
        status = int(parts[1])
        headers = {}
        while True:
            line = self._readline()
            if line in (b"\r\n", b"\n"):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self._readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self._readline() not in (b"\r\n", b"\n"):
                        pass
                    break
                chunks.append(self._read(size))
                self._readline()
            body = b"".join(chunks)
        elif "content-length" in headers:
            body = self._read(int(headers["content-length"]))
        else:  # the body runs to the end of the connection
            chunks = [bytes(self.buf)]
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
            self.close()
            return status, headers, b"".join(chunks)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def next(self):
        return self.request("GET", _API_PREFIX + "invocation/next")

    def post(self, path, body, headers):
        status, _, resp = self.request("POST", _API_PREFIX + path, body, headers)
        if status != 202:
            raise RuntimeAPIError(
                "Request to Lambda Runtime '%s' endpoint failed. Reason: '%d'. Response body: '%s'"
                % (path, status, resp.decode("utf-8", "replace"))
            )


# ---------------------------------------------------------------------------
# JSON, as awslambdaric's marshaller writes it.


class Encoder(json.JSONEncoder):
    """Encodes results like awslambdaric's simplejson encoder: a Decimal is
    written as the number it holds, bytes inside a result as UTF-8 text."""

    _marker = "\x00stratus-decimal-%x:" % int.from_bytes(os.urandom(8), "big")

    def __init__(self, ensure_ascii):
        super().__init__(ensure_ascii=ensure_ascii)
        self.decimals = False

    def default(self, obj):
        dec = sys.modules.get("decimal")
        if dec is not None and isinstance(obj, dec.Decimal):
            if obj.is_nan():
                return float("nan")
            self.decimals = True
            return self._marker + str(obj) + "\x00"
        if isinstance(obj, (bytes, bytearray)):
            return bytes(obj).decode("utf-8")
        return super().default(obj)

    def encode(self, obj):
        self.decimals = False
        s = super().encode(obj)
        if self.decimals:
            m = json.dumps(self._marker)[:-1]  # the marker as encoded, opening quote included
            out = []
            i = 0
            while True:
                j = s.find(m, i)
                if j < 0:
                    break
                k = s.find("\\u0000\"", j + len(m))
                out.append(s[i:j])
                out.append(s[j + len(m) : k])
                i = k + len("\\u0000\"")
            out.append(s[i:])
            s = "".join(out)
        return s


def _ensure_ascii():
    # awslambdaric writes non-ASCII characters as they are from python3.12 on.
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    prefix = "AWS_Lambda_python3."
    if env.startswith(prefix):
        try:
            return int(env[len(prefix) :]) < 12
        except ValueError:
            pass
    return True


_encoder = None


def to_json(obj):
    global _encoder
    if _encoder is None:
        _encoder = Encoder(_ensure_ascii())
    return _encoder.encode(obj)


def marshal_response(response):
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return to_json(response).encode("utf-8"), "application/json"
    except Exception as e:
        raise FaultException(FaultException.MARSHAL_ERROR, "Unable to marshal response: {}".format(e), None)


def unmarshal_request(body, content_type):
    if content_type != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as e:
        raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: {}".format(e), None)


# ---------------------------------------------------------------------------
# The context object.


def _obj_from_dict(cls, d):
    if d is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, d.get(field))
    return obj


class CognitoIdentity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id={},cognito_identity_pool_id={}])".format(
            self.cognito_identity_id, self.cognito_identity_pool_id
        )


class Client(object):
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]

    def __repr__(self):
        return "Client([{}])".format(",".join("{}={}".format(f, getattr(self, f)) for f in self.__slots__))


class ClientContext(object):
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return "ClientContext([custom={},env={},client={}])".format(self.custom, self.env, self.client)


_W3C_FIELDS = ("traceparent", "tracestate", "baggage")


class LambdaContext(object):
    """The handler's context, with the fields and methods Lambda documents.

    As on Lambda, memory_limit_in_mb is the string from
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE, identity is always an object (its fields
    None without a Cognito identity), client_context is None without one.
    """

    def __init__(self, invoke_id, client_context, cognito_identity, deadline_ms, invoked_function_arn=None, tenant_id=None):
        env = os.environ
        self.aws_request_id = invoke_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self._w3c_fields = {}
        if isinstance(client_context, dict) and "w3c" in client_context:
            raw = client_context.pop("w3c")
            if isinstance(raw, dict):
                self._w3c_fields = {k: raw[k] for k in _W3C_FIELDS if isinstance(raw.get(k), str)}
        self.client_context = _obj_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _obj_from_dict(Client, self.client_context.client)
        self.identity = _obj_from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._epoch_deadline_time_in_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        delta = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return delta if delta > 0 else 0

    def w3c(self):
        return dict(self._w3c_fields)

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id={},log_group_name={},log_stream_name={},function_name={},"
            "memory_limit_in_mb={},function_version={},invoked_function_arn={},client_context={},"
            "identity={},tenant_id={}])".format(
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
                self.client_context,
                self.identity,
                self.tenant_id,
            )
        )


def _parse_json_header(value, name):
    try:
        return json.loads(value)
    except Exception as e:
        raise FaultException(
            FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR, "Unable to parse {} JSON: {}".format(name, e), None
        )


# ---------------------------------------------------------------------------
# Logging.
#
# AWS's runtime configures the root logger before it imports the function, so
# that records carry the request id and logging.basicConfig() in user code is a
# no-op. Stratus does the same, but only when something first imports logging:
# a meta path finder wraps the module's loader and configures the module the
# moment it has run. A function that never logs does not pay for logging.

_JSON_RESERVED = {
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
    "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
    "threadName", "processName", "process", "aws_request_id", "tenant_id", "_frame_type",
}  # fmt: skip

_json_logs = (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"


def _setup_logging(logging):
    """Gives the root logger Lambda's handler, format and level."""

    class LambdaLoggerFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _request_id or ""
            record.tenant_id = _tenant_id
            return True

    class LambdaLoggerHandler(logging.Handler):
        """Writes each record to stdout in one piece, ending in a newline."""

        def emit(self, record):
            try:
                msg = self.format(record)
                if not msg.endswith("\n"):
                    msg += "\n"  # a record with exc_info ends without one
                sys.stdout.write(msg)
            except Exception:
                self.handleError(record)

    class JsonFormatter(logging.Formatter):
        """Formats records as AWS's runtime does for AWS_LAMBDA_LOG_FORMAT=JSON."""

        def formatTime(self, record, datefmt=None):
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % int(record.msecs)

        def format(self, record):
            record.levelno = min(50, max(0, record.levelno)) // 10 * 10
            record.levelname = logging.getLevelName(record.levelno)
            exc = record.exc_info
            stack = None
            if exc:
                import traceback

                stack = traceback.format_tb(exc[2])
            result = {
                "timestamp": self.formatTime(record),
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "stackTrace": stack,
                "errorType": exc[0].__name__ if exc else None,
                "errorMessage": str(exc[1]) if exc else None,
                "requestId": getattr(record, "aws_request_id", None),
                "location": "{}:{}:{}".format(record.pathname, record.funcName, record.lineno) if exc else None,
            }
            if getattr(record, "tenant_id", None) is not None:
                result["tenantId"] = record.tenant_id
            for k, v in record.__dict__.items():
                if k not in _JSON_RESERVED and k not in result:
                    result[k] = v
            result = {k: v for k, v in result.items() if v is not None}
            return json.dumps(result, ensure_ascii=False, default=str) + "\n"

    logging.Formatter.converter = time.gmtime
    handler = LambdaLoggerHandler()
    if _json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    level = {None: "", "TRACE": "DEBUG"}.get(level, level).upper()
    root = logging.getLogger()
    if level in logging._nameToLevel:
        root.setLevel(level)
    handler.addFilter(LambdaLoggerFilter())
    root.addHandler(handler)


class _LoggingOnImport:
    """A meta path finder that sets logging up the moment it is first imported.

    It stays on sys.meta_path until the module has run (a bare
    importlib.util.find_spec("logging") does not use it up) and sets up once.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "logging":
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec  # not the standard library's; leave it alone
        run = loader.exec_module
        hook = self

        def exec_module(module):
            run(module)
            loader.exec_module = run
            if hook in sys.meta_path:
                sys.meta_path.remove(hook)
                _setup_logging(module)

        loader.exec_module = exec_module
        return spec


def _install_logging():
    if "logging" in sys.modules:
        _setup_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _LoggingOnImport())


# ---------------------------------------------------------------------------
# The AWS endpoint for the function's SDK calls.


class _BotocoreOnImport:
    """A meta path finder that teaches an older botocore AWS_ENDPOINT_URL.

    Stratus gives every function AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>
    is honoured too), so the SDK calls of unchanged code reach Stratus. botocore
    reads those variables itself since 1.31; an older one (Debian 12's boto3 1.26
    has botocore 1.29) would call the real AWS. When botocore.session is first
    imported this wraps Session.create_client so a client made without an
    explicit endpoint_url gets the configured one, as newer botocore does.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "botocore.session":
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module
        hook = self

        def exec_module(module):
            run(module)
            loader.exec_module = run
            if hook in sys.meta_path:
                sys.meta_path.remove(hook)
                _patch_botocore(module)

        loader.exec_module = exec_module
        return spec


def _patch_botocore(session_module):
    from botocore import configprovider

    if "ignore_configured_endpoint_urls" in getattr(configprovider, "BOTOCORE_DEFAUT_SESSION_VARIABLES", {}):
        return  # this botocore reads AWS_ENDPOINT_URL itself
    create_client = session_module.Session.create_client

    def create_client_with_endpoint(self, service_name, *args, **kwargs):
        if len(args) < 5 and kwargs.get("endpoint_url") is None:
            env = "AWS_ENDPOINT_URL_" + service_name.upper().replace("-", "_").replace(" ", "_")
            url = os.environ.get(env) or os.environ.get("AWS_ENDPOINT_URL")
            if url:
                kwargs["endpoint_url"] = url
        return create_client(self, service_name, *args, **kwargs)

    session_module.Session.create_client = create_client_with_endpoint


def _install_endpoint():
    if not os.environ.get("AWS_ENDPOINT_URL"):
        return
    if "botocore.session" in sys.modules:
        _patch_botocore(sys.modules["botocore.session"])
    else:
        sys.meta_path.insert(0, _BotocoreOnImport())


def log_error(error):
    """Writes an error document to the log as Lambda's runtime does."""
    if _json_logs:
        doc = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "level": "ERROR"}
        doc.update(error)
        sys.stdout.write(to_json(doc) + "\n")
        return
    desc = "[ERROR]"
    if error.get("errorType"):
        desc += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            desc += ":"
        desc += " " + error["errorMessage"]
    lines = [desc, "Traceback (most recent call last):"]
    for element in error.get("stackTrace") or ():
        if element == "":
            lines.append("")
            continue
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append(_ERROR_LOG_INDENT * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------
# Errors.


def make_error(message, error_type, stack_trace, request_id=None):
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _user_frames(tb):
    """The traceback's frames from the first one outside this bootstrap."""
    import traceback

    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    here = os.path.abspath(__file__)
    for i, f in enumerate(frames):
        if os.path.abspath(f[0]) != here:
            return frames[i:]
    return frames


def _format_frames(frames):
    import traceback

    return traceback.format_list(frames)


def make_xray_fault(ex_type, ex_msg, working_dir, frames):
    stack = [{"label": name, "path": path, "line": line} for path, line, name, _ in frames]
    return {
        "working_directory": working_dir,
        "exceptions": [{"message": ex_msg, "type": ex_type, "stack": stack}],
        "paths": list({f[0]: None for f in frames}),
    }


# ---------------------------------------------------------------------------
# Init.


def _set_sys_path():
    """Puts the code directory, then the layers' Python paths, first on sys.path,
    in Lambda's order; drops this bootstrap's own directory."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    versions = []
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    if env.startswith("AWS_Lambda_python"):
        versions.append(env[len("AWS_Lambda_python") :])
    own = "%d.%d" % sys.version_info[:2]
    if own not in versions:
        versions.append(own)
    # Layers are under /opt on AWS; Stratus's process sandbox names their directory.
    opt = os.environ.get("_STRATUS_OPT_DIR") or "/opt"
    front = [task_root] + [opt + "/python/lib/python%s/site-packages" % v for v in versions] + [opt + "/python"]
    sys.path[:0] = [p for p in front if p not in sys.path]


def get_handler(handler):
    """Imports the handler's module and returns the handler, or raises
    FaultException with the error Lambda reports."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(FaultException.MALFORMED_HANDLER_NAME, "Bad handler '{}': {}".format(handler, e))
    import importlib

    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module {} as a handler module".format(modname),
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(FaultException.IMPORT_MODULE_ERROR, "Unable to import module '{}': {}".format(modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR, "Syntax error in module '{}': {}".format(modname, e), trace
        )
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND, "Handler '{}' missing on module '{}'".format(fname, modname)
        )


# ---------------------------------------------------------------------------
# The invocation loop.


def handle_event(api, handler, request_id, headers, body):
    error = None
    try:
        cc = headers.get("lambda-runtime-client-context")
        ci = headers.get("lambda-runtime-cognito-identity")
        try:
            deadline = int(headers.get("lambda-runtime-deadline-ms") or 0)
        except ValueError:
            deadline = 0
        context = LambdaContext(
            request_id,
            _parse_json_header(cc, "Client Context") if cc else None,
            _parse_json_header(ci, "Cognito Identity") if ci else None,
            deadline,
            headers.get("lambda-runtime-invoked-function-arn"),
            _tenant_id,
        )
        event = unmarshal_request(body, headers.get("content-type"))
        response = handler(event, context)
        result, content_type = marshal_response(response)
    except FaultException as e:
        xray = make_xray_fault("LambdaValidationError", e.msg, os.getcwd(), [])
        error = make_error(e.msg, e.exception_type, e.trace, request_id)
    except Exception:
        etype, value, tb = sys.exc_info()
        frames = _user_frames(tb)
        xray = make_xray_fault(etype.__name__, str(value), os.getcwd(), frames)
        error = make_error(str(value), etype.__name__, _format_frames(frames), request_id)
        del tb
    if error is not None:
        log_error(error)
        flush_output()
        hdrs = [("Content-Type", "application/json")]
        cause = json.dumps(xray)  # ASCII, as a header value should be
        if len(cause) < _MAX_XRAY_HEADER:
            hdrs.append(("Lambda-Runtime-Function-XRay-Error-Cause", cause))
        api.post("invocation/%s/error" % request_id, to_json(error).encode("utf-8"), hdrs)
    else:
        flush_output()
        api.post("invocation/%s/response" % request_id, result, [("Content-Type", content_type)])


_unbuffered_streams = []


def _line_buffered(stream):
    """Returns a version of stream that writes whole lines.

    Under `python3 -u` every piece print() writes is a write(2) of its own, so
    another writer's line (the platform's START, a thread's print) can land in the
    middle of a line. Line buffering makes a line one write; flush_output empties
    the buffers at each invocation's end, so no output is held back past it.
    """
    import io

    raw = getattr(stream, "buffer", None)
    if isinstance(raw, io.FileIO):
        _unbuffered_streams.append(stream)  # closing it would close the fd
        return io.TextIOWrapper(
            io.BufferedWriter(raw), encoding=stream.encoding, errors=stream.errors, line_buffering=True
        )
    if hasattr(stream, "reconfigure"):
        stream.reconfigure(line_buffering=True)
    return stream


def flush_output():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def main():
    global _request_id, _tenant_id
    sys.stdout = _line_buffered(sys.stdout)
    sys.stderr = _line_buffered(sys.stderr)
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("AWS_LAMBDA_RUNTIME_API is not set\n")
        sys.exit(1)
    api = RuntimeAPI(address)
    _set_sys_path()
    _install_logging()
    _install_endpoint()
    try:
        handler = get_handler(os.environ.get("_HANDLER", ""))
    except Exception as e:
        if isinstance(e, FaultException):
            error = make_error(e.msg, e.exception_type, e.trace)
        else:
            etype, value, tb = sys.exc_info()
            error = make_error(str(value), etype.__name__, _format_frames(_user_frames(tb)))
            del tb
        import logging

        logging.warning(_UNHANDLED_WARNING)
        log_error(error)
        flush_output()
        try:
            api.post(
                "init/error",
                to_json(error).encode("utf-8"),
                [("Content-Type", "application/json"), ("Lambda-Runtime-Function-Error-Type", error["errorType"])],
            )
        except Exception as post_err:
            sys.stderr.write("stratus python runtime: %s\n" % post_err)
        sys.exit(1)

    while True:
        flush_output()  # the init phase's output belongs before the first START
        try:
            status, headers, body = api.next()
        except (OSError, RuntimeAPIError) as e:
            sys.stderr.write("stratus python runtime: Failed to get next invocation: %s\n" % e)
            sys.exit(1)
        if status == 410:  # the environment is going away
            sys.exit(0)
        if status != 200 or "lambda-runtime-aws-request-id" not in headers:
            sys.stderr.write("stratus python runtime: Failed to get next invocation: HTTP %d\n" % status)
            sys.exit(1)
        request_id = headers["lambda-runtime-aws-request-id"]
        _request_id = request_id
        _tenant_id = headers.get("lambda-runtime-aws-tenant-id")
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            handle_event(api, handler, request_id, headers, body)
        except (OSError, RuntimeAPIError) as e:
            sys.stderr.write("stratus python runtime: %s\n" % e)
            sys.exit(1)


if __name__ == "__main__":
    main()

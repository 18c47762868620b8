// Stratus's runtime client for Lambda's Node.js runtimes (nodejs18.x and later).
//
// Started as `node bootstrap.cjs` in the function's code directory with the
// environment Lambda gives a runtime, it loads the handler named by _HANDLER from
// LAMBDA_TASK_ROOT and serves invocations from the Runtime API at
// AWS_LAMBDA_RUNTIME_API, following the conventions of AWS's own Node.js runtime
// (aws-lambda-nodejs-runtime-interface-client): the same handler resolution, the
// same context object, the same error bodies and error types, the same log line
// shapes. It uses Node's built-in modules only.
//
// What the platform sees:
//   - init: the handler module is loaded once; a failure is logged as
//     "Uncaught Exception", posted to /runtime/init/error and the process exits 129.
//   - invoke: GET /next, call the handler, POST /response or /error, repeat.
//     A callback handler's answer waits for the event loop to drain unless
//     context.callbackWaitsForEmptyEventLoop is false; an async handler's answer
//     goes out as soon as its promise settles.
//   - an uncaught exception or unhandled rejection during an invocation fails it
//     and ends the process (exit 129 / 128), as Lambda's runtime does.

'use strict';

// CommonJS, not an ES module: an ESM entry point costs Node several milliseconds
// of every cold start to set up its module loader, which an ESM handler's
// import() then sets up only when one is used.
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const Module = require('node:module');
const { createRequire } = Module;
const { pathToFileURL } = require('node:url');

const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
const runtimeDir = process.env.LAMBDA_RUNTIME_DIR || '/var/runtime';

// ---------------------------------------------------------------------------
// Errors, in the shapes Lambda's Node.js runtime gives them.

class RuntimeError extends Error {}
// Each Runtime.* error is its own class, named as AWS's are (ImportModuleError...),
// whose instances have name "Runtime.<class>".
const errorClass = (name) => {
  const c = class extends RuntimeError {};
  Object.defineProperty(c, 'name', { value: name });
  c.prototype.name = 'Runtime.' + name;
  return c;
};
const ImportModuleError = errorClass('ImportModuleError');
const HandlerNotFound = errorClass('HandlerNotFound');
const MalformedHandlerName = errorClass('MalformedHandlerName');
const UserCodeSyntaxError = errorClass('UserCodeSyntaxError');
const NodeJsExit = errorClass('NodeJsExit');
class UnhandledPromiseRejection extends RuntimeError {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
UnhandledPromiseRejection.prototype.name = 'Runtime.UnhandledPromiseRejection';

const nodeJsExitMessage =
  'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes';

function looksLikeError(o) {
  return !!o && typeof o.name === 'string' && typeof o.message === 'string' && typeof o.stack === 'string' &&
    o.name !== '' && o.message !== '' && o.stack !== '';
}

// rapidBody is the body of POST /error and /init/error: errorType, errorMessage and
// trace (not "stackTrace": that is the Python runtime's name).
function rapidBody(err) {
  try {
    if (util.types.isNativeError(err) || looksLikeError(err)) {
      return { errorType: err.name, errorMessage: err.message, trace: err.stack.split('\n') };
    }
    return { errorType: typeof err, errorMessage: err.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

// enumerable makes an Error's interesting fields show in JSON.stringify: the log
// form of an error has errorType, errorMessage, code, its own fields, and stack.
function enumerable(_k, v) {
  if (!(v instanceof Error)) return v;
  const out = Object.assign({ errorType: v.name, errorMessage: v.message, code: v.code }, v);
  if (typeof v.stack === 'string') out.stack = v.stack.split('\n');
  return out;
}

function formatted(err) {
  try {
    return '\t' + JSON.stringify(err, enumerable);
  } catch {
    return '\t' + JSON.stringify(rapidBody(err));
  }
}

const intoError = (err) => (err instanceof Error ? err : new Error(err));

// ---------------------------------------------------------------------------
// Logging: console.* write one line per call, "<time>\t<request id>\t<LEVEL>\t<msg>"
// (or a JSON object with AWS_LAMBDA_LOG_FORMAT=JSON), newlines inside a message
// turned into \r so that a message stays one log event.

const requestIdKey = Symbol.for('aws.lambda.runtime.requestId');
const setRequestId = (id) => { globalThis[requestIdKey] = id; };

const levels = {
  TRACE: { name: 'TRACE', priority: 1 },
  DEBUG: { name: 'DEBUG', priority: 2 },
  INFO: { name: 'INFO', priority: 3 },
  WARN: { name: 'WARN', priority: 4 },
  ERROR: { name: 'ERROR', priority: 5 },
  FATAL: { name: 'FATAL', priority: 6 },
};

function jsonErrorReplacer(_k, v) {
  if (!(v instanceof Error)) return v;
  return Object.assign({
    errorType: v?.constructor?.name ?? 'UnknownError',
    errorMessage: v.message,
    stackTrace: typeof v.stack === 'string' ? v.stack.split('\n') : v.stack,
  }, v);
}

function jsonLine(level, params) {
  const o = { timestamp: new Date().toISOString(), level: level.name, requestId: globalThis[requestIdKey] };
  if (params.length === 1) {
    o.message = params[0];
    try {
      return JSON.stringify(o, jsonErrorReplacer);
    } catch {
      o.message = util.format(o.message);
      return JSON.stringify(o);
    }
  }
  o.message = util.format(...params);
  for (const p of params) {
    if (p instanceof Error) {
      o.errorType = p?.constructor?.name ?? 'UnknownError';
      o.errorMessage = p.message;
      o.stackTrace = typeof p.stack === 'string' ? p.stack.split('\n') : [];
      break;
    }
  }
  return JSON.stringify(o);
}

const jsonLogs = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';

// writeLog takes console's arguments as Lambda's runtime does, (msg, ...params),
// so that console.log() with none logs "undefined" there as here. Writes to a
// pipe are synchronous on Linux, so a line is in the log before the answer it
// precedes reaches the Runtime API.
function writeLog(level, msg, params) {
  const line = jsonLogs
    ? jsonLine(level, [msg, ...params])
    : `${new Date().toISOString()}\t${globalThis[requestIdKey]}\t${level.name}\t${util.format(msg, ...params)}`;
  process.stdout.write(line.replace(/\n/g, '\r') + '\n');
}

function patchConsole() {
  const min = levels[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? levels.TRACE;
  const nop = () => {};
  const at = (level) => (level.priority >= min.priority ? (msg, ...params) => writeLog(level, msg, params) : nop);
  console.trace = at(levels.TRACE);
  console.debug = at(levels.DEBUG);
  console.info = at(levels.INFO);
  console.log = console.info;
  console.warn = at(levels.WARN);
  console.error = at(levels.ERROR);
  console.fatal = (msg, ...params) => writeLog(levels.FATAL, msg, params);
}

function logError(what, err) {
  if (jsonLogs) console.error(intoError(err));
  else console.error(what, formatted(intoError(err)));
}

// ---------------------------------------------------------------------------
// The Runtime API client: one keep-alive connection, spoken as plain HTTP/1.1 over
// node:net. node:http would cost several milliseconds to load and more on its
// first request, all of it on every cold start. The socket is unref'd while idle,
// so it never holds the event loop open (callbackWaitsForEmptyEventLoop).

const apiAddr = process.env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001';
const apiHost = apiAddr.slice(0, apiAddr.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
const apiPort = Number(apiAddr.slice(apiAddr.lastIndexOf(':') + 1));
const base = '/2018-06-01/runtime';

let sock = null; // the connection, once dialled
let sockReady = false; // connected
let connecting = null; // a request waiting for the connection: { go, reject }
let waiting = null; // the request in flight: { resolve, reject }
let rx = Buffer.alloc(0); // bytes received and not yet parsed
let queue = Promise.resolve(); // calls go one at a time, in order

function onData(chunk) {
  rx = rx.length ? Buffer.concat([rx, chunk]) : chunk;
  const res = parseResponse();
  if (res && waiting) {
    const w = waiting;
    waiting = null;
    sock.unref();
    w.resolve(res);
  }
}

function onGone(err) {
  sock = null;
  sockReady = false;
  rx = Buffer.alloc(0);
  if (connecting) {
    const c = connecting;
    connecting = null;
    c.reject(err || new Error('connection closed'));
  }
  if (waiting) {
    const w = waiting;
    waiting = null;
    w.reject(err || new Error('connection closed'));
  }
}

// parseResponse takes one whole response off rx, or returns null if more bytes
// are needed. The Runtime API always sends Content-Length or chunked bodies.
function parseResponse() {
  const end = rx.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = rx.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c > 0) headers[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
  }
  let at = end + 4;
  let body;
  if (headers['transfer-encoding'] === 'chunked') {
    const parts = [];
    for (;;) {
      const nl = rx.indexOf('\r\n', at);
      if (nl < 0) return null;
      const size = parseInt(rx.subarray(at, nl).toString('latin1'), 16);
      if (rx.length < nl + 2 + size + 2) return null;
      if (size === 0) {
        at = nl + 4;
        break;
      }
      parts.push(rx.subarray(nl + 2, nl + 2 + size));
      at = nl + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else {
    const n = Number(headers['content-length'] || 0);
    if (rx.length < at + n) return null;
    body = rx.subarray(at, at + n);
    at += n;
  }
  const text = body.toString('utf8');
  rx = rx.subarray(at);
  return { status, headers, body: text };
}

// The connection Stratus may hand its own client ready-made, as an inherited
// socket (_STRATUS_RUNTIME_API_FD): spoken with blocking reads and writes through
// node:fs, it spares a cold start loading node:net and its streams (about a fifth
// of the client's start) and the first connect. Blocking in /next is what the
// runtime does anyway: between invocations Lambda freezes the environment, so
// nothing is left to run then. Without the variable (or if the descriptor is not a
// socket) the client connects to AWS_LAMBDA_RUNTIME_API as any runtime does.
const apiFd = inheritedSocket();

function inheritedSocket() {
  const v = process.env._STRATUS_RUNTIME_API_FD;
  delete process.env._STRATUS_RUNTIME_API_FD;
  if (v === undefined) return -1;
  try {
    if (fs.fstatSync(Number(v)).isSocket()) return Number(v);
  } catch {}
  return -1;
}

const readBuf = apiFd >= 0 ? Buffer.allocUnsafe(65536) : null;

function sendSync(method, urlPath, body, headers) {
  let head = `${method} ${urlPath} HTTP/1.1\r\nHost: ${apiAddr}\r\n`;
  for (const [k, v] of Object.entries(headers || {})) head += `${k}: ${v}\r\n`;
  let out;
  if (body !== undefined) {
    const b = Buffer.from(body, 'utf8');
    out = Buffer.concat([Buffer.from(head + `Content-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n`, 'latin1'), b]);
  } else {
    out = Buffer.from(head + '\r\n', 'latin1');
  }
  for (let off = 0; off < out.length; ) off += retrying(() => fs.writeSync(apiFd, out, off));
  for (;;) {
    const res = parseResponse();
    if (res) return res;
    const n = retrying(() => fs.readSync(apiFd, readBuf, 0, readBuf.length, null));
    if (n === 0) throw new Error('connection closed');
    const got = Buffer.from(readBuf.subarray(0, n));
    rx = rx.length ? Buffer.concat([rx, got]) : got;
  }
}

// retrying repeats a system call interrupted by a signal.
function retrying(f) {
  for (;;) {
    try {
      return f();
    } catch (err) {
      if (err.code !== 'EINTR' && err.code !== 'EAGAIN') throw err;
    }
  }
}

function send(method, urlPath, body, headers) {
  if (apiFd >= 0) {
    try {
      return Promise.resolve(sendSync(method, urlPath, body, headers));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return new Promise((resolve, reject) => {
    const go = () => {
      waiting = { resolve, reject };
      sock.ref();
      let head = `${method} ${urlPath} HTTP/1.1\r\nHost: ${apiAddr}\r\n`;
      for (const [k, v] of Object.entries(headers || {})) head += `${k}: ${v}\r\n`;
      if (body !== undefined) {
        const b = Buffer.from(body, 'utf8');
        sock.write(head + `Content-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n`);
        sock.write(b);
      } else {
        sock.write(head + '\r\n');
      }
    };
    if (!sock) dial();
    if (sockReady) return go();
    connecting = { go, reject };
    sock.ref();
  });
}

// dial connects to the Runtime API. The client dials as it starts, before it
// loads the handler: the connection is then ready for the first /next, and the
// cost of Node's first connect falls while there is nothing else to do.
function dial() {
  sockReady = false;
  sock = require('node:net').connect(apiPort, apiHost, () => {
    sockReady = true;
    const c = connecting;
    connecting = null;
    if (c) c.go();
  });
  sock.setNoDelay(true);
  sock.on('data', onData);
  sock.on('error', onGone);
  sock.on('close', () => onGone());
  sock.unref();
}

function call(method, urlPath, body, headers) {
  const p = queue.then(() => send(method, urlPath, body, headers));
  queue = p.catch(() => {});
  return p;
}

// lost ends the process when the Runtime API is gone: the environment is over.
function lost(err) {
  process.stderr.write(`stratus runtime: Runtime API unreachable: ${err?.message ?? err}\n`);
  process.exit(1);
}

function post(urlPath, body, headers, done) {
  call('POST', urlPath, body, headers).then(() => done && done(), lost);
}

function serialize(v) {
  try {
    return JSON.stringify(v === undefined ? null : v);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

// errorTypeHeader is the Lambda-Runtime-Function-Error-Type of an error body: its
// errorType, less what an HTTP header cannot carry.
function errorTypeHeader(b) {
  return { 'Lambda-Runtime-Function-Error-Type': String(b.errorType).replace(/[^\x20-\x7e]/g, '') };
}

function postInitError(err, done) {
  const b = rapidBody(err);
  post(`${base}/init/error`, serialize(b), errorTypeHeader(b), done);
}

function postInvocationError(err, id, done) {
  const b = rapidBody(err);
  post(`${base}/invocation/${encodeURIComponent(id)}/error`, serialize(b), errorTypeHeader(b), done);
}

function postInvocationResponse(result, id, done) {
  post(`${base}/invocation/${encodeURIComponent(id)}/response`, serialize(result), undefined, done);
}

async function nextInvocation() {
  let res;
  try {
    res = await call('GET', `${base}/invocation/next`);
  } catch (err) {
    lost(err);
  }
  if (res.status !== 200) {
    // 410: the environment is shutting down.
    process.exit(res.status === 410 ? 0 : 1);
  }
  return res;
}

// ---------------------------------------------------------------------------
// Loading the handler.

// NODE_PATH as Lambda's bootstrap sets it (unless the function set its own), so
// that require() finds packages in layers (/opt/nodejs/...) and the code directory.
// Layers are under /opt on AWS; Stratus's process sandbox names their directory.
if (!process.env.NODE_PATH) {
  const opt = process.env._STRATUS_OPT_DIR || '/opt';
  const named = /^AWS_Lambda_nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV || '');
  const major = named ? named[1] : process.versions.node.split('.')[0];
  process.env.NODE_PATH = [`${opt}/nodejs/node${major}/node_modules`, `${opt}/nodejs/node_modules`,
    path.join(runtimeDir, 'node_modules'), runtimeDir, taskRoot].join(':');
}
if (typeof Module._initPaths === 'function') Module._initPaths();

// The runtime's require is rooted where Lambda's runtime lives, so that a missing
// module reads "Require stack:\n- /var/runtime/index.mjs" as it does in Lambda.
const runtimeRequire = createRequire(path.join(runtimeDir, 'index.mjs'));

function tryRequire(file) {
  return fs.existsSync(file) ? runtimeRequire(file) : undefined;
}

// tryImport loads an ES module. Where Node can require() one (20.19+, 22.12+) that
// is done first: import() brings up the asynchronous ESM loader, which costs a cold
// start about 5 to 7 ms more. A module with top-level await cannot be required and
// is imported, as are all modules on older Node versions.
async function tryImport(file) {
  if (!fs.existsSync(file)) return undefined;
  if (process.features.require_module) {
    try {
      return runtimeRequire(file);
    } catch (err) {
      if (err?.code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    }
  }
  return await import(pathToFileURL(file).href);
}

// typeModule reports whether the nearest package.json above dir says
// "type": "module" (stopping at a node_modules folder, as Node does).
function typeModule(dir) {
  for (;;) {
    if (dir.endsWith('/node_modules')) return false;
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'));
        if (pkg) return pkg.type === 'module';
      } catch (e) {
        console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

// loadModule finds the module the way Lambda does: the extensionless file, then
// .js (CommonJS unless package.json says "type": "module"), .mjs, .cjs, and last a
// Node-style resolution from the code directory.
async function loadModule(moduleRoot, name) {
  const file = path.resolve(taskRoot, moduleRoot, name);
  const extensionless = tryRequire(file);
  if (extensionless) return extensionless;
  const esm = typeModule(path.dirname(file));
  if (!esm) {
    const m = tryRequire(file + '.js');
    if (m) return m;
  }
  const m = (esm && (await tryImport(file + '.js'))) || (await tryImport(file + '.mjs')) || tryRequire(file + '.cjs');
  if (m) return m;
  return runtimeRequire(runtimeRequire.resolve(name, { paths: [taskRoot, moduleRoot] }));
}

// loadHandler returns the function _HANDLER names ("dir/file.export.nested"), or
// throws one of the Runtime.* errors.
async function loadHandler(full) {
  if (full.includes('..')) {
    throw new MalformedHandlerName(`'${full}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const handlerString = path.basename(full);
  const moduleRoot = full.substring(0, full.indexOf(handlerString));
  const match = handlerString.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new MalformedHandlerName('Bad handler');
  const [, name, exportPath] = match;

  const noGlobal = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (noGlobal !== '1' && noGlobal !== 'true') globalThis.awslambda = { streamifyResponse, HttpResponseStream };
  let app;
  try {
    app = await loadModule(moduleRoot, name);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    if (e && e.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(e);
    throw e;
  }
  const fn = exportPath.split('.').reduce((o, k) => o && o[k], app);
  if (!fn) throw new HandlerNotFound(`${full} is undefined or not exported`);
  if (typeof fn !== 'function') throw new HandlerNotFound(`${full} is not a function`);
  return fn;
}

// streamifyResponse marks a response-streaming handler. Stratus does not stream
// responses yet: the stream is collected and sent as one response.
const streamingKey = Symbol.for('aws.lambda.runtime.handler.streaming');
function streamifyResponse(handler) {
  handler[streamingKey] = 'response';
  return handler;
}

// HttpResponseStream.from would send the HTTP status and headers ahead of the
// body; with the response buffered there is nowhere to send them, so only the
// body is kept.
const HttpResponseStream = {
  from(stream, _prelude) {
    return stream;
  },
};

// ---------------------------------------------------------------------------
// The invoke loop.

// What to do when the event loop runs dry: answer a callback handler's result,
// or settle an invocation whose handler never answered.
let beforeExit = () => {};
const resetBeforeExit = () => { beforeExit = () => {}; };

// errorCallbacks decide what an uncaught exception or unhandled rejection does:
// during init it is an init error, during an invocation it fails that invocation.
const errorCallbacks = {
  uncaughtException: (err) => postInitError(err, () => process.exit(129)),
  unhandledRejection: (err) => postInitError(err, () => process.exit(128)),
};

// runtime holds the handler: calling it as runtime.handler(...) makes stack
// frames read "at Runtime.handler (file:///...)", as they do in Lambda.
class Runtime {}
const runtime = new Runtime();
let isAsync = false;
let streaming = false;

function scheduleIteration() {
  setImmediate(() => {
    handleOnce().catch((err) => {
      console.log(`Unexpected Top Level Error: ${err}`);
      errorCallbacks.uncaughtException(err);
    });
  });
}

// callbackContext builds the callback and the context's callback-related members.
// Only the first of callback/succeed/fail/done counts.
function callbackContext(id) {
  const postError = (err, next) => {
    logError('Invoke Error', err);
    postInvocationError(err, id, next);
  };
  let completed = false;
  const complete = (result, next) => {
    if (completed) {
      console.error('Invocation has already been reported as done. Cannot call complete more than once per invocation.');
      return;
    }
    completed = true;
    let body;
    try {
      body = serialize(result);
    } catch (err) {
      postError(err, next);
      return;
    }
    post(`${base}/invocation/${encodeURIComponent(id)}/response`, body, undefined, next);
  };
  let waitForEmptyEventLoop = true;
  const callback = (err, result) => {
    resetBeforeExit();
    if (err !== undefined && err !== null) {
      postError(err, scheduleIteration);
    } else if (!waitForEmptyEventLoop) {
      complete(result, scheduleIteration);
    } else {
      beforeExit = () => setImmediate(() => complete(result, scheduleIteration));
    }
  };
  const done = (err, result) => {
    resetBeforeExit();
    if (err !== undefined && err !== null) postError(err, scheduleIteration);
    else complete(result, scheduleIteration);
  };
  let finished = false;
  const once = (f) => function (...args) {
    if (!finished) {
      f(...args);
      finished = true;
    }
  };
  const context = {
    get callbackWaitsForEmptyEventLoop() { return waitForEmptyEventLoop; },
    set callbackWaitsForEmptyEventLoop(v) { waitForEmptyEventLoop = v; },
    succeed: once((result) => done(null, result)),
    fail: once((err) => (err === undefined || err === null ? done('handled') : done(err, null))),
    done: once(done),
  };
  return [once(callback), context, () => { completed = true; }, postError];
}

function parseJSONHeader(v, name) {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

async function handleOnce() {
  const { body, headers } = await nextInvocation();
  const id = headers['lambda-runtime-aws-request-id'];
  setRequestId(id);
  const [callback, context, markCompleted, postError] = callbackContext(id);
  try {
    errorCallbacks.uncaughtException = (err) => postInvocationError(err, id, () => process.exit(129));
    errorCallbacks.unhandledRejection = (err) => postInvocationError(err, id, () => process.exit(128));
    beforeExit = () => {
      markCompleted();
      if (isAsync) {
        const err = new NodeJsExit(nodeJsExitMessage);
        logError('Invoke Error', err);
        postInvocationError(err, id, scheduleIteration);
      } else {
        postInvocationResponse(null, id, scheduleIteration);
      }
    };

    const trace = headers['lambda-runtime-trace-id'];
    if (trace) process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;

    const event = JSON.parse(body);
    const deadline = Number(headers['lambda-runtime-deadline-ms']);
    Object.assign(context, {
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: parseJSONHeader(headers['lambda-runtime-client-context'], 'ClientContext'),
      identity: parseJSONHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
      invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
      awsRequestId: id,
      getRemainingTimeInMillis: function getRemainingTimeInMillis() { return deadline - Date.now(); },
    });
    if (headers['lambda-runtime-aws-tenant-id'] !== undefined) context.tenantId = headers['lambda-runtime-aws-tenant-id'];

    if (streaming) {
      await invokeStreaming(event, context, id, postError);
      return;
    }
    const result = runtime.handler(event, context, callback);
    if (result && typeof result.then === 'function') {
      result.then(context.succeed, context.fail).catch(context.fail);
    }
  } catch (err) {
    callback(err);
  }
}

// invokeStreaming runs a streamifyResponse handler, collecting what it writes.
async function invokeStreaming(event, context, id, postError) {
  const { Writable } = await import('node:stream');
  const chunks = [];
  const stream = new Writable({
    write(chunk, enc, cb) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, enc) : chunk);
      cb();
    },
  });
  stream.setContentType = () => {};
  resetBeforeExit();
  try {
    await runtime.handler(event, stream, context);
    if (!stream.writableFinished) await new Promise((resolve) => stream.end(resolve));
  } catch (err) {
    postError(err, scheduleIteration);
    return;
  }
  post(`${base}/invocation/${encodeURIComponent(id)}/response`, Buffer.concat(chunks), undefined, scheduleIteration);
}

// ---------------------------------------------------------------------------
// Start.

patchConsole();
process.on('uncaughtException', (err) => {
  logError('Uncaught Exception', err);
  errorCallbacks.uncaughtException(err);
});
process.on('unhandledRejection', (reason, promise) => {
  const err = new UnhandledPromiseRejection(reason, promise);
  logError('Unhandled Promise Rejection', err);
  errorCallbacks.unhandledRejection(err);
});
process.on('beforeExit', () => beforeExit());

if (apiFd < 0) dial();
(async () => {
  try {
    runtime.handler = await loadHandler(process.env._HANDLER || '');
    isAsync = runtime.handler.constructor?.name === 'AsyncFunction';
    streaming = runtime.handler[streamingKey] === 'response';
  } catch (err) {
    logError('Uncaught Exception', err);
    postInitError(err, () => process.exit(129));
  }
  if (runtime.handler) scheduleIteration();
})();

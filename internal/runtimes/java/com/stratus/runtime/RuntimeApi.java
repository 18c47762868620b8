package com.stratus.runtime;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client for the Runtime API over one kept-alive socket.
 * java.net.http and HttpURLConnection load hundreds of classes, which a cold
 * start would pay for.
 */
final class RuntimeApi {
    static final String PREFIX = "/2018-06-01/runtime/";

    /** One answer of the Runtime API; header names are lower case. */
    static final class Response {
        final int status;
        final Map<String, String> headers;
        final byte[] body;

        Response(int status, Map<String, String> headers, byte[] body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
        }
    }

    private final String hostHeader;
    private final String host;
    private final int port;
    private Socket sock;
    private InputStream in;
    private OutputStream out;

    RuntimeApi(String address) {
        hostHeader = address;
        int i = address.lastIndexOf(':');
        if (i < 0) {
            host = address;
            port = 80;
        } else {
            host = address.substring(0, i).replace("[", "").replace("]", "");
            port = Integer.parseInt(address.substring(i + 1));
        }
    }

    private void connect() throws IOException {
        close();
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port));
        sock = s;
        in = new BufferedInputStream(s.getInputStream(), 65536);
        out = s.getOutputStream();
    }

    void close() {
        if (sock != null) {
            try {
                sock.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        sock = null;
    }

    /**
     * Sends one request and returns the answer. A kept-alive connection the
     * server closed meanwhile is reopened once.
     */
    Response request(String method, String path, byte[] body, String[] headers) throws IOException {
        StringBuilder head = new StringBuilder(256);
        head.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ").append(hostHeader).append("\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        if (!method.equals("GET")) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.UTF_8);
        for (int attempt = 0; ; attempt++) {
            boolean fresh = sock == null;
            if (fresh) {
                connect();
            }
            String status;
            try {
                out.write(h);
                if (body.length > 0) {
                    out.write(body);
                }
                out.flush();
                status = readLine();
            } catch (IOException e) {
                close();
                if (fresh || attempt > 0) {
                    throw e;
                }
                continue;
            }
            try {
                return readResponse(status);
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed by the Runtime API");
            }
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                b.write(c);
            }
            if (b.size() > 65536) {
                throw new IOException("header line too long");
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private byte[] readN(int n) throws IOException {
        byte[] b = new byte[n];
        int have = 0;
        while (have < n) {
            int got = in.read(b, have, n - have);
            if (got < 0) {
                throw new EOFException("connection closed by the Runtime API");
            }
            have += got;
        }
        return b;
    }

    private Response readResponse(String statusLine) throws IOException {
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("bad status line " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new HashMap<>();
        while (true) {
            String line = readLine();
            if (line.isEmpty()) {
                break;
            }
            int i = line.indexOf(':');
            if (i > 0) {
                headers.put(line.substring(0, i).trim().toLowerCase(), line.substring(i + 1).trim());
            }
        }
        byte[] body;
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                String size = readLine();
                int semi = size.indexOf(';');
                int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                if (n == 0) {
                    while (!readLine().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                b.write(readN(n));
                readLine();
            }
            body = b.toByteArray();
        } else if (headers.containsKey("content-length")) {
            body = readN(Integer.parseInt(headers.get("content-length")));
        } else {
            body = in.readAllBytes();
            close();
            return new Response(status, headers, body);
        }
        if ("close".equalsIgnoreCase(headers.get("connection"))) {
            close();
        }
        return new Response(status, headers, body);
    }

    Response next() throws IOException {
        return request("GET", PREFIX + "invocation/next", new byte[0], new String[0]);
    }

    /** Posts to PREFIX+path; anything but 202 is an IOException. */
    void post(String path, byte[] body, String... headers) throws IOException {
        Response r = request("POST", PREFIX + path, body, headers);
        if (r.status != 202) {
            throw new IOException("Request to Lambda Runtime '" + path + "' endpoint failed. Reason: '" + r.status
                    + "'. Response body: '" + new String(r.body, StandardCharsets.UTF_8) + "'");
        }
    }
}

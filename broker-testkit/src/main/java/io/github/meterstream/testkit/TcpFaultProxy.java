package io.github.meterstream.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback between a client under test and a real server (a database, a broker),
 * that injects network faults for real: {@link #cut()} resets every open connection and refuses
 * new ones (a server restart, a failover), {@link #blackhole()} keeps connections open but lets no
 * byte through (a stalled server, a dropped route: the client waits on its own timeouts), and
 * {@link #heal()} lets traffic flow again. Point the client at {@link #port()} instead of the
 * server's port.
 *
 * <p>One thread per direction per connection; meant for tests, not for throughput.
 */
public final class TcpFaultProxy implements AutoCloseable {

    private enum Mode { FLOWING, CUT, BLACKHOLE }

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Object modeLock = new Object();
    private volatile Mode mode = Mode.FLOWING;
    private volatile boolean closed;
    private final Thread acceptor;

    /** Starts a proxy on an ephemeral loopback port forwarding to {@code targetHost:targetPort}. */
    public TcpFaultProxy(String targetHost, int targetPort) throws IOException {
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "fault-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The loopback port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** Resets every open connection and refuses new ones until {@link #heal()}. */
    public void cut() {
        mode = Mode.CUT;
        closeAll();
    }

    /**
     * Lets no byte through in either direction, without closing anything: clients see a server
     * that stopped answering. New connections are accepted but get nothing either.
     */
    public void blackhole() {
        mode = Mode.BLACKHOLE;
    }

    /** Lets traffic flow again; connections blackholed meanwhile resume, cut ones stay closed. */
    public void heal() {
        synchronized (modeLock) {
            mode = Mode.FLOWING;
            modeLock.notifyAll();
        }
    }

    /** Connections currently open through the proxy (client side). */
    public int openConnections() {
        return open.size() / 2;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (mode == Mode.CUT) {
                reset(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(target, 5_000);
            } catch (IOException e) {
                reset(client);
                closeQuietly(upstream);
                continue;
            }
            open.add(client);
            open.add(upstream);
            pump(client, upstream, "up");
            pump(upstream, client, "down");
        }
    }

    private void pump(Socket from, Socket to, String direction) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    awaitFlowing();
                    if (mode == Mode.CUT || closed) {
                        break;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the connection was cut or closed: close both ends below
            } finally {
                open.remove(from);
                open.remove(to);
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "fault-proxy-" + port() + "-" + direction);
        t.setDaemon(true);
        t.start();
    }

    private void awaitFlowing() throws InterruptedException {
        synchronized (modeLock) {
            while (mode == Mode.BLACKHOLE && !closed) {
                modeLock.wait(100);
            }
        }
    }

    private void closeAll() {
        for (Socket s : open) {
            reset(s);
        }
        open.clear();
    }

    /** Closes with RST rather than FIN, as a crashed server's kernel would. */
    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // already closed
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        heal();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        closeAll();
    }
}

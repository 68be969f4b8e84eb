// ZooKeeper's own Java client (asynchronous API) under the same closed loops as the Rust
// contenders of zk-bench. Usage: BenchClient SCENARIO SERVER WARMUP_MS MEASURE_MS
// Prints one JSON line (for the watch scenario: "ready" first, then waits for a line on stdin).

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

public class BenchClient {
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime();
    }

    static long statusKb(String key) throws Exception {
        for (String l : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (l.startsWith(key)) {
                return Long.parseLong(l.substring(key.length()).replace("kB", "").trim());
            }
        }
        return 0;
    }

    /** Latencies (µs) and counts, touched only by the client's event thread. */
    static final class Record {
        int[] lat = new int[1 << 20];
        int n;
        long ops;
        boolean measuring;
        void add(long startNanos) {
            if (!measuring) return;
            ops++;
            if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
            lat[n++] = (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - startNanos) / 1000);
        }
    }

    interface Op { void start(long i, long startNanos, Runnable done); }

    static String result(Record r, double secs, double cpuMs, String extra) throws Exception {
        int[] l = Arrays.copyOf(r.lat, r.n);
        Arrays.sort(l);
        java.util.function.DoubleFunction<String> q = p -> l.length == 0 ? "null"
            : Integer.toString(l[(int) Math.round((l.length - 1) * p)]);
        return String.format(java.util.Locale.ROOT,
            "{\"ops\":%d,\"secs\":%.6f,\"ops_per_sec\":%.3f,\"p50_us\":%s,\"p99_us\":%s,\"p999_us\":%s,"
                + "\"cpu_us_per_op\":%.4f,\"peak_rss_kb\":%d,\"extra\":{%s}}",
            r.ops, secs, secs > 0 ? r.ops / secs : 0.0, q.apply(0.5), q.apply(0.99), q.apply(0.999),
            r.ops > 0 ? cpuMs * 1000.0 / r.ops : 0.0, statusKb("VmHWM:"), extra);
    }

    /**
     * When the warm-up is over, the rule of zk-bench's warmup.rs: at least the minimum, then
     * until two consecutive half-second windows' throughputs differ by at most 5%, at most
     * 15 s.
     */
    static final class Warmup {
        final long started = System.nanoTime();
        final long minNanos;
        long windowStart = started, windowOps;
        double lastRate = -1;
        Warmup(long minMs) { minNanos = minMs * 1_000_000L; }
        boolean done(long now, long ops) {
            windowOps += ops;
            long elapsed = now - started;
            if (elapsed >= 15_000_000_000L) return true;
            long span = now - windowStart;
            if (span < 500_000_000L) return false;
            double rate = windowOps / (span / 1e9);
            boolean stable = lastRate > 0 && Math.abs(rate - lastRate) / lastRate <= 0.05;
            lastRate = rate;
            windowStart = now;
            windowOps = 0;
            return elapsed >= minNanos && stable;
        }
        double elapsedMs(long now) { return (now - started) / 1e6; }
    }

    /** Keeps `c` operations in flight; warms up until stable, then measures for `measureMs`. */
    static String closedLoop(int c, long warmupMs, long measureMs, Op op) throws Exception {
        Semaphore permits = new Semaphore(c);
        Record r = new Record();
        AtomicLong completed = new AtomicLong();
        Warmup warm = new Warmup(warmupMs);
        long i = 0;
        long t0 = 0;
        double cpu0 = 0;
        double warmedMs = 0;
        boolean measuring = false;
        while (true) {
            permits.acquire();
            long now = System.nanoTime();
            if (!measuring && warm.done(now, completed.getAndSet(0))) {
                synchronized (r) { r.measuring = true; }
                measuring = true;
                warmedMs = warm.elapsedMs(now);
                t0 = now;
                cpu0 = cpuNanos() / 1e6;
            }
            if (measuring && now - t0 >= measureMs * 1_000_000L) break;
            // The clock starts before the call, as for every contender.
            final long start = System.nanoTime();
            op.start(i++, start, () -> {
                synchronized (r) { r.add(start); }
                completed.incrementAndGet();
                permits.release();
            });
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpuMs = cpuNanos() / 1e6 - cpu0;
        synchronized (r) { r.measuring = false; }
        permits.acquire(c - 1);
        return result(r, secs, cpuMs, String.format(java.util.Locale.ROOT, "\"warmup_ms\":%.1f", warmedMs));
    }

    static ZooKeeper connect(String server) throws Exception {
        CountDownLatch up = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(server, 10000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) up.countDown();
        });
        if (!up.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("no session with " + server);
        return zk;
    }

    public static void main(String[] args) throws Exception {
        String scenario = args[0];
        String server = args[1];
        long warmup = Long.parseLong(args[2]);
        long measure = Long.parseLong(args[3]);
        byte[] data = new byte[1024];
        Arrays.fill(data, (byte) 'y');
        String out;
        if (scenario.equals("sessions-1k")) {
            long before = statusKb("VmRSS:");
            long t = System.nanoTime();
            double cpu0 = cpuNanos() / 1e6;
            // 16 at a time, as the Rust contenders open theirs.
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
            List<java.util.concurrent.Future<ZooKeeper>> opening = new ArrayList<>();
            for (int i = 0; i < 1000; i++) opening.add(pool.submit(() -> connect(server)));
            List<ZooKeeper> sessions = new ArrayList<>();
            for (java.util.concurrent.Future<ZooKeeper> f : opening) sessions.add(f.get());
            pool.shutdown();
            double secs = (System.nanoTime() - t) / 1e9;
            double cpuMs = cpuNanos() / 1e6 - cpu0;
            double per = (statusKb("VmRSS:") - before) * 1024.0 / 1000;
            double idle0 = cpuNanos() / 1e6;
            Thread.sleep(5000);
            double idle = (cpuNanos() / 1e6 - idle0) / 5.0;
            Record r = new Record();
            r.ops = 1000;
            out = result(r, secs, cpuMs, String.format(java.util.Locale.ROOT,
                "\"bytes_per_session\":%.1f,\"idle_cpu_ms_per_s\":%.3f", per, idle));
            System.out.println(out);
            System.out.flush();
            System.exit(0);
        }
        if (scenario.equals("get-1k-100-sessions-c8")) {
            List<ZooKeeper> sessions = new ArrayList<>();
            for (int i = 0; i < 100; i++) sessions.add(connect(server));
            out = closedLoop(800, warmup, measure, (i, s, done) ->
                sessions.get((int) (i % 100)).getData("/bench/data", false, (rc, p, ctx, d, stat) -> done.run(), null));
            System.out.println(out);
            System.out.flush();
            System.exit(0);
        }
        ZooKeeper zk = connect(server);
        int c = scenario.startsWith("get-1k-c") ? Integer.parseInt(scenario.substring(8))
            : scenario.equals("children-10k-c8") ? 8 : 64;
        switch (scenario) {
            case "watches-100k": {
                Watcher watcher = e -> { };
                Semaphore permits = new Semaphore(1024);
                Record r = new Record();
                r.measuring = true;
                long before = statusKb("VmRSS:");
                long t = System.nanoTime();
                double cpu0 = cpuNanos() / 1e6;
                for (int i = 0; i < 100_000; i++) {
                    permits.acquire();
                    final long start = System.nanoTime();
                    zk.exists("/bench/w/n" + i, watcher, (rc, p, ctx, stat) -> {
                        synchronized (r) { r.add(start); }
                        permits.release();
                    }, null);
                }
                permits.acquire(1024);
                double secs = (System.nanoTime() - t) / 1e9;
                double cpuMs = cpuNanos() / 1e6 - cpu0;
                double per = (statusKb("VmRSS:") - before) * 1024.0 / 100_000;
                System.out.println("ready");
                System.out.flush();
                new BufferedReader(new InputStreamReader(System.in)).readLine();
                out = result(r, secs, cpuMs, String.format(java.util.Locale.ROOT, "\"bytes_per_watch\":%.1f", per));
                break;
            }
            case "set-1k-c64":
                out = closedLoop(c, warmup, measure, (i, s, done) ->
                    zk.setData("/bench/data", data, -1, (rc, p, ctx, stat) -> done.run(), null));
                break;
            case "exists-missing-c64":
                out = closedLoop(c, warmup, measure, (i, s, done) ->
                    zk.exists("/bench/missing", false, (rc, p, ctx, stat) -> done.run(), null));
                break;
            case "children-10k-c8":
                out = closedLoop(c, warmup, measure, (i, s, done) ->
                    zk.getChildren("/bench/kids", false, (rc, p, ctx, kids) -> done.run(), null));
                break;
            case "create-delete-c64":
                out = closedLoop(c, warmup, measure, (i, s, done) ->
                    zk.create("/bench/cd/j" + i, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
                        (rc, p, ctx, name) -> zk.delete(p, -1, (rc2, p2, ctx2) -> done.run(), null), null));
                break;
            default:
                if (!scenario.startsWith("get-1k-c")) throw new IllegalArgumentException("unknown scenario " + scenario);
                out = closedLoop(c, warmup, measure, (i, s, done) ->
                    zk.getData("/bench/data", false, (rc, p, ctx, d, stat) -> done.run(), null));
        }
        System.out.println(out);
        System.out.flush();
        zk.close();
        System.exit(0);
    }
}

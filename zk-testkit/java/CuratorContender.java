// A Curator 5.4 process contending with zk-recipes on one path: for each round it takes the
// recipe (InterProcessMutex or LeaderLatch), appends "curator in" and "curator out" lines
// around a short critical section to a shared log, and lets go; or (count, long) it adds 1
// to a SharedCount or DistributedAtomicLong each round, appending "curator add" lines.
//
// read and write take the two sides of an InterProcessReadWriteLock; semaphore runs two
// threads each taking one of 2 leases of an InterProcessSemaphoreV2 (markers "curator-N").
//
// double puts two threads into a DistributedDoubleBarrier of ROUNDS members; cache keeps a
// CuratorCache of PATH and writes its view to LOG.tree when LOG.go appears.
//
//   java CuratorContender CONNECT mutex|read|write|latch|semaphore|double|cache|count|long PATH ROUNDS LOG

import java.io.FileWriter;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.framework.recipes.locks.InterProcessLock;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;

public class CuratorContender {
    static synchronized void mark(String log, String what) throws IOException {
        mark(log, "curator", what);
    }

    static synchronized void mark(String log, String who, String what) throws IOException {
        try (FileWriter w = new FileWriter(log, true)) {
            w.write(who + " " + what + " " + System.nanoTime() + "\n");
        }
    }

    public static void main(String[] args) throws Exception {
        String connect = args[0], kind = args[1], path = args[2], log = args[4];
        int rounds = Integer.parseInt(args[3]);
        try (CuratorFramework client = CuratorFrameworkFactory.newClient(
                connect, 10000, 5000, new ExponentialBackoffRetry(100, 3))) {
            client.start();
            client.blockUntilConnected();
            if (kind.equals("semaphore")) {
                // Two threads, each with its own semaphore object, of 2 leases.
                Thread[] threads = new Thread[2];
                Exception[] failed = new Exception[1];
                for (int t = 0; t < threads.length; t++) {
                    String who = "curator-" + t;
                    threads[t] = new Thread(() -> {
                        try {
                            InterProcessSemaphoreV2 sem = new InterProcessSemaphoreV2(client, path, 2);
                            for (int i = 0; i < rounds; i++) {
                                Lease lease = sem.acquire(30, TimeUnit.SECONDS);
                                if (lease == null) throw new IllegalStateException("no lease");
                                mark(log, who, "in");
                                Thread.sleep(20);
                                mark(log, who, "out");
                                sem.returnLease(lease);
                                Thread.sleep(5);
                            }
                        } catch (Exception e) {
                            failed[0] = e;
                        }
                    });
                    threads[t].start();
                }
                for (Thread t : threads) t.join();
                if (failed[0] != null) throw failed[0];
                System.out.println("done");
                return;
            }
            if (kind.equals("cache")) {
                // A CuratorCache of PATH: "curator ready" once initialized; when LOG.go
                // appears, its view goes to LOG.tree as sorted "path hex" lines.
                CuratorCache cache = CuratorCache.build(client, path);
                cache.listenable().addListener(CuratorCacheListener.builder()
                    .forInitialized(() -> {
                        try { mark(log, "ready"); } catch (IOException e) { throw new RuntimeException(e); }
                    }).build());
                cache.start();
                java.io.File go = new java.io.File(log + ".go");
                long deadline = System.currentTimeMillis() + 120000;
                while (!go.exists()) {
                    if (System.currentTimeMillis() > deadline) throw new IllegalStateException("no go");
                    Thread.sleep(20);
                }
                java.util.TreeMap<String, String> tree = new java.util.TreeMap<>();
                cache.stream().forEach((ChildData d) -> {
                    StringBuilder hex = new StringBuilder();
                    for (byte b : d.getData() == null ? new byte[0] : d.getData()) hex.append(String.format("%02x", b));
                    tree.put(d.getPath(), hex.toString());
                });
                try (FileWriter w = new FileWriter(log + ".tree")) {
                    for (java.util.Map.Entry<String, String> e : tree.entrySet()) w.write(e.getKey() + " " + e.getValue() + "\n");
                }
                cache.close();
                System.out.println("done");
                return;
            }
            if (kind.equals("double")) {
                // Two threads in a double barrier of ROUNDS members (the rest are ours).
                Thread[] threads = new Thread[2];
                Exception[] failed = new Exception[1];
                for (int t = 0; t < threads.length; t++) {
                    String who = "curator-" + t;
                    threads[t] = new Thread(() -> {
                        try {
                            DistributedDoubleBarrier b = new DistributedDoubleBarrier(client, path, rounds);
                            mark(log, who, "arrive");
                            if (!b.enter(60, TimeUnit.SECONDS)) throw new IllegalStateException("enter");
                            mark(log, who, "entered");
                            Thread.sleep(50);
                            mark(log, who, "leaving");
                            if (!b.leave(60, TimeUnit.SECONDS)) throw new IllegalStateException("leave");
                            mark(log, who, "left");
                        } catch (Exception e) {
                            failed[0] = e;
                        }
                    });
                    threads[t].start();
                }
                for (Thread t : threads) t.join();
                if (failed[0] != null) throw failed[0];
                System.out.println("done");
                return;
            }
            if (kind.equals("count")) {
                SharedCount count = new SharedCount(client, path, 0);
                count.start();
                for (int i = 0; i < rounds; ) {
                    VersionedValue<Integer> v = count.getVersionedValue();
                    if (count.trySetCount(v, v.getValue() + 1)) {
                        i++;
                        mark(log, "add");
                    }
                }
                count.close();
                System.out.println("done");
                return;
            }
            if (kind.equals("long")) {
                DistributedAtomicLong value =
                    new DistributedAtomicLong(client, path, new RetryNTimes(1000, 1));
                for (int i = 0; i < rounds; i++) {
                    AtomicValue<Long> r = value.increment();
                    if (!r.succeeded()) throw new IllegalStateException("increment failed");
                    mark(log, "add");
                }
                System.out.println("done");
                return;
            }
            for (int i = 0; i < rounds; i++) {
                if (kind.equals("mutex") || kind.equals("read") || kind.equals("write")) {
                    InterProcessLock m = kind.equals("mutex")
                        ? new InterProcessMutex(client, path)
                        : kind.equals("read")
                            ? new InterProcessReadWriteLock(client, path).readLock()
                            : new InterProcessReadWriteLock(client, path).writeLock();
                    if (!m.acquire(30, TimeUnit.SECONDS)) throw new IllegalStateException("no lock");
                    mark(log, "in");
                    Thread.sleep(20);
                    mark(log, "out");
                    m.release();
                } else {
                    LeaderLatch latch = new LeaderLatch(client, path, "curator-" + i);
                    latch.start();
                    if (!latch.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("no leadership");
                    mark(log, "in");
                    Thread.sleep(20);
                    mark(log, "out");
                    latch.close();
                }
                Thread.sleep(5);
            }
        }
        System.out.println("done");
    }
}

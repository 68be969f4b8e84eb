// A Curator 5.4 process contending with zk-recipes on one path: for each round it takes the
// recipe (InterProcessMutex or LeaderLatch), appends "curator in" and "curator out" lines
// around a short critical section to a shared log, and lets go.
//
//   java CuratorContender CONNECT mutex|latch PATH ROUNDS LOG

import java.io.FileWriter;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;

public class CuratorContender {
    static synchronized void mark(String log, String what) throws IOException {
        try (FileWriter w = new FileWriter(log, true)) {
            w.write("curator " + what + " " + System.nanoTime() + "\n");
        }
    }

    public static void main(String[] args) throws Exception {
        String connect = args[0], kind = args[1], path = args[2], log = args[4];
        int rounds = Integer.parseInt(args[3]);
        try (CuratorFramework client = CuratorFrameworkFactory.newClient(
                connect, 10000, 5000, new ExponentialBackoffRetry(100, 3))) {
            client.start();
            client.blockUntilConnected();
            for (int i = 0; i < rounds; i++) {
                if (kind.equals("mutex")) {
                    InterProcessMutex m = new InterProcessMutex(client, path);
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

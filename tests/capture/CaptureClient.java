// Drives ZooKeeper's own Java client through the operations a capture should contain: creates
// in every mode, reads and writes with watches, ACLs with digest auth, multi and multiRead, sync,
// addWatch, removeWatches, getEphemerals, getAllChildrenNumber, whoAmI, getConfig, error
// replies, notifications, pings, and a reconnect (the capture script restarts the server when
// this program prints RESTART-NOW and waits for it) that makes the client send SetWatches.
//
// Usage: java -cp build:/usr/share/java/zookeeper.jar CaptureClient HOST:PORT MARKER_FILE
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

public class CaptureClient {
    static final List<String> events = Collections.synchronizedList(new ArrayList<>());
    static volatile CountDownLatch connected = new CountDownLatch(1);

    static Watcher watcher(String name) {
        return (WatchedEvent e) -> {
            events.add(name + " " + e);
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected && e.getType() == Watcher.Event.EventType.None) {
                connected.countDown();
            }
        };
    }

    static void expect(KeeperException.Code code, ThrowingRunnable r) throws Exception {
        try {
            r.run();
            throw new IllegalStateException("expected " + code);
        } catch (KeeperException e) {
            if (e.code() != code) throw e;
        }
    }

    interface ThrowingRunnable { void run() throws Exception; }

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    public static void main(String[] args) throws Exception {
        String hosts = args[0];
        Path marker = Paths.get(args[1]);
        List<ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;
        ZooKeeper zk = new ZooKeeper(hosts, 6000, watcher("session"));
        if (!connected.await(20, TimeUnit.SECONDS)) throw new IllegalStateException("no connection");

        zk.addAuthInfo("digest", b("user:pw"));
        String root = zk.create("/cap", b("root"), open, CreateMode.PERSISTENT);
        Stat st = new Stat();
        zk.create("/cap/persistent", b("p"), open, CreateMode.PERSISTENT, st);
        zk.create("/cap/ephemeral", b("e"), open, CreateMode.EPHEMERAL);
        zk.create("/cap/seq-", null, open, CreateMode.PERSISTENT_SEQUENTIAL);
        zk.create("/cap/eseq-", new byte[0], open, CreateMode.EPHEMERAL_SEQUENTIAL, st);
        zk.create("/cap/container", b("c"), open, CreateMode.CONTAINER);
        zk.create("/cap/ttl", b("t"), open, CreateMode.PERSISTENT_WITH_TTL, st, 60000);
        zk.create("/cap/ttlseq-", b("t"), open, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, st, 60000);
        zk.create("/cap/uni\u00e9\u4e2d", b("\u00e9"), open, CreateMode.PERSISTENT);

        // Errors.
        expect(KeeperException.Code.NODEEXISTS, () -> zk.create("/cap/persistent", null, open, CreateMode.PERSISTENT));
        expect(KeeperException.Code.NONODE, () -> zk.getData("/cap/missing", false, null));
        expect(KeeperException.Code.BADVERSION, () -> zk.setData("/cap/persistent", b("x"), 42));
        expect(KeeperException.Code.NOTEMPTY, () -> zk.delete("/cap", -1));
        expect(KeeperException.Code.NOCHILDRENFOREPHEMERALS, () -> zk.create("/cap/ephemeral/child", null, open, CreateMode.PERSISTENT));
        // (An empty ACL list is rejected by the Java client itself; an unknown scheme reaches the server.)
        expect(KeeperException.Code.INVALIDACL, () -> zk.create("/cap/badacl", null,
            Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("nosuchscheme", "x"))), CreateMode.PERSISTENT));
        if (zk.exists("/cap/missing", false) != null) throw new IllegalStateException("exists");

        // ACLs with digest auth; a second session without auth gets NoAuth.
        zk.create("/cap/secret", b("s"), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
        List<ACL> acl = zk.getACL("/cap/secret", st);
        zk.setACL("/cap/persistent", Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("world", "anyone")),
            new ACL(ZooDefs.Perms.READ, new Id("digest", "user:2Om+GBbT2q/tS6pdvACZbbm7/1A="))), -1);
        zk.getACL("/cap/persistent", null);
        connected = new CountDownLatch(1);
        ZooKeeper other = new ZooKeeper(hosts, 6000, watcher("other"));
        if (!connected.await(20, TimeUnit.SECONDS)) throw new IllegalStateException("no second connection");
        expect(KeeperException.Code.NOAUTH, () -> other.getData("/cap/secret", false, null));
        other.close();

        // One-shot watches and their notifications.
        zk.getData("/cap/persistent", true, st);
        zk.exists("/cap/later", true);
        zk.getChildren("/cap", true);
        zk.getChildren("/cap", false, st);
        zk.setData("/cap/persistent", b("changed"), -1);
        zk.create("/cap/later", null, open, CreateMode.PERSISTENT);
        zk.getData("/cap/later", true, null);
        zk.delete("/cap/later", -1);

        // multi, failed multi, multiRead, sync.
        zk.multi(Arrays.asList(
            Op.create("/cap/m1", b("1"), open, CreateMode.PERSISTENT),
            Op.create("/cap/m2", b("2"), open, CreateMode.PERSISTENT, 0),
            Op.setData("/cap/m1", b("11"), -1),
            Op.check("/cap/m1", 1),
            Op.delete("/cap/m2", -1)));
        try {
            zk.multi(Arrays.asList(
                Op.create("/cap/m3", null, open, CreateMode.PERSISTENT),
                Op.check("/cap/m1", 99),
                Op.delete("/cap/m1", -1)));
            throw new IllegalStateException("multi should fail");
        } catch (KeeperException e) {
            if (e.code() != KeeperException.Code.BADVERSION) throw e;
        }
        zk.multi(Arrays.asList(Op.getData("/cap/m1"), Op.getChildren("/cap"), Op.getData("/cap/nothing")));
        zk.sync("/cap", (rc, path, ctx) -> { }, null);

        // Persistent watches, removal, and the 3.6+ reads.
        zk.addWatch("/cap/persistent", watcher("persistent"), AddWatchMode.PERSISTENT);
        zk.addWatch("/cap", watcher("recursive"), AddWatchMode.PERSISTENT_RECURSIVE);
        zk.setData("/cap/persistent", b("again"), -1);
        zk.create("/cap/deep", null, open, CreateMode.PERSISTENT);
        Watcher w = watcher("removable");
        zk.getData("/cap/m1", w, null);
        zk.removeWatches("/cap/m1", w, Watcher.WatcherType.Data, false);
        expect(KeeperException.Code.NOWATCHER, () -> zk.removeAllWatches("/cap/m1", Watcher.WatcherType.Any, false));
        zk.removeAllWatches("/cap/persistent", Watcher.WatcherType.Any, false);
        zk.getEphemerals("/cap");
        zk.getEphemerals();
        zk.getAllChildrenNumber("/cap");
        zk.whoAmI();
        zk.getConfig(true, st);

        // Watches to replay after the server restarts: the client re-registers them with
        // SetWatches2 (a persistent-recursive watch is still registered on /cap).
        zk.getData("/cap/m1", true, null);
        zk.exists("/cap/after", true);
        zk.getChildren("/cap/persistent", true);
        connected = new CountDownLatch(1);
        Files.write(marker, b("restart"));
        System.out.println("RESTART-NOW");
        System.out.flush();
        if (!connected.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("no reconnect");
        zk.setData("/cap/m1", b("after restart"), -1);
        zk.create("/cap/after", null, open, CreateMode.PERSISTENT);

        // Idle long enough for pings (session timeout 6 s: a ping every ~1-2 s).
        Thread.sleep(4500);
        zk.getData("/cap", false, null);
        zk.close();
        System.out.println("events: " + events.size());
        for (String e : events) System.out.println("  " + e);
    }
}

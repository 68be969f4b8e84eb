"""A kazoo process contending with zk-recipes on one path: for each round it takes kazoo's
Lock or wins kazoo's Election, appends "kazoo in" and "kazoo out" lines around a short
critical section to a shared log, and lets go.

    python kazoo_contender.py CONNECT lock|election PATH ROUNDS LOG
"""
import sys
import time

from kazoo.client import KazooClient
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock


def mark(log, what):
    with open(log, "a") as f:
        f.write("kazoo %s\n" % what)


def main():
    connect, kind, path, rounds, log = sys.argv[1:6]
    zk = KazooClient(hosts=connect, timeout=10.0)
    zk.start(timeout=30)
    for i in range(int(rounds)):
        if kind == "lock":
            lock = Lock(zk, path, "kazoo-%d" % i)
            if not lock.acquire(timeout=30):
                raise SystemExit("no lock")
            mark(log, "in")
            time.sleep(0.02)
            mark(log, "out")
            lock.release()
        else:
            election = Election(zk, path, "kazoo-%d" % i)

            def lead():
                mark(log, "in")
                time.sleep(0.02)
                mark(log, "out")

            election.run(lead)
        time.sleep(0.005)
    zk.stop()
    print("done")


main()

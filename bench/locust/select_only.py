"""pgbench's select-only transaction as a Locust user, for bench/locust-compare.ts.

Each user holds one psycopg 3 connection, opened in on_start, and runs
SELECT abalance FROM pgbench_accounts WHERE aid = %s with aid uniform in
1..100000*scale, in a closed loop (wait_time constant(0)), like one pgbench -c
client. Every query is reported to Locust with events.request.fire, so Locust's
own statistics (request count, percentiles in the --csv files) are what the
bench reads.

Prepared statements: psycopg 3 prepares a query server-side automatically once
the same connection has run it prepare_threshold times (default 5), so after
the first few requests this runs as Bind/Execute of a prepared statement, as
pgbench -M prepared and pgsurge -M prepared do. Autocommit is on, so each
request is one statement and no BEGIN/COMMIT round trips, as in pgbench's
select-only script.

Concurrency: Locust monkey-patches the standard library with gevent before it
loads this file, and psycopg 3.1 then waits on its socket through gevent's
selector (psycopg.waiting.wait is wait_selector, select.select is gevent's), so
the users of one process overlap their round trips instead of blocking each
other. Debian's psycopg 3.1.7 is the pure-Python build (libpq through ctypes).

Environment (set by the bench): PGSURGE_LOCUST_DSN (a libpq URL) and
PGSURGE_LOCUST_SCALE (the pgbench scale of the data set).
"""

import os
import random
import time

import psycopg
from locust import User, constant, task

DSN = os.environ.get("PGSURGE_LOCUST_DSN", "postgresql://127.0.0.1/postgres")
SCALE = int(os.environ.get("PGSURGE_LOCUST_SCALE", "10"))
ACCOUNTS = 100000 * SCALE
QUERY = "SELECT abalance FROM pgbench_accounts WHERE aid = %s"


class SelectOnlyUser(User):
    wait_time = constant(0)

    def on_start(self):
        self.conn = psycopg.connect(DSN, autocommit=True)
        self.cur = self.conn.cursor()

    def on_stop(self):
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.close()

    @task
    def select_only(self):
        aid = random.randint(1, ACCOUNTS)
        exception = None
        start = time.perf_counter()
        try:
            self.cur.execute(QUERY, (aid,))
            self.cur.fetchall()
        except Exception as e:  # reported to Locust as a failure, as pgbench counts failures
            exception = e
        ms = (time.perf_counter() - start) * 1000.0
        self.environment.events.request.fire(
            request_type="pg",
            name="select-only",
            response_time=ms,
            response_length=0,
            exception=exception,
            context={},
        )


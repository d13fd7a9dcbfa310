"""The Spark 4 jar on a real Spark standalone cluster (one master, two workers of one core each,
started from the pyspark distribution in .venv, all on loopback) reading `format("wekeo")` from two
bridges started with `--peers` on two loopback addresses (127.0.0.1 and 127.0.0.2):
- the result equals a direct pyarrow.flight read of the same query, with tasks on both executors;
- each Spark partition prefers exactly the hosts of its Flight endpoint's locations, owner first;
- with one bridge stopped in the middle of a job (task retries off), the job still returns the full
  exact result, every partition read once: those the stopped bridge owned and had not served yet
  are read from the other location;
- on this Spark (pyspark 4.3 in the venv, while the jar is built and JUnit-tested against 4.0):
  CREATE TABLE ... USING wekeo, the catalog with a dataset's variable groups as tables, EXPLAIN.
The jar is built with Maven when missing or older than the shim's sources."""
import datetime as dt
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as fl
import pytest

from conftest import ROOT, _serve, canonical

pyspark = pytest.importorskip("pyspark", minversion="4.0")

SHIM = ROOT / "jvm-shim"
JAR = SHIM / "target" / "wekeo-spark_4_2.13-0.1.0.jar"
SPARK_HOME = pathlib.Path(pyspark.__file__).parent
DATASET = "ncep-air"
SECOND_HOST = "127.0.0.2"


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def spark_jar():
    """The Spark 4 jar, (re)built with `mvn package` when missing or older than pom.xml/src/main."""
    sources = [SHIM / "pom.xml", *(p for p in (SHIM / "src" / "main").rglob("*") if p.is_file())]
    newest = max(p.stat().st_mtime for p in sources)
    if not JAR.exists() or JAR.stat().st_mtime < newest:
        if shutil.which("mvn") is None:
            pytest.fail(f"{JAR.name} is missing and mvn is not installed: build it with `mvn -f jvm-shim/pom.xml package`")
        r = subprocess.run(["mvn", "-B", "-q", "-f", str(SHIM / "pom.xml"), "package", "-DskipTests"], cwd=ROOT, capture_output=True, text=True, timeout=900)
        if r.returncode != 0 or not JAR.exists():
            pytest.fail(f"mvn package failed ({r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
    return JAR


class Daemon:
    """A Spark daemon (master or worker) run in the foreground by spark-class; its output is drained."""

    def __init__(self, cls, args, env):
        self.proc = subprocess.Popen([str(SPARK_HOME / "bin" / "spark-class"), cls, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)
        self.lines = []
        threading.Thread(target=lambda: [self.lines.append(l) for l in self.proc.stdout], daemon=True).start()

    def stop(self):
        if self.proc.poll() is None:
            # The worker's executors are its children: stop the whole process group this daemon leads.
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A standalone master and two workers (1 core, 1 GiB each) on 127.0.0.1; yields the master URL."""
    work = tmp_path_factory.mktemp("spark-cluster")
    env = dict(os.environ, SPARK_HOME=str(SPARK_HOME), SPARK_LOCAL_IP="127.0.0.1", SPARK_LOCAL_DIRS=str(work / "local"),
               SPARK_LOG_DIR=str(work / "logs"), SPARK_NO_DAEMONIZE="1", SPARK_DAEMON_MEMORY="512m", PYSPARK_PYTHON=sys.executable)
    env.pop("SPARK_CONF_DIR", None)
    mport, mui = free_port(), free_port()
    master_url = f"spark://127.0.0.1:{mport}"
    daemons = []
    try:
        daemons.append(Daemon("org.apache.spark.deploy.master.Master", ["--host", "127.0.0.1", "--port", str(mport), "--webui-port", str(mui)], env))
        for k in range(2):
            daemons.append(Daemon("org.apache.spark.deploy.worker.Worker", ["--host", "127.0.0.1", "--port", str(free_port()), "--webui-port", str(free_port()),
                                                                            "--cores", "1", "--memory", "1g", "--work-dir", str(work / f"worker-{k}"), master_url], env))
        deadline = time.time() + 120
        while True:
            try:
                state = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{mui}/json/", timeout=2).read())
                if sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE") == 2:
                    break
            except OSError:
                pass
            for d in daemons:
                if d.proc.poll() is not None:
                    pytest.fail(f"spark daemon exited ({d.proc.returncode}):\n{''.join(d.lines[-40:])}")
            if time.time() > deadline:
                pytest.fail("the Spark workers did not register with the master:\n" + "".join(daemons[-1].lines[-40:]))
            time.sleep(0.5)
        yield master_url
    finally:
        for d in reversed(daemons):
            d.stop()


@pytest.fixture(scope="module")
def spark(cluster, tmp_path_factory):
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    jar = spark_jar()
    # spark.jars reaches the driver's classpath only when pyspark launches the driver JVM: a JVM
    # left by an earlier test module's (stopped) session is shut down so a fresh one starts.
    if SparkContext._active_spark_context is not None:
        SparkContext._active_spark_context.stop()
    if SparkContext._gateway is not None:
        gateway, SparkContext._gateway, SparkContext._jvm = SparkContext._gateway, None, None
        gateway.shutdown()
        proc = getattr(gateway, "proc", None)
        if proc is not None:
            # The gateway JVM exits when its stdin closes (pyspark's own shutdown signal).
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait(timeout=10)
    # The driver binds to loopback too (not to the host's first interface).
    saved = os.environ.get("SPARK_LOCAL_IP")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    s = (SparkSession.builder.master(cluster).appName("wekeo-standalone-cluster")
         .config("spark.jars", str(jar)).config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.executor.memory", "512m").config("spark.executor.cores", "1").config("spark.cores.max", "2")
         .config("spark.ui.enabled", "false").config("spark.executorEnv.TZ", "UTC").config("spark.sql.session.timeZone", "UTC").config("spark.sql.adaptive.enabled", "false")
         # No task retries: a partition must succeed through the reader's own fallback to the other location.
         .config("spark.task.maxFailures", "1")
         .getOrCreate())
    if saved is None:
        os.environ.pop("SPARK_LOCAL_IP")
    else:
        os.environ["SPARK_LOCAL_IP"] = saved
    try:
        yield s
    finally:
        s.stop()


def cmd(**q):
    return fl.FlightDescriptor.for_command(json.dumps(q))


def uri_of(location):
    u = location.uri
    return u.decode() if isinstance(u, bytes) else u


@pytest.fixture(scope="module")
def pair():
    """Bridge A on 127.0.0.1, bridge B on 127.0.0.2, peers of each other, same secret; once they agree
    on the plan of the dataset (each sees the other up), yields their URIs and generators."""
    ports = [free_port(), free_port(SECOND_HOST)]
    uris = [f"grpc://127.0.0.1:{ports[0]}", f"grpc://{SECOND_HOST}:{ports[1]}"]
    common = ["--peers", ",".join(uris), "--secret", "interop-spark-cluster", "--target-rows", "1500", "--workers", "1"]
    gens = [_serve(["--port", str(ports[0]), *common]), _serve(["--host", SECOND_HOST, "--port", str(ports[1]), *common])]
    try:
        bridges = [next(g) for g in gens]
        assert [b["grpc"] for b in bridges] == uris
        deadline = time.time() + 20
        while True:
            plans = [[[uri_of(l) for l in e.locations] for e in fl.connect(u).get_flight_info(cmd(dataset=DATASET)).endpoints] for u in uris]
            if plans[0] == plans[1] and {locs[0] for locs in plans[0]} == set(uris):
                break
            assert time.time() < deadline, "the two bridges never agreed on a plan owned by both"
            time.sleep(0.5)
        yield uris, gens
    finally:
        for g in gens:
            g.close()


def scan_rdd(df):
    """The DataSourceRDD under the executed plan (the root of its narrow lineage) and the BatchScanExec."""
    qe = df._jdf.queryExecution()
    rdd = qe.toRdd()
    while rdd.dependencies().size() > 0:
        rdd = rdd.dependencies().head().rdd()
    plan = qe.executedPlan()
    scans = plan.collectLeaves()
    return rdd, scans.head()


def test_cluster_read_locality_and_failover(spark, pair):
    uris, gens = pair
    direct = fl.connect(uris[0])
    info = direct.get_flight_info(cmd(dataset=DATASET))
    want = canonical(pa.concat_tables(direct.do_get(e.ticket).read_all() for e in info.endpoints))
    assert want.num_rows == info.total_records == 28644

    def load():
        return spark.read.format("wekeo").option("endpoint", uris[0]).option("dataset", DATASET).load()

    # The executors are on another JVM than the driver: a read through the cluster equals the direct one.
    assert canonical(load().toArrow()).equals(want)

    # Planned with both bridges up: one partition per endpoint, preferring the endpoint's hosts in
    # the order of its locations (owner first). A busy machine can make one health check between
    # the bridges fail and reorder a plan: the driver's plan is checked against a direct plan
    # taken before and after it, retried while those two differ.
    hosts = {uris[0]: "127.0.0.1", uris[1]: SECOND_HOST}

    def expected():
        return [[hosts[uri_of(l)] for l in e.locations] for e in direct.get_flight_info(cmd(dataset=DATASET)).endpoints]

    for _ in range(10):
        before = expected()
        df = load()
        rdd, scan = scan_rdd(df)
        preferred = [list(rdd.preferredLocations(p).mkString(",").split(",")) for p in rdd.partitions()]
        if before == expected() and {p[0] for p in preferred} == {"127.0.0.1", SECOND_HOST}:
            break
        time.sleep(1)  # a peer seen down for a moment is up again after its next health check (2 s)
    assert preferred == before
    assert len(preferred) == len(info.endpoints) > 4
    on_b = sum(1 for p in preferred if p[0] == SECOND_HOST)
    assert 0 < on_b < len(preferred)

    # The same query through the cluster's two executors (one per worker), with bridge B stopped in
    # the middle of the job: each task waits a little before reading its partition, so partitions
    # are read over several seconds; B stops once some of them have been read.
    started = time.time()
    stopper = threading.Timer(3.0, gens[1].close)

    def slow(rows):
        import calendar, os, time as t
        t.sleep(0.6)
        # Executors run with TZ=UTC, so the naive datetimes pyspark gives are UTC; the parent of a
        # Python worker is its executor's pyspark daemon (one per executor).
        return [(calendar.timegm(r.time.timetuple()) * 1_000_000 + r.time.microsecond, r.lat, r.lon, r.air, os.getppid()) for r in rows]

    stopper.start()
    try:
        out = df.rdd.mapPartitions(slow).collect()
    finally:
        stopper.join()
    assert time.time() - started > 4, "the job ended before bridge B was stopped"
    with pytest.raises(fl.FlightUnavailableError):
        fl.connect(uris[1]).get_flight_info(cmd(dataset=DATASET))
    got = sorted((us, la, lo, a) for us, la, lo, a, _ in out)
    w = want.to_pydict()
    expect = sorted(zip(w["time"], w["lat"], w["lon"], w["air"]))
    assert got == expect
    metrics = scan.metrics()
    assert metrics.apply("wekeoRows").value() == want.num_rows  # every partition read exactly once
    # Partitions B owned and had not served when it stopped fell over to A (the timing decides how many).
    assert 0 < metrics.apply("wekeoRetries").value() <= on_b
    # Both executors (one per worker) ran tasks.
    assert len({ppid for *_, ppid in out}) == 2


def test_sql_catalog_groups_and_explain_on_this_spark(spark, pair):
    """The same jar on the venv's Spark (the newest line it supports): SQL USING wekeo, the catalog
    with a dataset's variable groups as tables, and EXPLAIN naming what was pushed."""
    uris, _ = pair
    direct = fl.connect(uris[0])
    spark.conf.set("spark.sql.catalog.wekeo", "eu.wekeo.spark.WekeoCatalog")
    spark.conf.set("spark.sql.catalog.wekeo.endpoint", uris[0])
    tables = {(r[0].strip("`"), r[1]) for r in spark.sql("SHOW TABLES IN wekeo").collect()}  # namespace quoted when not a plain name
    assert {("", "ncep-air"), ("", "cmems-currents"), ("cmems-currents", "(scalar)"), ("cmems-currents", "time,latitude,longitude")} <= tables
    scalar = spark.sql("SELECT * FROM wekeo.`cmems-currents`.`(scalar)`").toArrow()
    want = pa.concat_tables(direct.do_get(e.ticket).read_all() for e in direct.get_flight_info(cmd(dataset="cmems-currents", group="(scalar)")).endpoints)
    assert scalar.column_names == ["depth"] and scalar.equals(want)
    spark.sql(f"CREATE TABLE air USING wekeo OPTIONS (endpoint '{uris[0]}', dataset '{DATASET}')")
    try:
        q = spark.sql("SELECT count(*), avg(air) FROM air WHERE lat BETWEEN 40 AND 50 AND time >= '2014-10-02'")
        explain = q._jdf.queryExecution().executedPlan().toString()
        assert '"bbox":[' in explain and '"start":"2014-10-02T00:00:00Z"' in explain and "pushedFilters=[" in explain, explain
        full = pa.concat_tables(direct.do_get(e.ticket).read_all() for e in direct.get_flight_info(cmd(dataset=DATASET)).endpoints)
        start = pa.scalar(dt.datetime(2014, 10, 2), pa.timestamp("us", tz="UTC"))
        lat = full.column("lat")
        rows = full.filter(pc.and_(pc.and_(pc.greater_equal(lat, 40), pc.less_equal(lat, 50)), pc.greater_equal(full.column("time"), start)))
        count, avg = q.first()
        assert count == rows.num_rows > 0
        assert abs(avg - pc.mean(rows.column("air")).as_py()) < 1e-9 * abs(avg)
    finally:
        spark.sql("DROP TABLE IF EXISTS air")

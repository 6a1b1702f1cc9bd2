"""``lantian detect --engine spark`` on a real standalone cluster: a master and two workers.

The cluster runs from the installed pyspark on loopback only (master, workers, driver and
executors bind 127.0.0.1), with small memory, on free ports, and is torn down at the end
even when the test fails. Executors run the virtualenv's Python (``PYSPARK_PYTHON``), so
they import the same lantian as the driver.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(1800)]

BOOT_TIMEOUT_S = 90.0
DETECT_TIMEOUT_S = 900.0
WORKER_MEMORY = "1g"
EXECUTOR_MEMORY = "512m"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spark_class() -> Path:
    pyspark = pytest.importorskip("pyspark")
    path = Path(pyspark.__file__).parent / "bin" / "spark-class"
    if not path.exists():
        pytest.skip(f"{path} not found (pyspark without launcher scripts)")
    return path


def _cluster_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_LOCAL_HOSTNAME": "localhost",
            "SPARK_DAEMON_MEMORY": "256m",
            "SPARK_LOG_DIR": str(tmp / "logs"),
            "SPARK_WORKER_DIR": str(tmp / "work"),
            "PYSPARK_PYTHON": sys.executable,
            "PYSPARK_DRIVER_PYTHON": sys.executable,
        }
    )
    env.pop("SPARK_HOME", None)
    return env


def _master_info(ui_port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as r:
        info: dict[str, Any] = json.loads(r.read())
    return info


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop each started daemon by its own process group (workers first)."""
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for p in reversed(procs):
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


@dataclass(frozen=True)
class Cluster:
    """A running standalone cluster."""

    url: str
    ui_port: int
    env: dict[str, str]
    work_dir: Path


@pytest.fixture
def spark_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """``spark://127.0.0.1:PORT`` of a running master with two registered workers."""
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (Spark needs a JVM)")
    spark_class = _spark_class()
    env = _cluster_env(tmp_path)
    (tmp_path / "logs").mkdir()
    (tmp_path / "work").mkdir()
    port, ui = _free_port(), _free_port()
    url = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []

    def start(name: str, *args: str) -> None:
        log = (tmp_path / "logs" / f"{name}.out").open("wb")
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [str(spark_class), *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the JVM is killed with the launcher
            )
        )

    try:
        start(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(ui),
        )
        for k in (1, 2):
            start(
                f"worker{k}",
                "org.apache.spark.deploy.worker.Worker",
                url,
                "--host",
                "127.0.0.1",
                "--port",
                str(_free_port()),
                "--webui-port",
                str(_free_port()),
                "--cores",
                "1",
                "--memory",
                WORKER_MEMORY,
                "--work-dir",
                str(tmp_path / "work" / f"w{k}"),
            )
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        alive: list[Any] = []
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                break
            try:
                info = _master_info(ui)
                alive = [w for w in info.get("workers", []) if w.get("state") == "ALIVE"]
            except OSError:
                alive = []
            if len(alive) == 2:
                break
            time.sleep(1)
        if len(alive) != 2:
            out = "\n".join(
                (tmp_path / "logs" / f"{n}.out").read_text(errors="replace")[-2000:]
                for n in ("master", "worker1", "worker2")
            )
            pytest.fail(f"the cluster did not come up with 2 workers in time:\n{out}")
        yield Cluster(url, ui, env, tmp_path / "work")
    finally:
        _stop(procs)
        for log in logs:
            log.close()


def _run(cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run a command in its own process group, killed as a group when it overruns."""
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        out, _ = proc.communicate(timeout=DETECT_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    return proc.returncode, out.decode(errors="replace")


def _leads(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_detect_on_standalone_cluster_equals_duckdb(
    spark_cluster: Cluster, dev_city: Path, tmp_path: Path
) -> None:
    """Two workers, executors on the venv's Python: the leads equal DuckDB's, one by one."""
    cluster = spark_cluster
    lantian = Path(sys.executable).with_name("lantian")
    env = dict(cluster.env)
    # executors: small heap; shuffle partitions sized to a two-core cluster
    env["PYSPARK_SUBMIT_ARGS"] = (
        f"--conf spark.executor.memory={EXECUTOR_MEMORY} --conf spark.executor.cores=1 "
        "--conf spark.sql.shuffle.partitions=4 --conf spark.driver.host=127.0.0.1 "
        "--conf spark.driver.bindAddress=127.0.0.1 pyspark-shell"
    )
    env["LANTIAN_SPARK_STAGING"] = str(tmp_path / "staging")
    duck_out, spark_out = tmp_path / "duckdb.jsonl", tmp_path / "spark.jsonl"
    code, log = _run(
        [str(lantian), "detect", str(dev_city), "--engine", "duckdb", "--out", str(duck_out)],
        env,
    )
    assert code == 0, log[-3000:]
    code, log = _run(
        [
            str(lantian),
            "detect",
            str(dev_city),
            "--engine",
            "spark",
            "--spark-master",
            cluster.url,
            "--out",
            str(spark_out),
        ],
        env,
    )
    assert code == 0, log[-3000:]
    expected, got = _leads(duck_out), _leads(spark_out)
    assert expected, "dev-city must produce leads"
    assert [d["lead_id"] for d in got] == [d["lead_id"] for d in expected]
    assert got == expected
    # the work ran on the cluster: the master lists the application, and each worker
    # launched an executor for it (one app-* directory per worker)
    apps = _master_info(cluster.ui_port).get("completedapps", [])
    assert any(a.get("name") == "lantian-detect" for a in apps), apps
    for k in (1, 2):
        assert list((cluster.work_dir / f"w{k}").glob("app-*")), f"worker {k} ran no executor"

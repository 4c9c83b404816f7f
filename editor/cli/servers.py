"""`cutline doctor` and `cutline servers start|stop|status`."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    doctor = sub.add_parser("doctor", help="which servers are in use and whether they answer")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(func=cmd_doctor)

    servers = sub.add_parser("servers", help="the embedded PostgreSQL and Redis servers")
    servers.add_argument("action", choices=("start", "stop", "status"))
    servers.add_argument("--json", action="store_true")
    servers.set_defaults(func=cmd_servers)


def cmd_doctor(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store
    from editor.diagnostics import crash_reports, log_file, versions
    from editor.store.config import config_dir
    from editor.store.errors import StoreError

    store = None
    try:
        store = open_store()
        report = store.describe()
    except StoreError as exc:  # a server that will not start: still say everything else, and why
        report = _unreachable_report(str(exc))
    report["workers"] = []
    if store is not None:
        try:
            from editor.jobs.queue import live_workers

            report["workers"] = live_workers(store.redis)
        except Exception as exc:  # noqa: BLE001 - doctor reports, never fails on a side question
            report["workers_error"] = str(exc)[:200]
    report["versions"] = versions()
    report["config_file"] = str(config_dir() / "config.json")
    report["log_file"] = str(log_file())
    report["crash_reports"] = [str(p) for p in crash_reports()[:3]]
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        db, rd = report["database"], report["redis"]
        kind = "embedded" if db["embedded"] else "external"
        print(f"PostgreSQL: {kind}, {db['where']}, version {db['version']}, "
              f"schema {db['schema_version']} of {db['schema_latest']}, "
              f"{'reachable' if db['reachable'] else 'NOT reachable: ' + str(db['error'])}")
        print(f"  url: {db['url']}")
        if rd["configured"]:
            kind = "embedded" if rd["embedded"] else "external"
            state = f"reachable, {rd.get('server')} {rd.get('version')}" if rd["reachable"] else "NOT reachable"
            print(f"Redis: {kind}, {state}")
            print(f"  url: {rd['url']}")
        else:
            print(f"Redis: none ({rd['fallback']})")
        workers = report["workers"]
        print(f"Workers alive: {len(workers)}")
        for w in workers:
            print(f"  {w.get('name')} on {w.get('host')}: {w.get('running', 0)} running of {w.get('concurrency')},"
                  f" encoders {', '.join(w.get('encoders') or []) or 'none'}")
        print(f"Data folder: {report['data_dir']}")
        print(f"Config file: {report['config_file']}")
        print(f"Log file: {report['log_file']}")
        for name, lines in report.get("server_logs", {}).items():
            print(f"Last lines of the {name} log:")
            for line in lines:
                print(f"  {line}")
        for crash in report["crash_reports"]:
            print(f"Crash report: {crash}")
        print("Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items() if k != "platform"))
    return 0 if report["database"]["reachable"] else 1


def _unreachable_report(error: str) -> dict[str, Any]:
    """What doctor says when the store cannot be opened: the error and the servers' last log lines."""
    from editor.store.config import data_dir, load_settings
    from editor.store.migrate import latest_known_version
    from editor.store.servers import EmbeddedServers

    settings = load_settings()
    servers = EmbeddedServers(data_dir() / "servers")
    logs: dict[str, list[str]] = {}
    for name, path in (("postgres", servers.pg_home / "postgres.log"),
                       ("valkey", servers.root / "valkey" / "valkey.log")):
        try:
            lines = path.read_text(errors="replace").splitlines()[-5:]
        except OSError:
            continue
        logs[name] = [line for line in lines if line.strip()]
    return {
        "database": {"embedded": settings.embedded_database, "url": None, "where": None, "reachable": False,
                     "version": None, "error": error, "schema_version": None,
                     "schema_latest": latest_known_version()},
        "redis": {"configured": True, "embedded": settings.embedded_redis, "url": None, "reachable": False,
                  "fallback": None},
        "data_dir": str(data_dir()),
        "server_logs": logs,
    }


def cmd_servers(args: argparse.Namespace) -> int:
    from editor.store.config import data_dir, load_settings
    from editor.store.servers import EmbeddedServers

    settings = load_settings()
    servers = EmbeddedServers(data_dir() / "servers")
    if args.action == "start":
        endpoints = servers.ensure(postgres=settings.embedded_database, redis=settings.embedded_redis)
        servers.release(stop_if_last=False)
        status: dict[str, Any] = servers.status()
        status["embedded_redis"] = endpoints.embedded_redis
    elif args.action == "stop":
        servers.stop()
        status = servers.status()
    else:
        status = servers.status()
    status["external_database"] = not settings.embedded_database
    status["external_redis"] = not settings.embedded_redis
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        print(f"embedded servers in {status['root']}")
        print(f"  PostgreSQL: {'running' if status['postgres_running'] else 'stopped'}"
              f"{' (not used: CUTLINE_DATABASE_URL is set)' if status['external_database'] else ''}")
        print(f"  Valkey:     {'running' if status['valkey_running'] else 'stopped'}"
              f"{' (not used: CUTLINE_REDIS_URL is set)' if status['external_redis'] else ''}")
    return 0

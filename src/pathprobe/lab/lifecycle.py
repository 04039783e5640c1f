"""Bringing a scenario up and down, checking it, and cleaning up after earlier runs.

State lives in ``$PATHPROBE_LAB_STATE`` (default ``/run/pathprobe-lab``): ``state.json`` (the
scenario that is up, its run directory, every started service with PID and start time — written
after each start, so even a killed ``lab up`` leaves enough to clean up), ``lock`` (one lab command
at a time) and ``runs/<time>-<scenario>/`` (configs, certificates, the plan, the profile and every
service's log; the last :data:`KEEP_RUNS` are kept after ``down``).

Every way out of :func:`up` — a crashed service, a timeout, Ctrl-C, SIGTERM — takes down what it
had started before the error leaves. A lab found without a healthy state (namespaces left by a
killed run, dead services) is *stale*: ``up``, ``check`` and ``down`` remove it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pathprobe.bounded import MAX_PLAN_BYTES, MAX_PROFILE_BYTES, MAX_STATE_BYTES, loads_json, loads_toml
from pathprobe.errors import BadInput, LabError
from pathprobe.i18n import _, format_number
from pathprobe.lab import certs as labcerts
from pathprobe.lab import topology
from pathprobe.lab import world as w
from pathprobe.lab.censor import ruleset, shaping_commands, sni_rules
from pathprobe.lab.expect import Outcome, compare
from pathprobe.lab.scenario import Scenario
from pathprobe.lab.services import internet_service
from pathprobe.lab.services.base import (
    LabContext,
    Launch,
    Running,
    Service,
    alive,
    log_tail,
    proc_starttime,
    start,
)
from pathprobe.lab.services.dnslie import LyingDns
from pathprobe.lab.services.interceptor import Interceptor
from pathprobe.lab.services.origins import Origins
from pathprobe.lab.services.portal import Portal
from pathprobe.profile import Profile
from pathprobe.tor.launch import TMP_ENV as TOR_TMP_ENV

KEEP_RUNS = 10
CHECK_TIMEOUT = 300.0
CHECK_STOP_GRACE = 10.0
"""Seconds an interrupted check has to stop its tor and transports before it is killed."""
Say = Callable[[str], None]


def state_dir() -> Path:
    """``$PATHPROBE_LAB_STATE``, else ``/run/pathprobe-lab`` (``/run/pathprobe-lab-<name>`` for a lab
    whose namespace prefix is ``pp-<name>-``).
    """
    default = "/run/pathprobe-lab" if w.PREFIX == "pp-" else f"/run/pathprobe-lab-{w.PREFIX[3:-1]}"
    return Path(os.environ.get("PATHPROBE_LAB_STATE") or default)


def child_env() -> dict[str, str]:
    """The environment for lab programs that are Python: this pathprobe importable first."""
    import pathprobe

    src = str(Path(pathprobe.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    # Any tor started in the lab (the check's clients) refuses a torrc that could reach the public
    # Tor network: the lab only ever runs its own private one.
    env["PATHPROBE_TOR_PRIVATE_ONLY"] = "1"
    return env


# --------------------------------------------------------------------------- state


@dataclass
class State:
    """What ``state.json`` records of the lab that is up (or starting): scenario, run directory and
    every started service.
    """

    scenario: str
    source: str
    run_dir: str
    started: str
    status: str = "starting"
    """``starting`` until every service is ready and the censor's rules are in, then ``up``."""
    services: list[Running] = field(default_factory=list)
    interceptor_root: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``state.json`` form of this state."""
        return {
            "scenario": self.scenario,
            "source": self.source,
            "run_dir": self.run_dir,
            "started": self.started,
            "status": self.status,
            "interceptor_root": self.interceptor_root,
            "services": [s.to_json() for s in self.services],
        }


def _state_file() -> Path:
    return state_dir() / "state.json"


def read_state() -> State | None:
    """The recorded state; None when there is none, and a ``broken`` state (the lab counted
    stale) when the file cannot be read.
    """
    try:
        d = loads_json(_state_file().read_bytes(), "the lab's state file", max_bytes=MAX_STATE_BYTES)
        return State(
            d["scenario"],
            d["source"],
            d["run_dir"],
            d["started"],
            d["status"],
            [Running.from_json(s) for s in d["services"]],
            d.get("interceptor_root"),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, BadInput):
        # Unreadable state: treat the lab as stale; the namespaces are still found by name.
        return State("?", "?", "", "", "broken")


def save_state(st: State) -> None:
    """Write ``state.json`` atomically (a temporary file, then a rename)."""
    d = state_dir()
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / "state.json.tmp"
    tmp.write_text(json.dumps(st.to_json(), indent=2), "utf-8")
    tmp.replace(_state_file())


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """One lab command at a time (a second one gets a clear message, not a race)."""
    d = state_dir()
    d.mkdir(parents=True, exist_ok=True)
    fh = open(d / "lock", "a+")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            raise LabError(
                _("another 'pathprobe lab' command is running (pid {pid}); wait for it", pid=holder)
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fh.close()


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait while a teardown runs (a half-removed lab helps nobody)."""
    try:
        old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def healthy(st: State | None) -> bool:
    """True when ``st`` is ``up``, every lab namespace exists and every recorded service still runs."""
    return (
        st is not None
        and st.status == "up"
        and topology.existing() == list(w.NAMESPACES)
        and all(alive(r) for r in st.services)
    )


def anything_left() -> bool:
    """True when a state file, a lab namespace or its ``/etc/netns`` directory is left on the machine."""
    return read_state() is not None or bool(topology.existing()) or bool(topology.netns_etc_dirs())


# --------------------------------------------------------------------------- teardown


def _terminate(pids: dict[int, str], procs: dict[int, subprocess.Popen[bytes]], grace: float = 3.0) -> None:
    """SIGTERM every PID, wait up to ``grace`` for all, SIGKILL the rest (PIDs were checked by the caller)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    left = dict(pids)
    while left and time.monotonic() < deadline:
        for pid in list(left):
            if pid in procs:
                procs[pid].poll()
            if proc_starttime(pid) is None:
                del left[pid]
        time.sleep(0.02)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for p in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=grace)


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[1]) if len(fields) > 1 else None


def _recorded_ancestor(pid: int, recorded: dict[int, str]) -> int | None:
    """The recorded service ``pid`` descends from, if any (walks /proc's parent links)."""
    seen = 0
    cur = _ppid(pid)
    while cur and cur > 1 and seen < 64:
        if cur in recorded:
            return cur
        cur = _ppid(cur)
        seen += 1
    return None


def teardown(st: State | None, say: Say, procs: dict[int, subprocess.Popen[bytes]] | None = None) -> None:
    """Stop the recorded services by PID, end anything else left inside the lab's namespaces, remove them."""
    procs = procs or {}
    with shielded():
        pids: dict[int, str] = {}
        if st is not None:
            for r in st.services:
                if alive(r):
                    pids[r.pid] = r.instance
                elif r.pid not in procs:
                    say(_("service '{service}' had already exited (log: {log})", service=r.instance, log=r.log))
        recorded = dict(pids)
        for ns in topology.existing():
            for pid in topology.pids_in(ns):
                if pid in pids or pid == os.getpid():
                    continue
                owner = _recorded_ancestor(pid, recorded)
                if owner is not None:
                    # A service's own child (a Tor network's nodes, tor's obfs4proxy): it goes with it.
                    pids[pid] = f"a child of {recorded[owner]}"
                    continue
                # Only lab programs live in these namespaces; one the state does not name was left
                # by a run that was killed before it could record it.
                pids[pid] = f"a leftover process in {ns}"
                say(_("ending a leftover process in {netns} (pid {pid})", netns=ns, pid=pid))
        _terminate(pids, procs)
        topology.destroy()
        with contextlib.suppress(FileNotFoundError):
            _state_file().unlink()


# --------------------------------------------------------------------------- up


def services_for(scn: Scenario) -> list[Service]:
    """The services a scenario runs: its internet services, then the censor's (lying resolver and
    block page, interceptor, portal) as its ``[censor]`` table asks.
    """
    out: list[Service] = [internet_service(k, scn.options.get(k)) for k in scn.services]
    c = scn.censor
    if c.lies is not None:
        out.append(LyingDns(dict(c.lies)))
        if "blockpage" in c.lies.values():
            out.append(Origins("blockpage", w.CENSOR_NS, {w.BLOCKPAGE_NAME: w.BLOCKPAGE_ADDR}))
    if c.intercept is not None:
        out.append(
            Interceptor(
                list(c.intercept.hosts) if c.intercept.hosts is not None else None,
                list(c.intercept.ignore) if c.intercept.ignore is not None else None,
            )
        )
    if c.portal is not None:
        out.append(Portal(list(c.portal.offer)))
    if c.sni is not None and c.sni.mode == "reassemble":  # issue 17
        from pathprobe.lab.services.snifilter import SniFilterService

        out.append(SniFilterService(list(c.sni.hosts), c.sni.action))
    return out


def preflight(scn: Scenario | None = None) -> None:
    """Exit 2 with one message when the lab cannot run here at all."""
    problem = topology.platform_problem()
    if problem:
        raise BadInput(problem)
    need = ["nft"]
    if scn is not None and sni_rules(scn.censor) is not None:
        need.append("iptables-nft-restore")
    if scn is not None and scn.censor.throttle is not None:
        need += ["tc", "iptables"]
    if scn is not None:
        for s in services_for(scn):
            need += s.programs()
    missing = [p for p in dict.fromkeys(need) if shutil.which(p) is None and not os.access(p, os.X_OK)]
    if missing:
        names = ", ".join(missing)
        if any("mitmdump" in m for m in missing):
            raise BadInput(_("the lab needs {programs}, which is not installed (run scripts/setup.sh, or set"
                             " PATHPROBE_MITMDUMP)", programs=names))
        raise BadInput(_("the lab needs {programs}, which is not installed (run scripts/setup.sh)", programs=names))


def _new_run_dir(name: str) -> Path:
    runs = state_dir() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    old = sorted(p for p in runs.iterdir() if p.is_dir())
    for p in old[: max(0, len(old) - (KEEP_RUNS - 1))]:
        shutil.rmtree(p, ignore_errors=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    d = runs / f"{stamp}-{name}"
    d.mkdir(mode=0o700)
    return d


def _write_inputs(scn: Scenario, run: Path) -> LabContext:
    public = labcerts.public_ca()
    public_pem = run / "public-roots.pem"
    public_pem.write_bytes(public.cert_pem())
    # The lab's counterpart of pathprobe's shipped retired-roots list (--legacy-public-roots).
    retired = labcerts.retired_ca()
    (run / "legacy-roots.pem").write_bytes(retired.cert_pem())
    inter = None
    if scn.censor.intercept is not None:
        i = scn.censor.intercept
        inter = labcerts.interceptor(i.root, i.intermediate)
        (run / "interceptor-root.pem").write_bytes(inter.root.cert_pem())
    device = b""
    if "public" in scn.trusts:
        device += public.cert_pem()
    if "interceptor" in scn.trusts and inter is not None:
        device += inter.root.cert_pem()
    if "retired" in scn.trusts:
        device += retired.cert_pem()
    (run / "device-roots.pem").write_bytes(device)
    (run / "censor.nft").write_text(ruleset(scn.censor), "utf-8")
    rules = sni_rules(scn.censor)
    if rules is not None:
        (run / "censor.iptables").write_text(rules, "utf-8")
    shaping = shaping_commands(scn.censor.throttle)
    if shaping:
        (run / "censor-shaping.txt").write_text("".join(" ".join(c) + "\n" for c in shaping), "utf-8")
    return LabContext(run_dir=run, public=public, public_pem=public_pem, scenario=scn, interceptor=inter,
                      retired=retired)


def _write_plan(scn: Scenario, run: Path, values: dict[str, str]) -> None:
    """The plan with the services' values filled in; checked in full when its kinds are all here."""
    from pathprobe.lab.scenario import fill_plan
    from pathprobe.plan import parse_plan_data

    text = fill_plan(scn.plan, values, scn.source)
    if not scn.missing_kinds():
        where = f"{scn.source} (plan)"
        parse_plan_data(loads_toml(text, where, max_bytes=MAX_PLAN_BYTES), where)
    plan = run / "plan.toml"
    plan.touch(mode=0o600)  # it may hold keys the services made (WireGuard, Shadowsocks)
    plan.write_text(text, "utf-8")


def _wait_ready(started: list[tuple[Service, subprocess.Popen[bytes], Running]], say: Say) -> None:
    t0 = time.monotonic()
    pending = list(started)
    while pending:
        for item in list(pending):
            svc, proc, rec = item
            rc = proc.poll()
            if rc is not None:
                raise LabError(
                    _("service '{service}' ({about}) exited during start with code {code}; the end of its log"
                      " {log}:", service=svc.instance, about=svc.about, code=rc, log=rec.log)
                    + "\n" + log_tail(rec.log)
                )
            if svc.ready(rec.pid):
                pending.remove(item)
                took = time.monotonic() - t0
                say(_("  {service} ready in {seconds} s ({netns}, pid {pid})", service=f"{svc.instance:<12}",
                      seconds=format_number(took, 1), netns=svc.netns, pid=rec.pid))
            elif time.monotonic() - t0 > svc.ready_timeout:
                want = ", ".join(f"{x.proto} {x.address}:{x.port}" for x in svc.listens())
                raise LabError(
                    _("service '{service}' was not ready after {seconds} s (waiting for {want}); the end of its"
                      " log {log}:", service=svc.instance, seconds=format_number(svc.ready_timeout), want=want,
                      log=rec.log)
                    + "\n" + log_tail(rec.log)
                )
        if pending:
            time.sleep(0.03)


class Lab:
    """One lab command's view of the machine (keeps the Popen objects of what it started)."""

    def __init__(self, say: Say = print) -> None:
        self.say = say
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    def remove_stale(self) -> None:
        """Tear down what an earlier run left; raises :class:`LabError` when a healthy lab is up."""
        st = read_state()
        if healthy(st):
            assert st is not None
            raise LabError(
                _("a lab is already up (scenario '{scenario}', since {since}); run 'pathprobe lab down' first",
                  scenario=st.scenario, since=st.started)
            )
        if anything_left():
            names = ", ".join(topology.existing()) or _("none")
            if st is not None and st.scenario != "?":
                self.say(_("removing a stale lab from an earlier run (scenario '{scenario}'; namespaces: {names})",
                           scenario=st.scenario, names=names))
            else:
                self.say(_("removing a stale lab from an earlier run (no usable state; namespaces: {names})",
                           names=names))
            teardown(st, self.say)

    def up(self, scn: Scenario) -> State:
        """Bring the scenario up (after the preflight, under the lock, any stale lab removed) and return
        its state. Raises :class:`BadInput` when the lab cannot run here, :class:`LabError` when a lab
        is up or a service fails (taking down what it had started).
        """
        preflight(scn)
        with locked():
            self.remove_stale()
            return self._up(scn)

    def _up(self, scn: Scenario) -> State:
        t0 = time.monotonic()
        run = _new_run_dir(scn.name)
        st = State(scn.name, scn.source, str(run), dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        try:
            save_state(st)
            topology.create()
            ctx = _write_inputs(scn, run)
            st.interceptor_root = ctx.interceptor.root_sha256() if ctx.interceptor else None
            env = child_env()
            prepared = []
            values: dict[str, str] = {}
            for svc in services_for(scn):
                workdir = run / svc.instance
                workdir.mkdir()
                launch = svc.prepare(ctx, workdir)
                prepared.append((svc, Launch(launch.argv, {**env, **launch.env}), workdir))
                values.update({f"{svc.instance}.{k}": v for k, v in svc.plan_values().items()})
            _write_plan(scn, run, values)
            started = []
            for svc, launch, workdir in prepared:
                proc, rec = start(svc, launch, workdir)
                self.procs[proc.pid] = proc
                st.services.append(rec)
                save_state(st)
                started.append((svc, proc, rec))
            _wait_ready(started, self.say)
            topology.run(topology.nsexec(w.CENSOR_NS, "nft", "-f", str(run / "censor.nft")))
            if (run / "censor.iptables").exists():  # the per-packet SNI filter (issue 17)
                topology.run(topology.nsexec(w.CENSOR_NS, "iptables-nft-restore", str(run / "censor.iptables")))
            for cmd in shaping_commands(scn.censor.throttle):  # throttling (issue 17): tc + iptables
                topology.run(topology.nsexec(w.CENSOR_NS, *cmd))
            st.status = "up"
            save_state(st)
        except BaseException:
            self.say(_("taking the lab down again"))
            teardown(st, self.say, self.procs)
            raise
        self.say(_("lab up: scenario '{scenario}' in {seconds} s (run directory {path})", scenario=scn.name,
                   seconds=format_number(time.monotonic() - t0, 1), path=run))
        return st

    def down(self) -> bool:
        """Take down whatever lab is up (or stale); False when there was nothing."""
        with locked():
            if not anything_left():
                self.say(_("no lab is up"))
                return False
            st = read_state()
            teardown(st, self.say, self.procs)
            if st is not None and st.run_dir:
                self.say(_("lab down (logs kept in {path})", path=st.run_dir))
            else:
                self.say(_("lab down"))
            return True

    # ----------------------------------------------------------------------- check

    def check(self, scn: Scenario, *, out: Path | None = None, keep: bool = False) -> CheckResult:
        """Up (or reuse the same healthy scenario), run ``pathprobe check`` in pp-client, compare, down."""
        _validate_plan(scn)
        preflight(scn)
        with locked():
            st = read_state()
            reuse = healthy(st) and st is not None and st.scenario == scn.name and st.source == scn.source
            if not reuse:
                self.remove_stale()
                st = self._up(scn)
            else:
                self.say(_("using the lab that is up (scenario '{scenario}')", scenario=scn.name))
            assert st is not None
            try:
                return self._check(scn, st, out)
            finally:
                if not reuse and not keep:
                    teardown(st, self.say, self.procs)
                    self.say(_("lab down (logs kept in {path})", path=st.run_dir))

    def _check(self, scn: Scenario, st: State, out: Path | None) -> CheckResult:
        run = Path(st.run_dir)
        argv = check_command(scn, st)
        self.say(_("running the check in {netns}: {command} ...", netns=w.CLIENT_NS,
                   command=f"pathprobe check --plan {run / 'plan.toml'}"))
        t0 = time.monotonic()
        # tor's data directories and torrc files (they name the bridges) go here, and nowhere else:
        # whatever happens to the check, this directory is removed before the lab goes on. It is a
        # short path (not under the run directory): tor's control socket lives in it, and a Unix
        # socket's path may not be longer than 107 bytes.
        tor_tmp = Path(tempfile.mkdtemp(prefix="pp-tor-", dir=os.environ.get(TOR_TMP_ENV) or None))
        try:
            with open(run / "check.log", "wb") as err:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    env={**child_env(), TOR_TMP_ENV: str(tor_tmp)},
                    start_new_session=True,
                )
                try:
                    stdout, _err = proc.communicate(timeout=CHECK_TIMEOUT)
                except BaseException:
                    _stop_check(proc)
                    raise
        finally:
            shutil.rmtree(tor_tmp, ignore_errors=True)
        elapsed = time.monotonic() - t0
        (run / "profile.json").write_bytes(stdout)
        if proc.returncode != 0:
            raise LabError(
                _("the check in {netns} failed (exit {code}); the end of {log}:", netns=w.CLIENT_NS,
                  code=proc.returncode, log=run / "check.log")
                + "\n" + log_tail(run / "check.log")
            )
        try:
            where = str(run / "profile.json")
            profile = Profile.from_json(loads_json(stdout, where, max_bytes=MAX_PROFILE_BYTES), where)
        except BadInput as exc:
            raise LabError(_("the check printed a profile that does not read back: {reason}", reason=exc)) from None
        if out is not None:
            try:
                out.write_bytes(stdout)
            except OSError as exc:
                raise BadInput(_("--out {path}: cannot write: {reason}", path=out, reason=exc.strerror)) from None
        outcomes = compare(scn.expect, profile, interceptor_root=st.interceptor_root)
        for r in st.services:
            if not alive(r):
                outcomes.append(
                    Outcome(
                        f"service {r.instance}", "running through the check", f"exited (log: {r.log})", False
                    )
                )
        return CheckResult(scn, profile, outcomes, run, elapsed)

    def status(self) -> dict[str, Any]:
        """The recorded state, whether it is healthy, the lab namespaces that exist and each service's
        PID, liveness and log, as a JSON-ready dict.
        """
        st = read_state()
        return {
            "state": st.to_json() if st else None,
            "healthy": healthy(st),
            "namespaces": topology.existing(),
            "services": [
                {"instance": r.instance, "pid": r.pid, "alive": alive(r), "log": r.log}
                for r in (st.services if st else [])
            ],
        }


def _stop_check(proc: subprocess.Popen[bytes], grace: float = CHECK_STOP_GRACE) -> None:
    """Stop an interrupted check: SIGTERM first, so it stops its tor and transports and removes
    their directories itself (tor runs in a session of its own, beyond the check's process group),
    then SIGKILL to the check's process group if it has not ended within ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def check_command(scn: Scenario, st: State) -> list[str]:
    """The ``pathprobe check`` command line a lab check runs in the client namespace (also bench/)."""
    run = Path(st.run_dir)
    return topology.nsexec(
        w.CLIENT_NS,
        sys.executable,
        "-m",
        "pathprobe",
        "check",
        "--json",
        "--accept-risk",
        "--plan",
        str(run / "plan.toml"),
        "--public-roots",
        str(run / "public-roots.pem"),
        "--device-roots",
        str(run / "device-roots.pem"),
        *(["--legacy-public-roots", str(run / "legacy-roots.pem")] if (run / "legacy-roots.pem").exists() else []),
        "--timeout",
        f"{scn.timeout:g}",
        "--label",
        f"pathprobe lab: {scn.name}",
    )


@dataclass
class CheckResult:
    """One ``lab check``: the scenario, the profile the check printed, each expectation's outcome,
    the run directory and how long the check took (seconds).
    """

    scenario: Scenario
    profile: Profile
    outcomes: list[Outcome]
    run_dir: Path
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every outcome met its expectation."""
        return all(o.ok for o in self.outcomes)


def _validate_plan(scn: Scenario) -> None:
    """Bad plans and probe kinds this pathprobe lacks are found before anything starts (exit 2)."""
    from pathprobe.plan import parse_plan_data

    missing = scn.missing_kinds()
    if missing:
        raise BadInput(
            _("scenario '{scenario}' needs probe kind(s) {kinds}, which this pathprobe cannot load",
              scenario=scn.name, kinds=", ".join(missing))
        )
    from pathprobe.lab.scenario import placeholders

    if placeholders(scn.plan):
        # Keys and URLs exist only once the services are prepared: the filled plan is checked then
        # (before any service starts), by _write_plan.
        return
    where = f"{scn.source} (plan)"
    parse_plan_data(loads_toml(scn.plan, where, max_bytes=MAX_PLAN_BYTES), where)

"""The one place the web app calls gutskin's library: reading uploads, the analysis engine and the report
(``gutskin.engine.analyse`` → ``gutskin.report.to_report``), the safety gate (``gutskin.engine.gate_for``), trial
plans, calendars and analyses — the same functions the CLI calls.

Everything here is synchronous and CPU-bound: routes call it from a worker thread, never on the event loop.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import io
import re
import tempfile
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..engine import Resources, Settings, analyse, default_resources
from ..engine import gate_for as engine_gate
from ..errors import InputError, RefusedError
from ..knowledge.questionnaire import Questionnaire, parse_questionnaire
from ..profile import Profile
from ..readers import read
from ..report import Report, render_html, render_json, to_report
from ..report.render import pdf_bytes
from ..safety import SafetyGate
from ..trial.analysis import analyze
from ..trial.calendar import to_ics
from ..trial.chart import timeline_svg
from ..trial.defaults import KNOWN_COLUMNS
from ..trial.diary import load_diary
from ..trial.plan import Plan, load_plan, make_plan, plan_to_dict

GUTSKIN_VERSION = __version__
MAX_ARCHIVE_MEMBERS = 10_000
MAX_EXPANSION = 200  # largest uncompressed/compressed ratio accepted (zip bombs reach thousands)
MAX_UNPACKED = 1024 * 1024 * 1024  # 1 GiB unpacked in all
DIARY_NUMBERS = ("skin_score", "itch", "stress", "sleep_hours")


@dataclass
class ReadUpload:
    profile: Profile
    format: str
    samples: list[str]
    profiler: str | None
    database: str | None
    method: str | None
    n_taxa: int


def _safe_filename(name: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name or "upload").name).strip("._") or "upload"
    return base[-120:]


def check_archive(data: bytes, filename: str) -> None:
    """Refuse archives that would escape a folder or expand without bound, before any reader opens them."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
                if len(infos) > MAX_ARCHIVE_MEMBERS:
                    raise InputError(f"the archive holds {len(infos)} files; at most {MAX_ARCHIVE_MEMBERS} are "
                                     "accepted", filename)
                total = 0
                for info in infos:
                    parts = Path(info.filename.replace("\\", "/")).parts
                    if info.filename.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", info.filename):
                        raise InputError(f"the archive member {info.filename!r} points outside the archive",
                                         filename)
                    total += info.file_size
                    if info.compress_size and info.file_size / info.compress_size > MAX_EXPANSION:
                        ratio = info.file_size // max(info.compress_size, 1)
                        raise InputError(f"the archive member {info.filename!r} expands {ratio}-fold; this looks "
                                         "like a zip bomb", filename)
                if total > MAX_UNPACKED:
                    raise InputError("the archive unpacks to more than 1 GiB", filename)
                bad = zf.testzip()
                if bad is not None:
                    raise InputError(f"the archive member {bad!r} is corrupted (CRC check failed)", filename)
        except zipfile.BadZipFile as exc:
            raise InputError(f"a corrupted zip archive ({exc})", filename) from None
    elif data[:2] == b"\x1f\x8b" or data[:3] == b"BZh":
        opener = gzip.GzipFile if data[:2] == b"\x1f\x8b" else bz2.BZ2File
        size = 0
        try:
            with opener(fileobj=io.BytesIO(data)) as f:
                while chunk := f.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_UNPACKED or size > max(MAX_EXPANSION * len(data), 64 << 20):
                        raise InputError("the compressed file expands beyond the accepted size; this looks like a "
                                         "compression bomb", filename)
        except (OSError, EOFError) as exc:
            raise InputError(f"a corrupted compressed file ({exc})", filename) from None


def read_upload(data: bytes, filename: str) -> ReadUpload:
    """Read an uploaded profile exactly as ``gutskin inspect`` would; bad input raises the CLI's one-line error."""
    name = _safe_filename(filename)
    if not data:
        raise InputError("the file is empty; expected a taxonomic profile", name)
    check_archive(data, name)
    with tempfile.TemporaryDirectory(prefix="gutskin-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            profile = read(path)
        except (InputError, RefusedError) as exc:
            raise InputError(str(exc).replace(str(path), name).replace(tmp + "/", "")) from None
    if profile.n_samples == 0:
        raise InputError("the file holds no samples", name)
    info = profile.info[0]
    return ReadUpload(profile=profile, format=info.format, samples=list(profile.samples),
                      profiler=" ".join(x for x in (info.profiler, info.profiler_version) if x) or None,
                      database=info.database, method=info.method, n_taxa=int(profile.n_taxa))


def questionnaire_from_answers(answers: dict[str, Any] | None) -> Questionnaire | None:
    if not answers:
        return None
    return parse_questionnaire(answers)


_resources: Resources | None = None
_loading: threading.Thread | None = None


def use_resources(resources: Resources | None) -> None:
    """The engine resources of this process."""
    global _resources
    _resources = resources


def load_resources_in_background(settings: Settings) -> None:
    """Start loading the knowledge base and references in a thread, so the server answers at once; the first
    report waits for them (see :func:`resources`)."""
    global _loading
    _loading = threading.Thread(target=lambda: use_resources(Resources.load(settings)), name="gutskin-resources",
                                daemon=True)
    _loading.start()


def resources() -> Resources:
    if _resources is None and _loading is not None:
        _loading.join()
    return _resources or default_resources()


def build(data: bytes, filename: str, sample: str, answers: dict[str, Any] | None) -> Report:
    """The report for one sample of an upload, with the person's questionnaire answers (if any)."""
    up = read_upload(data, filename)
    if sample not in up.samples:
        raise InputError(f"no sample named {sample!r} in this file", field="sample")
    res = resources()
    (analysis,) = analyse(up.profile, res, questionnaires=questionnaire_from_answers(answers), samples=[sample],
                          input_name=_safe_filename(filename))
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return to_report(analysis, res, generated_at=now)


def report_from_json(text: str) -> Report:
    return Report.model_validate_json(text)


def report_json(report: Report) -> str:
    return render_json(report)


def report_versions(report: Report) -> dict[str, str | None]:
    ref = report.methods.reference
    return {"schema_version": report.schema_version, "gutskin_version": report.methods.gutskin_version,
            "kb_version": report.methods.kb_version, "reference_name": ref.name if ref else None,
            "reference_version": ref.title if ref else None}


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)


def report_body(report: Report) -> str:
    """The report's HTML body (its own templates), to sit inside the app's page with the report's stylesheet."""
    html = render_html(report)
    m = _BODY.search(html)
    return m.group(1) if m else html


_pages: OrderedDict[tuple[int, str], tuple[str, bool]] = OrderedDict()
_pages_lock = threading.Lock()
PAGE_CACHE = 128


def stored_report_page(report_id: int, report_json_text: str) -> tuple[str, bool]:
    """(HTML body, whether it suggests a trial) of a stored report. Stored reports never change, so each is
    rendered once per worker; the key is the row id and the SHA-256 of its JSON, so a reused id can never show
    another report."""
    key = (report_id, hashlib.sha256(report_json_text.encode()).hexdigest())
    with _pages_lock:
        hit = _pages.get(key)
        if hit is not None:
            _pages.move_to_end(key)
            return hit
    report = report_from_json(report_json_text)
    page = (report_body(report), report.trial.mode == "suggestion" and report.trial.suggestion is not None)
    with _pages_lock:
        _pages[key] = page
        while len(_pages) > PAGE_CACHE:
            _pages.popitem(last=False)
    return page


def report_pdf(report: Report) -> bytes:
    return pdf_bytes(report)


# ------------------------------------------------------------------------------------------ trials
def gate_for(answers: dict[str, Any] | None) -> SafetyGate:
    """The safety gate, through the one mapping every entry point uses (``Questionnaire.gate_inputs``)."""
    return engine_gate(questionnaire_from_answers(answers))


def new_plan(food: str, condition: str, start: date, design: str, gate: SafetyGate) -> dict[str, Any]:
    return plan_to_dict(make_plan([food], condition, start, design=design, gate=gate))


def plan_obj(plan: dict[str, Any]) -> Plan:
    return load_plan(plan)


def plan_ics(plan: dict[str, Any]) -> str:
    return to_ics(load_plan(plan))


def diary_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["date", "skin_score", "itch", "adhered", "stress", "sleep_hours", "notes"]
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)


def diary_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    cols = ["date", "skin_score", "itch", "adhered", "stress", "sleep_hours", "notes"]
    w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: ("" if r.get(c) is None else (int(r[c]) if c == "adhered" else r[c])) for c in cols})
    return out.getvalue()


def analyse_trial(plan: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """The CLI's ``trial analyze`` result and its chart, for the diary rows saved so far."""
    p = load_plan(plan)
    diary = load_diary(diary_frame(rows), p)
    result = analyze(p, diary)
    return result, timeline_svg(p, diary, result)


def trial_conditions() -> list[str]:
    """The conditions a trial plan knows defaults for (the knowledge base's ids), most common first."""
    from ..trial.defaults import CONDITIONS

    return list(CONDITIONS)


def trial_condition(name: str) -> str | None:
    """A report's condition id as a trial condition, or None when plans do not know it."""
    from ..trial.defaults import normalise_condition

    try:
        key = normalise_condition(name)
    except InputError:
        return None
    return key if key in trial_conditions() else None


def diary_range(column: str) -> tuple[float, float, str]:
    return KNOWN_COLUMNS[column]


# ------------------------------------------------------------------------------------------ FHIR (issue #17)
def fhir_bundle(data: bytes, filename: str, sample: str, answers: dict[str, Any] | None,
                plan: dict[str, Any] | None = None, diary_rows: list[dict[str, Any]] | None = None,
                pdf: bool = True) -> dict[str, Any]:
    """The FHIR R4 Bundle of one stored test, with the questionnaire and a trial (plan + diary) when given —
    ``gutskin export --fhir`` on the same inputs, checked the same way before it is handed out."""
    import json

    from ..export import export_fhir
    from ..export.validate import check_bundle

    with tempfile.TemporaryDirectory(prefix="gutskin-fhir-") as tmp:
        folder = Path(tmp)
        profile = folder / _safe_filename(filename)
        profile.write_bytes(data)
        questionnaire = None
        if answers:
            questionnaire = folder / "questionnaire.json"
            questionnaire.write_text(json.dumps(answers), encoding="utf-8")
        trial = None
        if plan is not None and diary_rows:
            (folder / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
            (folder / "diary.csv").write_text(diary_csv(diary_rows), encoding="utf-8")
            trial = (folder / "plan.json", folder / "diary.csv")
        try:
            bundle = export_fhir(profile, questionnaire=questionnaire, trial=trial, sample=sample, pdf=pdf)
        except (InputError, RefusedError) as exc:  # the one-line message, without the temporary folder's path
            raise InputError(str(exc).replace(tmp + "/", "")) from None
    problems = check_bundle(bundle)
    if problems:  # a bug in the export, never the person's data: refuse to hand out an invalid Bundle
        raise RuntimeError(f"the FHIR Bundle failed validation ({len(problems)} problems; first: {problems[0]})")
    return bundle


# ------------------------------------------------------------------------------------------ merged tables (#15)
def _decompressed(data: bytes) -> bytes | None:
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    if data[:4] == b"PK\x03\x04":
        return None  # an archive (.qza, .biom zip): not a text table
    return data


def split_sample(data: bytes, filename: str, sample: str) -> tuple[bytes, str, ReadUpload]:
    """One sample's own file (bytes, name, what was read) out of a merged table, so a client's account holds only
    their sample — never the other clients' columns. The table's text is cut by column (the header's sample
    columns; every other column and the lines above the header kept), then read back and checked: the same
    format, profiler, database and method, the one sample, and the same abundances as in the merged table. A
    table that cannot be cut that way (an archive, a binary BIOM file, a long table, sample names not found once
    each in one header line) is refused for that sample with the reason."""
    name = _safe_filename(filename)
    merged = read_upload(data, filename)
    if sample not in merged.samples:
        raise InputError(f"no sample named {sample!r} in this table", name, field="sample")
    raw = _decompressed(data)
    text = None
    if raw is not None and b"\x00" not in raw[:4096]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is None:
        raise InputError("this table is not a text table, so one sample cannot be taken out of it; upload one file "
                         "per client instead", name)
    lines = text.splitlines()
    wanted = set(merged.samples)
    header_at, keep = None, None
    for i, line in enumerate(lines[:200]):
        cells = [c.strip().lstrip("#").strip() for c in line.split("\t")]
        hits = [j for j, c in enumerate(cells) if c in wanted]
        if len(hits) == len(wanted) and {cells[j] for j in hits} == wanted:
            header_at = i
            mine = next(j for j in hits if cells[j] == sample)
            keep = [j for j in range(len(cells)) if j not in hits or j == mine]
            break
    if header_at is None or keep is None:
        raise InputError("the sample names are not each found once in one header line of this table, so one sample "
                         "cannot be taken out of it; upload one file per client instead", name)
    n_cols = len(lines[header_at].split("\t"))
    out = lines[:header_at]
    for line in lines[header_at:]:
        cells = line.split("\t")
        out.append("\t".join(cells[j] for j in keep) if len(cells) == n_cols else line)
    own = ("\n".join(out) + "\n").encode("utf-8")
    base = name.removesuffix(".gz").removesuffix(".bz2") if raw is not data else name  # stored uncompressed
    own_name = _safe_filename(f"{sample}__{base}")
    try:
        single = read_upload(own, own_name)
    except InputError:
        single = None
    same = single is not None and (
        single.samples == [sample] and single.format == merged.format and single.profiler == merged.profiler
        and single.database == merged.database and single.method == merged.method)
    if same:  # every (rank, lineage, name) row with the same abundance, nothing more, nothing less
        keys = ["rank", "lineage", "name"]
        a = merged.profile.sample(sample).to_long()[[*keys, "relative_abundance"]].astype({k: str for k in keys})
        b = single.profile.to_long()[[*keys, "relative_abundance"]].astype({k: str for k in keys})  # type: ignore[union-attr]
        both = a.merge(b, on=keys, how="outer", indicator=True)
        same = (len(a) == len(b) == len(both) and bool((both["_merge"] == "both").all())
                and bool(((both["relative_abundance_x"] - both["relative_abundance_y"]).abs() <= 1e-9).all()))
    if not same:
        raise InputError("taking this sample out of the table changes what gutskin reads from it, so it is not "
                         "stored; upload one file per client instead", name)
    return own, own_name, single  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------ retest (#16)
@dataclass
class StoredTest:
    data: bytes
    filename: str
    sample: str
    day: date
    label: str


def retest_timeline(tests: list[StoredTest], plan: dict[str, Any] | None = None
                    ) -> tuple[Any, str, list[dict[str, Any]]]:
    """A person's stored tests (oldest first) compared with ``gutskin.retest`` — one comparison per consecutive
    pair, plus first → last — and the section the CLI's ``gutskin retest -o retest.html`` shows, word for word.
    Returns (the ``Retest``, its HTML section, overview rows: each quantity's value at every test and the
    verdict of each consecutive step, from ``gutskin.retest.timeline``)."""
    from ..retest import compare_tests, render_fragment, timeline
    from ..retest.compare import trial_from_plan
    from ..retest.render import _VERDICT, _fmt  # the CLI's verdict words and numbers: the overview says the same

    profiles = []
    for t in tests:
        profile = read_upload(t.data, t.filename).profile
        profiles.append(profile.sample(t.sample) if profile.n_samples > 1 else profile)
    result = compare_tests(profiles, labels=[t.label for t in tests], dates=[t.day for t in tests],
                           trial=trial_from_plan(plan) if plan else None)
    rows = []
    for series in timeline(result):
        steps = {st.before: st for st in series.steps}
        rows.append({"label": series.label, "group": series.group, "values": [_fmt(v) for v in series.values],
                     "steps": [(steps[i].verdict.value, _VERDICT[steps[i].verdict][0]) if i in steps else None
                               for i in range(len(tests) - 1)]})
    return result, render_fragment(result, heading="Did your gut change between tests?"), rows

"""Back from FHIR: the questionnaire YAML and the trial diary CSV out of a gutskin (or compatible) Bundle.

What comes back is exactly what gutskin writes from the same data: the questionnaire as
:func:`~gutskin.export.forms.questionnaire_yaml`, the diary as :func:`gutskin.trial.simulate.write_diary` (with the
diary's ``#`` provenance lines, carried in the CarePlan's notes). A diary that came from gutskin in the first place
comes back byte for byte.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from ..errors import InputError
from . import forms

DIARY_COMMENT = "diary comment: "


def read_bundle(path: str | Path) -> dict[str, Any]:
    """Read a Bundle JSON file; anything else is refused with one line."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", p) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", p) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise InputError("expected a FHIR Bundle (resourceType 'Bundle')", p, field="resourceType")
    if not isinstance(data.get("entry", []), list):
        raise InputError("Bundle.entry must be a list", p, field="entry")
    return data


def _resources(bundle: dict[str, Any], rtype: str) -> list[tuple[str | None, dict[str, Any]]]:
    return [(e.get("fullUrl"), e["resource"]) for e in bundle.get("entry", [])
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == rtype]


def questionnaire_of(bundle: dict[str, Any]) -> Any | None:
    """The gutskin questionnaire answered in the Bundle (None when it holds none)."""
    found = [r for _, r in _resources(bundle, "QuestionnaireResponse")
             if str(r.get("questionnaire", "")).split("|")[0] == forms.QUESTIONNAIRE_URL]
    if len(found) > 1:
        raise InputError(f"the Bundle holds {len(found)} responses to the gutskin questionnaire; expected one")
    return forms.questionnaire_from_response(found[0]) if found else None


def diaries_of(bundle: dict[str, Any]) -> list[tuple[dict[str, Any], Any, list[str]]]:
    """(diary form, diary frame, comment lines) for each trial diary in the Bundle."""
    out = []
    responses = _resources(bundle, "QuestionnaireResponse")
    careplans = dict(_resources(bundle, "CarePlan"))
    for _, form in _resources(bundle, "Questionnaire"):
        url = str(form.get("url", ""))
        if not url.startswith(forms.DIARY_URL):
            continue
        canonical = f"{url}|{form.get('version')}" if form.get("version") else url
        days = [r for _, r in responses if r.get("questionnaire") in (url, canonical)]
        if not days:
            continue
        frame = forms.diary_frame_from_responses(form, days)
        comments: list[str] = []
        plans = {ref.get("reference") for r in days for ref in r.get("basedOn", [])}
        for ref in sorted(p for p in plans if p):
            for note in careplans.get(ref, {}).get("note", []):
                text = str(note.get("text", ""))
                if text.startswith(DIARY_COMMENT):
                    comments.append(text.removeprefix(DIARY_COMMENT))
        out.append((form, frame, comments))
    return out


def diary_csv(frame: Any, comments: list[str]) -> str:
    """The diary as gutskin writes it (:func:`gutskin.trial.simulate.write_diary`), as text."""
    from ..trial.diary import load_diary
    from ..trial.simulate import write_diary

    load_diary(frame)  # the same checks as a diary file gets: dates, ranges, one row per day
    with tempfile.TemporaryDirectory() as tmp:
        path = write_diary(frame, Path(tmp) / "diary.csv", comment="\n".join(comments) if comments else None)
        return path.read_text(encoding="utf-8")


def import_bundle(path: str | Path, out_dir: str | Path) -> list[Path]:
    """Write ``questionnaire.yaml`` and ``diary.csv`` (``diary-N.csv`` for several) from a Bundle into ``out_dir``."""
    from ..io import write_atomic

    bundle = read_bundle(path)
    out = Path(out_dir)
    if not out.is_dir():
        raise InputError("the output folder does not exist", out)
    try:  # everything is read and checked before anything is written
        q = questionnaire_of(bundle)
        diaries = [(frame, diary_csv(frame, comments)) for _, frame, comments in diaries_of(bundle)]
    except InputError as exc:
        raise exc.at(Path(path)) from None
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:  # a foreign Bundle's shape
        raise InputError(f"a QuestionnaireResponse or Questionnaire is not in the shape gutskin exports "
                         f"({type(exc).__name__}: {exc})", Path(path)) from None
    if q is None and not diaries:
        raise InputError("the Bundle holds no gutskin questionnaire response and no trial diary", Path(path))
    written = []
    if q is not None:
        written.append(write_atomic(out / "questionnaire.yaml", forms.questionnaire_yaml(q)))
    for i, (_, text) in enumerate(diaries, 1):
        written.append(write_atomic(out / ("diary.csv" if len(diaries) == 1 else f"diary-{i}.csv"), text))
    return written

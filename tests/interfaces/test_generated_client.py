"""A real client, generated from the served document, used against a real server.

openapi-python-client (the test extra) generates a Python package from ``/openapi.json`` as a
developer would, offline, into a temporary folder; the tests import it and score through it
against a uvicorn server in its own process: the Yuanjiang county recorded, its record fetched
and replayed, every bundled fixture county compared with the CLI (grade and score), and a county
whose inputs include ``panel_scores.*``, ``events.*``, ``levels.*`` and ``funding.*`` (names a
generator would drop if they were declared only through ``patternProperties``).

The server carries the built-in plugins plus one that contributes the synthetic test standard
(tests/data/standards/synthetic.toml), which reads ``events.*`` and ``levels.*``.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from standards_kernel.kernel.formats import content_json
from tests.helpers import DATA, synthetic_county
from tests.helpers.server import COUNTIES, YUANJIANG, cli_main, running_server, submission_json

PACKAGE = "sk_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
FIXTURES = sorted(COUNTIES.glob("*/*.toml"))

SERVE = textwrap.dedent("""
    import sys, types
    from pathlib import Path
    import uvicorn
    from standards_kernel import hookimpl
    from standards_kernel.kernel.registry import Plugin, Registry, installed_entry_points
    from standards_kernel.interfaces.server.app import create_app
    from standards_kernel.interfaces.server.service import ServerConfig

    port, ledger, synthetic = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    extra = types.ModuleType("synthetic_standard_plugin")
    extra.standards_kernel_standards = hookimpl(lambda: [synthetic])
    extra.standards_kernel_standards.__name__ = "standards_kernel_standards"
    plugins = [Plugin(ep.name, ep.load(), ep.dist.name if ep.dist else "", ep.dist.version if ep.dist else "", ep.value)
               for ep in installed_entry_points()]
    registry = Registry([*plugins, Plugin("synthetic", extra, "tests", "0")])
    app = create_app(ServerConfig(ledger=ledger), registry=registry)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
""")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("server")
    synthetic = DATA / "standards" / "synthetic.toml"
    with running_server(wait_s=30, command=lambda port: [sys.executable, "-c", SERVE, str(port),
                                                          str(folder / "ledger.sqlite3"), str(synthetic)]) as server:
        yield server.url


@pytest.fixture(scope="module")
def generated(url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The package openapi-python-client generates from the served document, imported."""
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    document.write_bytes(httpx.get(url + "/openapi.json", timeout=30).content)
    config = folder / "config.json"
    config.write_text(json.dumps({"post_hooks": [], "project_name_override": PACKAGE,
                                  "package_name_override": PACKAGE}), "utf-8")
    run = subprocess.run([str(GENERATOR), "generate", "--path", str(document), "--output-path",
                          str(folder / PACKAGE), "--meta", "none", "--config", str(config)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (folder / PACKAGE / "models" / "county_submission.py").exists(), run.stdout
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def module(generated: Any, name: str) -> Any:
    return importlib.import_module(f"{generated.__name__}.{name}")


def client(generated: Any, url: str) -> Any:
    return generated.Client(base_url=url, timeout=httpx.Timeout(60.0), raise_on_unexpected_status=True)


def body(generated: Any, data: bytes | str) -> Any:
    """A submission as the generated model, made from JSON as a client developer would."""
    return module(generated, "models").CountySubmission.from_dict(json.loads(data))


def test_the_generated_model_keeps_every_input_of_every_fixture(generated: Any) -> None:
    for path in FIXTURES:
        data = json.loads(submission_json(path))
        assert body(generated, submission_json(path)).to_dict() == data, path
    synthetic = json.loads(content_json(synthetic_county()))
    kept = body(generated, json.dumps(synthetic)).to_dict()
    assert kept == synthetic
    assert kept["data"]["events"] == {"exam_admission": False} and kept["data"]["levels"] == {"mechanism": "established"}
    # a name no installed standard reads is kept too, typed by the pattern's value schema
    extra = json.loads(submission_json(YUANJIANG))
    extra["data"]["funding"] = {"budget_2008": 1250000}
    extra["data"]["events.other_incident"] = 2
    assert body(generated, json.dumps(extra)).to_dict() == extra


def test_yuanjiang_recorded_fetched_and_replayed_through_the_generated_client(generated: Any, url: str) -> None:
    evaluate = module(generated, "api.evaluations.evaluate")
    get_record = module(generated, "api.records.get_record")
    replay_record = module(generated, "api.records.replay_record")
    models = module(generated, "models")
    with client(generated, url) as api:
        answer = evaluate.sync_detailed(client=api, body=body(generated, submission_json(YUANJIANG)), record=True)
        assert answer.status_code == 201
        recorded = answer.parsed
        assert isinstance(recorded, models.RecordedEvaluation)
        assert answer.headers["Standards-Kernel-Decision-Id"] == recorded.decision_id
        assert answer.headers["Standards-Kernel-Standard"] == "yunnan.county-education@2009"
        assert answer.headers["Standards-Kernel-Standard-Plugin"].startswith("yunnan standards-kernel/")
        result = recorded.result
        assert isinstance(result, models.EvaluationResult)
        code, printed = cli_main("evaluate", str(YUANJIANG), "--format", "json")
        expected = json.loads(printed)
        assert (result.grade, result.score) == (expected["grade"], expected["score"]) == ("qualified", "91.5")
        veto = result.vetoes["d_class_buildings"]  # the D-class veto that made it "qualified"
        assert isinstance(veto, models.ResultRule) and veto.applied is True and veto.effect == "cap"
        assert all(isinstance(g, models.ResultGap) for g in result.gaps)
        assert isinstance(result.next_grade, models.ResultNextGrade) and result.next_grade.from_ == "qualified"

        record = get_record.sync_detailed(client=api, decision_id=recorded.decision_id)
        assert record.status_code == 200 and record.parsed.decision_id == recorded.decision_id
        kept = record.parsed.body  # the record's hashed body, typed: the result inside is the result
        assert isinstance(kept.result, models.EvaluationResult) and kept.result.grade == result.grade
        assert kept.standard.sha256 == answer.headers["Standards-Kernel-Standard-Sha256"]
        assert {p.name for p in kept.plugins} >= {"yunnan", "synthetic"}
        replayed = replay_record.sync_detailed(client=api, decision_id=recorded.decision_id)
        assert replayed.status_code == 200 and replayed.parsed.identical is True
        assert replayed.parsed.decision_id == recorded.decision_id


def test_every_fixture_county_scores_as_the_cli_scores_it(generated: Any, url: str) -> None:
    evaluate = module(generated, "api.evaluations.evaluate")
    models = module(generated, "models")
    with client(generated, url) as api:
        for path in FIXTURES:
            code, printed = cli_main("evaluate", str(path), "--format", "json")
            answer = evaluate.sync_detailed(client=api, body=body(generated, submission_json(path)))
            if code != 0:  # a fixture of bad input: the API refuses it too, with a typed problem
                assert answer.status_code == 422 and isinstance(answer.parsed, models.Problem), path
                continue
            assert answer.status_code == 200, (path, answer.content[:300])
            expected = json.loads(printed)
            assert (answer.parsed.grade, answer.parsed.score) == (expected["grade"], expected["score"]), path
            assert answer.content.decode("utf-8") == printed.rstrip("\n"), path  # byte for byte


def test_events_and_levels_reach_the_kernel_through_the_generated_client(generated: Any, url: str) -> None:
    evaluate = module(generated, "api.evaluations.evaluate")
    with client(generated, url) as api:
        county = json.loads(content_json(synthetic_county()))
        answer = evaluate.sync_detailed(client=api, body=body(generated, json.dumps(county)),
                                        standard="test.synthetic@1")
        assert answer.status_code == 200, answer.content[:500]
        reads = {name for reading in answer.parsed.indicators.additional_properties.values()
                 for name in (reading.reads.additional_properties if reading.reads else {})}
        assert {"levels.mechanism", "events.exam_admission", "panel_scores.government"} <= reads
        county["data"]["levels"] = {"mechanism": "absent"}
        county["data"]["events"] = {"exam_admission": True}
        changed = evaluate.sync_detailed(client=api, body=body(generated, json.dumps(county)),
                                         standard="test.synthetic@1")
        assert changed.status_code == 200 and changed.parsed.grade != answer.parsed.grade


def test_ten_missing_inputs_come_back_as_one_typed_problem(generated: Any, url: str) -> None:
    evaluate = module(generated, "api.evaluations.evaluate")
    models = module(generated, "models")
    data = json.loads(submission_json(YUANJIANG))
    data["data"] = {}
    with client(generated, url) as api:
        answer = evaluate.sync_detailed(client=api, body=body(generated, json.dumps(data)))
    assert answer.status_code == 422 and isinstance(answer.parsed, models.Problem)
    errors = answer.parsed.errors
    assert len(errors) >= 10 and all(isinstance(e, models.ProblemItem) for e in errors)
    assert {"data.panel_scores.government", "data.totals.building_area_m2"} <= {e.path for e in errors}
    assert all(e.problem == "missing" and e.expected for e in errors)

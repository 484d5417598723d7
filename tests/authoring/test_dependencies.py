"""The dependency map: what each parameter reaches, and what one node rests on and touches."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from standards_kernel.authoring.dependencies import dependency_map, map_lines, map_to_data, why_lines
from standards_kernel.kernel.registry import default_registry

BUILT_IN = [k for k in default_registry().keys() if k.split(".")[0] in ("gansu", "guizhou", "henan", "national", "yunnan")]


def test_yuanjiang_d_class_ratio_rests_on_two_inputs_and_a_parameter_and_reaches_the_grade():
    dmap = dependency_map(default_registry().get("yunnan.county-education@2009"))
    assert dmap.upstream("indicators.d_class_ratio") == [
        "inputs.totals.building_area_m2", "inputs.totals.dilapidated_d_area_m2", "parameters.d_class_limit"]
    assert dmap.downstream("indicators.d_class_ratio") == ["grade", "vetoes.d_class_buildings"]
    # The dropout gate is reported only (effect none): it does not reach the grade.
    assert dmap.downstream("parameters.junior_dropout_limit") == [
        "gates.junior_dropout", "gates.school_junior_dropout",
        "indicators.junior_dropout_rate", "indicators.school_junior_dropout_rate"]
    assert dmap.downstream("parameters.advanced_cutoff") == ["grade"]
    lines = why_lines(dmap, "d_class_ratio")
    assert lines[0] == "indicators.d_class_ratio"
    assert "    parameters.d_class_limit [corroborated, yuanjiang_2009]" in lines


def test_a_k_of_n_rule_rests_on_its_members():
    dmap = dependency_map(default_registry().get("national.quality-balance@2017"))
    up = dmap.upstream("gates.primary_school_resources")
    assert "parameters.primary_sports_area_per_student_min" in up and "inputs.sports_area_m2" in up
    assert "gates.cv_primary_sports_area" in dmap.downstream("parameters.cv_primary_limit")


@pytest.mark.parametrize("key", BUILT_IN)
def test_the_map_renders_for_every_built_in_standard(key):
    dmap = dependency_map(default_registry().get(key))
    data = map_to_data(dmap)
    assert data["standard"] == key
    std = default_registry().get(key)
    # every indicator, rule and parameter is a node, and every rule with an effect reaches the grade
    assert {f"indicators.{i}" for i in std.indicators} <= set(data["nodes"])
    assert {f"parameters.{p}" for p in std.parameters} <= set(data["nodes"])
    for rid, rule in std.rules.items():
        nid = f"{'gates' if rule.kind == 'gate' else 'vetoes'}.{rid}"
        assert ("grade" in dmap.downstream(nid)) == (rule.effect != "none")
    assert map_lines(dmap)[0].startswith(key)


def test_the_cli():
    run = [sys.executable, "-m", "standards_kernel", "explain", "yunnan.county-education"]
    done = subprocess.run([*run, "--why", "d_class_ratio", "--format", "json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["touches"] == ["grade", "vetoes.d_class_buildings"]
    bad = subprocess.run([*run, "--why", "nope"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "has no node 'nope'" in bad.stderr and "Traceback" not in bad.stderr

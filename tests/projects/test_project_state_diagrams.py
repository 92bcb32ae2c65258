"""`render_state_diagrams` draws each state machine (DOT and Mermaid) from the models' transitions."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from milestones.management.commands.render_state_diagrams import fsm_edges, fsm_models, render_all
from projects.models import Project


def test_renders_every_fsm_as_dot_and_mermaid(tmp_path):
    call_command("render_state_diagrams", output=str(tmp_path), verbosity=0)
    names = {p.name for p in tmp_path.iterdir()}
    for model in fsm_models():
        stem = model.__name__.lower()
        assert {f"{stem}.dot", f"{stem}.md"} <= names
        dot = (tmp_path / f"{stem}.dot").read_text(encoding="utf-8")
        mermaid = (tmp_path / f"{stem}.md").read_text(encoding="utf-8")
        assert dot.startswith("//") and f"digraph {model.__name__}" in dot
        assert "stateDiagram-v2" in mermaid
        for source, target, name in fsm_edges(model):
            assert f'"{source}" -> "{target}"' in dot
            assert f"{source} --> {target} :" in mermaid and f"({name})" in mermaid


def test_project_diagram_has_every_design_edge():
    edges = set(fsm_edges(Project))
    assert ("draft", "submitted", "submit") in edges
    assert ("closing", "active", "reopen") in edges
    assert {s for s, t, n in edges if n == "terminate"} == {
        "submitted",
        "screening",
        "non_consensus",
        "approved",
        "active",
        "suspended",
        "closing",
    }


def test_committed_project_diagrams_are_up_to_date():
    folder = Path(settings.BASE_DIR) / "docs" / "diagrams"
    rendered = render_all()
    for name in ("project.dot", "project.md"):
        assert (folder / name).read_text(encoding="utf-8") == rendered[name]

"""Findings shown together: the same difference at several places is one line of the text and Markdown
reports; JSON keeps one finding per place and gives the findings of one line the same `group` string.

The rule. Two structural differences are one group when they have the same status and field, are about
the same branch (`where`) and the same layer of the spec's build (its module path inside the row, which
is the same in every row built from one template), and state the same change ("convolution 3×3, paper
5×5"), whatever is particular to each place (its channel counts, a surplus block's number). Warnings
are grouped by their kind alone, in any branch or layer: every "batch norm after layers where the
spec's build has none" is one line, as every "no activation after ...".

The group string is what the line says after its places: the branch, then the change
("5x5 branch: convolution 3×3, paper 5×5"), with the particulars when every place has the same ones
("(192 → 192 channels)"). Two groups that would still read alike (two layers of one branch with the
same change) name their layer's place in the branch ("7x7dbl branch, layer 3: ..."). The renderers
list the places (render/common.py, `finding_lines`).
"""
from __future__ import annotations

from ..report import WARNING
from .differences import Diff


def _key(d: Diff, k: int) -> tuple:
    if d.status == WARNING:
        return (d.status, d.summary) if d.summary else (d.status, "place", k)
    return d.status, d.field, d.where, d.layer, d.change


def group_strings(diffs: list[Diff]) -> list[str]:
    """One string per difference, in order: its group's, or "" for a difference found at one place only."""
    keys = [_key(d, k) for k, d in enumerate(diffs)]
    members: dict = {}
    for key, d in zip(keys, diffs):
        members.setdefault(key, []).append(d)
    texts: dict = {}
    for key, group in members.items():
        if len(group) < 2:
            continue
        first = group[0]
        if first.status == WARNING:
            texts[key] = first.summary
            continue
        same = len({d.notes for d in group}) == 1
        texts[key] = (first.where, "", first.text if same else first.change)
    # two groups that would read alike name their layer's place in the branch
    seen: dict = {}
    for key, text in texts.items():
        if isinstance(text, tuple):
            seen.setdefault(text, []).append(key)
    for text, alike in seen.items():
        if len(alike) > 1:
            for key in alike:
                where, _, change = text
                texts[key] = (where, f"layer {members[key][0].ordinal}", change)
    out = []
    for key in keys:
        text = texts.get(key, "")
        if isinstance(text, tuple):
            where, layer, change = text
            place = ", ".join(p for p in (where, layer) if p)
            text = f"{place}: {change}" if place else change
        out.append(text)
    return out

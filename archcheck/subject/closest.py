"""The declared build someone's model fits best, searched when `verify --model` fails.

A port that follows a release rather than the paper fails against the paper's build with a finding at
every place the two differ; the spec may already declare the build it follows. So, when the check
fails, archcheck also compares the model with:

- the spec's default build and every declared variant, in declaration order, each with the user's own
  --set values;
- each of those with `aux_heads` flipped (the value that build would have, negated), when the spec
  has that option: the user's own `aux_heads=...`, if any, gives way to the flip.

Builds that come out the same (a variant that sets what a flip sets) are compared once; a build that
cannot be made (a --set another variant refuses) or that is traced at another input size is left out.

Each candidate is built and traced on the meta device like the spec's build, and the subject's one
trace, which does not depend on the build, is aligned against it. The best build leaves the fewest
mismatches of its own (warnings counted as mismatches under --strict; a row's input that differs only
because an earlier row does is not one), then the fewest warnings; ties go to the
build asked for, then to declaration order. The report's verdict stays that of the build asked for.
Cost: one build, trace and alignment per candidate, about what the check itself costs (a spec with
one variant and aux_heads has three candidates besides the asked build).
"""
from __future__ import annotations

from ..errors import InputError
from ..report import MISMATCH, WARNING, ClosestBuild, Report
from ..spec.options import apply_settings


def _identity(spec) -> tuple:
    """What makes two builds the same network: every option and every row's structural values."""
    options = tuple(sorted((k, repr(v)) for k, v in spec.options.items()))
    return options, tuple((r.name, repr(sorted(r.args.items()))) for r in spec.rows if r.args)


def _counts(report: Report, strict: bool) -> tuple[int, int]:
    """(mismatches, warnings) as the report states them (warnings count as mismatches under --strict)."""
    warnings = report.count(WARNING)
    return report.count(MISMATCH) + (warnings if strict else 0), warnings


def _rank(report: Report, strict: bool) -> tuple[int, int]:
    """What decides the closest build: the counts, without a row's input that differs only because an
    earlier row does (field "input"), so that a build does not look closer for having fewer rows for
    a difference to reach."""
    mismatches, warnings = _counts(report, strict)
    return mismatches - sum(1 for f in report.findings if f.status == MISMATCH and f.field == "input"), warnings


def candidates(spec):
    """(variant, sets, the build) of every declared build to try, in declaration order."""
    base = spec.declared or spec
    own = tuple(spec.sets)
    flip = isinstance(base.options.get("aux_heads"), bool)
    for variant in (None, *base.variants):
        try:
            build = apply_settings(base, variant, own)
        except InputError:
            continue
        yield variant, own, build
        if flip:
            sets = tuple(s for s in own if s.partition("=")[0].strip() != "aux_heads")
            sets += (f"aux_heads={'false' if build.options['aux_heads'] else 'true'}",)
            try:
                yield variant, sets, apply_settings(base, variant, sets)
            except InputError:
                continue


def closest_build(spec, trace, asked: Report, name: str, constructed: str, strict: bool = False) -> ClosestBuild:
    """The declared build the traced subject fits best, compared with `asked` (its report on `spec`)."""
    from .report import subject_report

    best_rank, best, best_counts = _rank(asked, strict), None, _counts(asked, strict)
    seen, compared = {_identity(spec)}, 1
    for variant, sets, build in candidates(spec):
        identity = _identity(build)
        if identity in seen or tuple(build.input) != tuple(spec.input):
            continue
        seen.add(identity)
        try:
            report = subject_report(build, trace, name, constructed, strict)
        except InputError:     # a variant the user's --set values do not build
            continue
        compared += 1
        rank = _rank(report, strict)
        if rank < best_rank:
            best_rank, best, best_counts = rank, (variant, sets), _counts(report, strict)
    variant, sets = best if best is not None else (spec.variant, tuple(spec.sets))
    asked_counts = _counts(asked, strict)
    return ClosestBuild(variant, sets, best_counts[0], best_counts[1], asked_counts[0], asked_counts[1], compared,
                        is_asked=best is None)

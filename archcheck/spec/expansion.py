"""How many layers a configured spec would build, counted before anything is built.

Templates that use templates multiply: a 2 KB spec whose templates each use the one below twice, 22
deep, would build four million layers. So the builder first counts, from the spec alone, the layers it
would expand: each layer entry is one (a conv with its batch norm and ReLU is one layer), a `use` counts
the used template's layers, a template the layers of every branch (every alternative of a `when`, so
the count is an upper bound; conditions on rows are decided), and a row its template's or layers'
count times its repeat count. A spec over MAX_LAYERS is refused, naming the row and the template chain
the layers come from. `use` chains are at most MAX_USE_DEPTH templates deep (limits.py, checked by
validate.py), so the counting below recurses at most that deep.
"""
from __future__ import annotations

from ..errors import Problem, SpecError
from .language import REPEAT
from .limits import MAX_LAYERS
from .model import Layer, Row, Spec
from .structure import literal_problem
from .values import ValueProblem, resolve


def repeat_count(row: Row, options: dict) -> int | None:
    """The row's repeat count for these options (None: built once, not as a repetition); raises
    ValueProblem."""
    if row.repeat is None:
        return None
    n = resolve(row.repeat, options, "whole")
    if problem := literal_problem(REPEAT, n):
        raise ValueProblem(problem)
    return n


class _Counter:
    def __init__(self, spec: Spec):
        self.templates = spec.templates
        self.memo: dict[str, tuple[int, str | None]] = {}   # template -> (layers, the heaviest template it uses)

    def layers(self, layers: tuple[Layer, ...]) -> tuple[int, str | None]:
        total, heaviest, most = 0, None, -1
        for layer in layers:
            name = layer.args.get("template") if layer.kind == "use" else None
            if name in self.templates:
                n = self.template(name)[0]
                if n > most:
                    heaviest, most = name, n
                total += n
            else:
                total += 1
        return total, heaviest

    def template(self, name: str) -> tuple[int, str | None]:
        if name not in self.memo:
            t = self.templates[name]
            parts = [self.layers(t.layers)] + [self.layers(b.layers) for b in t.branches]
            total = sum(n for n, _ in parts) + (1 if t.expansion is not None else 0)
            heavy = [h for _, h in parts if h is not None]
            self.memo[name] = (total, max(heavy, key=lambda h: self.template(h)[0], default=None))
        return self.memo[name]

    def chain(self, name: str | None) -> list[str]:
        out = []
        while name is not None:
            out.append(name)
            name = self.template(name)[1]
        return out


def check_expansion(spec: Spec) -> None:
    """Raise SpecError (exit 2) when the spec would build more than MAX_LAYERS layers."""
    counter, total, rows, problems = _Counter(spec), 0, [], []
    for row in spec.rows:
        if not all(c.holds(spec.options) for c in row.when):
            continue
        try:
            times = repeat_count(row, spec.options) or 1
        except ValueProblem as exc:
            problems.append(Problem(spec.path, row.line, row.column, f"rows ({row.name}).repeat", str(exc)))
            continue
        if row.template in spec.templates:
            each, top = counter.template(row.template)[0], row.template
        else:
            each, used = counter.layers(row.layers or ())
            top = used
        total += times * each
        rows.append((times * each, times, each, top, row))
    if problems:
        raise SpecError(problems)
    if total <= MAX_LAYERS:
        return
    n, times, each, top, row = max(rows, key=lambda r: r[0])
    chain = counter.chain(top)
    sizes = [f"{t} ({counter.template(t)[0]:,}{' layers' if i == 0 else ''})" for i, t in enumerate(chain)]
    via = (f", through the template {sizes[0]}" if len(chain) == 1 else
           f", through the template chain {' -> '.join(sizes)}" if chain else "")
    repeat = f"{times:,} × {each:,}" if times > 1 else f"{each:,}"
    raise SpecError([Problem(spec.path, row.line, row.column, f"rows ({row.name})",
                             f"expected a spec that builds at most {MAX_LAYERS:,} layers (archcheck's limit, counted "
                             f"before building), found {total:,}; this row builds {repeat} of them{via}")])
